"""`prospect serve` spoken to without a browser: what it refuses, and to whom it gives what.

The server runs in the test's event loop with a clock the test moves; apps are real processes.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
import secrets
import sqlite3
import subprocess
import sys

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from prospect_tui.core import users
from prospect_tui.core.store import Store
from prospect_tui.serve.server import ProspectServer, app_command
from tests.e2e.served import PASSWORDS, RunningServer, free_port, served_database
from tests.helpers import A_SUPERVISOR

CTRL_P = "\x10"
FAR, NEAR = "10.0.0.66", "10.0.0.7"  # a guesser's address, the owner's


@pytest.fixture
def database(tmp_path):
    return served_database(tmp_path)


@pytest.fixture
async def served(database, clock):
    store = Store(database, clock=clock)
    started: list[list[str]] = []

    def argv(user: str) -> list[str]:
        started.append(app_command(store)(user))
        return started[-1]

    server = ProspectServer(store, app_argv=argv)
    server.started = started
    test_server = TestServer(server.application(), host="127.0.0.1")
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    yield server
    await test_server.close()
    store.close()


@pytest.fixture
async def browser_session():
    opened = []

    def start() -> aiohttp.ClientSession:
        opened.append(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
        return opened[-1]

    yield start
    for session in opened:
        await session.close()


async def post_login(
    session, base: str, name: str, password: str, token_cookie: bool = False, address: str = ""
) -> aiohttp.ClientResponse:
    """The login form filled in; `token_cookie` sends the form's cookie by hand (a client
    does not send a Secure cookie back over plain http); `address` is the browser's, as a
    reverse proxy on the same machine reports it."""
    async with session.get(base + "/login") as form:
        token = re.search(r'name="csrf" value="([^"]+)"', await form.text()).group(1)
    data = {"username": name, "password": password, "csrf": token}
    headers = {"Cookie": f"prospect_login={token}"} if token_cookie else {}
    if address:
        headers["X-Forwarded-For"] = address
    response = await session.post(
        base + "/login", data=data, headers=headers, allow_redirects=False
    )
    await response.read()
    return response


async def logged_in(start, base: str, name: str) -> aiohttp.ClientSession:
    session = start()
    response = await post_login(session, base, name, PASSWORDS[name])
    assert response.status == 303, await response.text()
    return session


async def refused_status(session, url: str, **options) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(url, **options)
    return refused.value.status


async def read_until(
    websocket, wanted: str = "", message: str = "", timeout: float = 30.0
) -> tuple[str, list]:
    """Frames until `wanted` is on screen, or until a text message of kind `message` came
    (what textual-serve tells the page, e.g. a download); returns the screen and messages."""
    screen, messages = "", []
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def done() -> bool:
        if message:
            return any(kind == message for kind, *_ in messages)
        return wanted in screen

    async with asyncio.timeout(timeout):
        while not done():
            received = await websocket.receive()
            if received.type == aiohttp.WSMsgType.BINARY:
                screen += decoder.decode(received.data)
            elif received.type == aiohttp.WSMsgType.TEXT:
                messages.append(json.loads(received.data))
            else:
                raise AssertionError(f"socket ended before {wanted or message!r}")
    return screen, messages


def claimed(database, caller: str) -> str | None:
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT company FROM leads WHERE claimed_by = ?", (caller,)).fetchone()
    return row[0] if row else None


async def test_websocket_without_a_live_session_is_refused(served, browser_session, clock):
    ws = served.base + "/ws"
    assert await refused_status(browser_session(), ws, origin=served.base) == 401
    forged = browser_session()
    forged.cookie_jar.update_cookies({"prospect_session": secrets.token_urlsafe(32)})
    assert await refused_status(forged, ws, origin=served.base) == 401

    ann = await logged_in(browser_session, served.base, "ann")
    clock.advance(hours=12, seconds=1)  # idle for longer than --session-hours
    assert await refused_status(ann, ws, origin=served.base) == 401
    assert served.started == []  # no app was ever started
    refusals = [
        row
        for row in users.access_log(served.store, actor=A_SUPERVISOR)
        if row["event"] == "refused"
    ]
    assert len(refusals) == 3


async def test_websocket_from_a_foreign_origin_is_refused(served, browser_session):
    ann = await logged_in(browser_session, served.base, "ann")
    ws = served.base + "/ws"
    assert await refused_status(ann, ws, origin="https://evil.example") == 403
    assert await refused_status(ann, ws) == 403  # no Origin at all
    assert served.started == []


async def test_the_app_runs_as_the_logged_in_user_whatever_the_request_says(
    served, browser_session, database
):
    ann = await logged_in(browser_session, served.base, "ann")
    url = served.base + "/ws?width=100&height=30&caller=bob&user=bob"
    async with ann.ws_connect(url, origin=served.base, headers={"X-Caller": "bob"}) as websocket:
        screen, _ = await read_until(websocket, "No answer")
        lead = claimed(database, "ann")
        assert lead and lead in screen
        assert claimed(database, "bob") is None
    assert served.started[0][-3:] == ["--caller", "ann", "--served"]


async def test_the_sixth_failed_login_gets_429_with_retry_after(served, browser_session, clock):
    session = browser_session()
    for _ in range(5):
        assert (await post_login(session, served.base, "ann", "wrong-password")).status == 401
    locked = await post_login(session, served.base, "ann", PASSWORDS["ann"])
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) == 60
    clock.advance(seconds=61)
    assert (await post_login(session, served.base, "ann", PASSWORDS["ann"])).status == 303


async def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(
    served, browser_session, clock
):
    guesser = browser_session()
    for _ in range(5):
        wrong = await post_login(guesser, served.base, "ann", "wrong-password", address=FAR)
        assert wrong.status == 401
    owner = await post_login(browser_session(), served.base, "ann", PASSWORDS["ann"], address=NEAR)
    assert owner.status == 303
    held = await post_login(guesser, served.base, "ann", PASSWORDS["ann"], address=FAR)
    assert held.status == 429
    # Each further failure doubles the wait: 1, 2, 4 minutes...
    waits = []
    for _ in range(3):
        clock.advance(seconds=int(held.headers["Retry-After"]))
        wrong = await post_login(guesser, served.base, "ann", "wrong-password", address=FAR)
        assert wrong.status == 401
        held = await post_login(guesser, served.base, "ann", "again", address=FAR)
        assert held.status == 429
        waits.append(int(held.headers["Retry-After"]))
    assert waits == [120, 240, 480]
    rows = users.access_log(served.store, actor=A_SUPERVISOR)
    log = [(row["event"], row["user"], row["address"], row["detail"]) for row in rows]
    assert log.count(("login_failed", "ann", FAR, "")) == 8
    assert ("login", "ann", NEAR, "") in log
    assert ("refused", "ann", FAR, "too many failed logins: wait 60 s") in log


async def test_failed_logins_from_one_address_throttle_it_for_every_name(served, browser_session):
    session = browser_session()
    for n in range(20):
        guess = await post_login(session, served.base, f"name{n}", "guess-guess", address=FAR)
        assert guess.status == 401
    locked = await post_login(session, served.base, "sue", PASSWORDS["sue"], address=FAR)
    assert locked.status == 429
    elsewhere = await post_login(session, served.base, "sue", PASSWORDS["sue"], address=NEAR)
    assert elsewhere.status == 303


async def test_unknown_user_and_wrong_password_get_the_same_answer(served, browser_session):
    session = browser_session()
    unknown = await post_login(session, served.base, "zoe", "some-password")
    wrong = await post_login(session, served.base, "ann", "some-password")
    assert unknown.status == wrong.status == 401
    assert (await unknown.text()).replace("zoe", "ann") == await wrong.text()


async def test_a_download_reaches_only_the_session_whose_app_made_it(
    served, browser_session, database
):
    ann = await logged_in(browser_session, served.base, "ann")
    bob = await logged_in(browser_session, served.base, "bob")
    url = served.base + "/ws?width=100&height=30"
    async with ann.ws_connect(url, origin=served.base) as websocket:
        await read_until(websocket, "No answer")
        await websocket.send_json(["stdin", CTRL_P])
        await read_until(websocket, "Search")
        await websocket.send_json(["stdin", "Export opt-ins (CSV)"])
        await asyncio.sleep(0.5)
        await websocket.send_json(["stdin", "\r"])
        _, messages = await read_until(websocket, message="deliver_file_start")
        keys = [data for kind, data in messages if kind == "deliver_file_start"]
        assert len(keys) == 1
        download = f"{served.base}/download/{keys[0]}"

        async with bob.get(download) as other:
            assert other.status == 404
        async with browser_session().get(download) as anonymous:
            assert anonymous.status == 401
        async with ann.get(download) as own:
            assert own.status == 200
            assert own.headers["Content-Type"].startswith("text/csv")
            body = await own.read()
    assert body.startswith("\ufeff".encode()) and b"email" in body.lower()
    assert any(
        row["detail"] == "download of another session's file"
        for row in users.access_log(served.store, actor=A_SUPERVISOR)
    )


async def test_the_session_cookie_is_httponly_and_samesite_strict(database, clock):
    for public_url, secure in ((None, False), ("https://prospect.example", True)):
        store = Store(database, clock=clock)
        server = ProspectServer(store, public_url=public_url)
        async with TestServer(server.application(), host="127.0.0.1") as test_server:
            base = str(test_server.make_url("")).rstrip("/")
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
                response = await post_login(s, base, "ann", PASSWORDS["ann"], secure)
        assert response.status == 303
        cookie = next(
            value
            for value in response.headers.getall("Set-Cookie")
            if value.startswith("prospect_session=")
        )
        token = cookie.split(";")[0].split("=", 1)[1]
        assert len(token) >= 43  # 256 bits in URL-safe base64
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert ("Secure" in cookie) is secure
        store.close()


async def test_pages_carry_the_security_headers_and_no_third_party_asset(served, browser_session):
    ann = await logged_in(browser_session, served.base, "ann")
    for path in ("/login", "/"):
        async with browser_session().get(served.base + "/login") as login_page:
            pass
        async with ann.get(served.base + path) as page:
            html = await page.text()
            for response in (page, login_page):
                assert "default-src 'none'" in response.headers["Content-Security-Policy"]
                assert response.headers["X-Frame-Options"] == "DENY"
                assert response.headers["Referrer-Policy"] == "no-referrer"
        assert not re.search(r"(src|href)=\"(https?:)?//", html), html
    async with browser_session().get(served.base + "/", allow_redirects=False) as anonymous:
        assert anonymous.status == 303 and anonymous.headers["Location"] == "/login"


async def test_a_disabled_users_session_ends_at_the_next_request(served, browser_session):
    ann = await logged_in(browser_session, served.base, "ann")
    async with ann.get(served.base + "/", allow_redirects=False) as page:
        assert page.status == 200
    users.disable_user(served.store, "ann", actor=A_SUPERVISOR)
    async with ann.get(served.base + "/", allow_redirects=False) as page:
        assert page.status == 303 and page.headers["Location"] == "/login"
    assert (await post_login(browser_session(), served.base, "ann", PASSWORDS["ann"])).status == 401


async def test_stopping_the_server_puts_open_leads_back_and_logs_no_password(
    database, tmp_path, browser_session
):
    server = await asyncio.to_thread(RunningServer, database, tmp_path / "serve.log")
    try:
        wrong = await post_login(browser_session(), server.url, "ann", "a-wrong-secret")
        assert wrong.status == 401
        ann = await logged_in(browser_session, server.url, "ann")
        websocket = await ann.ws_connect(server.url + "/ws", origin=server.url)
        await read_until(websocket, "No answer")
        assert claimed(database, "ann") is not None
    finally:
        returned = await asyncio.to_thread(server.stop)
    assert returned == 0
    assert claimed(database, "ann") is None
    log = server.output()
    assert "login: ann" in log and "failed login for ann" in log
    with sqlite3.connect(database) as conn:
        logged = " ".join(str(row) for row in conn.execute("SELECT * FROM access_log"))
    for secret in (*PASSWORDS.values(), "a-wrong-secret"):
        assert secret not in log and secret not in logged


async def test_failed_logins_sent_in_parallel_are_counted_exactly(served, browser_session):
    attempts = [
        post_login(browser_session(), served.base, "ann", f"guess-{n}-guess") for n in range(8)
    ]
    statuses = sorted(response.status for response in await asyncio.gather(*attempts))
    assert statuses == [401] * 5 + [429] * 3


async def test_demo_serve_prints_two_users_who_can_log_in(tmp_path, browser_session):
    port = free_port()
    command = [sys.executable, "-m", "prospect_tui", "--db", str(tmp_path / "demo.db")]
    demo = subprocess.Popen(
        [*command, "demo", "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        printed = [await asyncio.to_thread(demo.stdout.readline) for _ in range(2)]
        found = [re.fullmatch(r"demo user (\w+) \((\w+)\), password: (\S+)\n", p) for p in printed]
        assert [(m.group(1), m.group(2)) for m in found] == [
            ("camille", "caller"),
            ("dominique", "supervisor"),
        ]
        base = f"http://127.0.0.1:{port}"
        async with asyncio.timeout(30):
            while True:
                try:
                    response = await post_login(
                        browser_session(), base, found[1].group(1), found[1].group(3)
                    )
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
        assert response.status == 303
    finally:
        demo.terminate()
        await asyncio.to_thread(demo.wait, 30)
    assert demo.returncode == 0


def test_serve_mistakes_are_one_line(tmp_path):
    for options, message in (
        (["--certfile", "cert.pem"], "--certfile and --keyfile go together"),
        (["--certfile", "no.pem", "--keyfile", "no.key"], "cannot load"),
        (["--session-hours", "0"], "--session-hours: a number above 0 and at most 720"),
        (["--max-sessions", "0"], "--max-sessions must be between 1 and 10000"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "prospect_tui", "--db", str(tmp_path / "x.db"), "serve"]
            + options,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("prospect: error: ") and message in done.stderr


async def test_an_app_that_ends_closes_the_page_socket(database, clock, browser_session):
    store = Store(database, clock=clock)
    # The app refuses to start (no such user in the database): the page must not hang.
    server = ProspectServer(store, app_argv=lambda user: app_command(store)("ghost"))
    async with TestServer(server.application(), host="127.0.0.1") as test_server:
        base = str(test_server.make_url("")).rstrip("/")
        ann = await logged_in(browser_session, base, "ann")
        async with ann.ws_connect(base + "/ws", origin=base) as websocket:
            async with asyncio.timeout(30):
                while (await websocket.receive()).type not in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    pass
    store.close()


async def test_disabling_a_user_ends_his_open_app(served, browser_session, database):
    ann = await logged_in(browser_session, served.base, "ann")
    async with ann.ws_connect(served.base + "/ws", origin=served.base) as websocket:
        await read_until(websocket, "No answer")
        users.disable_user(served.store, "ann", actor=A_SUPERVISOR)
        async with asyncio.timeout(30):
            while (await websocket.receive()).type not in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
            ):
                pass
    assert claimed(database, "ann") is None  # ended as with ctrl+q: the lead is back
