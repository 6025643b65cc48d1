"""`prospect serve` under load and misuse: malformed requests, bounded sessions, one live
session per user, the supervisor's first screen. Spoken to as textual-serve's page speaks.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from prospect_tui.core import users
from prospect_tui.core.store import Store
from prospect_tui.serve.server import TAKEN_OVER, ProspectServer, app_command
from tests.e2e.served import PASSWORDS, RunningServer, served_database
from tests.e2e.test_serve_protocol import claimed, logged_in, read_until
from tests.helpers import A_SUPERVISOR

ESCAPE = "\x1b"
ELSEWHERE = "This session was opened in another tab or browser."

MALFORMED = (
    b"\x00\x01\x02\xff garbage\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET /\x1b]0;owned\x07 HTTP/1.1\r\n\r\n",
)


def send_raw(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(payload)
        return raw.recv(100)


async def test_a_malformed_request_is_one_log_line(tmp_path):
    server = await asyncio.to_thread(
        RunningServer, served_database(tmp_path), tmp_path / "serve.log"
    )
    try:
        before = server.output().splitlines()
        for payload in MALFORMED:
            answer = await asyncio.to_thread(send_raw, server.port, payload)
            assert answer.startswith(b"HTTP/1.0 400")
    finally:
        await asyncio.to_thread(server.stop)
    lines = server.output().splitlines()[len(before) :]
    malformed = [line for line in lines if "malformed request from 127.0.0.1" in line]
    assert len(malformed) == len(MALFORMED), lines
    assert "Traceback" not in server.output()
    assert not any("\x1b" in line or "\x00" in line for line in lines)
    assert len([line for line in lines if "aiohttp" in line]) == len(MALFORMED), lines


@pytest.fixture
def database(tmp_path):
    return served_database(tmp_path)


@pytest.fixture
async def serve(database, clock):
    """Starts a ProspectServer on a free port in this loop: `await serve(max_sessions=1)`."""
    running: list[tuple[TestServer, Store]] = []

    async def start(**options) -> ProspectServer:
        store = Store(database, clock=clock)
        server = ProspectServer(store, **options)
        test_server = TestServer(server.application(), host="127.0.0.1")
        await test_server.start_server()
        server.base = str(test_server.make_url("")).rstrip("/")
        running.append((test_server, store))
        return server

    yield start
    for test_server, store in running:
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


def served_apps() -> dict[int, int]:
    """The app processes this test process started (the server runs in it): pid -> RSS."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"--served" in command:
            rss = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "")
            found[int(entry.name)] = int(rss.split()[1]) * 1024 if rss else 0
    return found


async def until_closed(websocket) -> tuple[int, str]:
    """Reads the page's socket until it closes: the close code and reason."""
    async with asyncio.timeout(60):
        while True:
            received = await websocket.receive()
            if received.type == aiohttp.WSMsgType.CLOSE:
                return received.data, received.extra or ""
            if received.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return websocket.close_code or 0, ""


async def outcome(websocket) -> tuple[str, str]:
    """("live", screen) once a lead is on screen, or ("closed", reason) when told to go."""
    screen = ""
    async with asyncio.timeout(120):
        while "No answer" not in screen:
            received = await websocket.receive()
            if received.type == aiohttp.WSMsgType.BINARY:
                screen += received.data.decode("utf-8", "replace")
            elif received.type == aiohttp.WSMsgType.CLOSE:
                assert received.data == TAKEN_OVER, received
                return "closed", received.extra
            elif received.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                raise AssertionError("closed without a reason")
    return "live", screen


async def test_fifty_pages_of_one_user_run_one_app_at_a_time(serve, browser_session, database):
    served = await serve()
    ann = await logged_in(browser_session, served.base, "ann")
    peak = {"apps": 0, "rss": 0}
    sampling = True

    async def sample() -> None:
        while sampling:
            apps = await asyncio.to_thread(served_apps)
            peak["apps"] = max(peak["apps"], len(apps))
            peak["rss"] = max(peak["rss"], sum(apps.values()))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    try:
        url = served.base + "/ws?width=100&height=30"
        pages = await asyncio.gather(*(ann.ws_connect(url, origin=served.base) for _ in range(50)))
        results = await asyncio.gather(*(outcome(page) for page in pages))
    finally:
        sampling = False
        await sampler
    live = [screen for kind, screen in results if kind == "live"]
    assert len(live) == 1
    assert [reason for kind, reason in results if kind == "closed"] == [ELSEWHERE] * 49
    assert peak["apps"] == 1, peak
    assert peak["rss"] < 200 * 1024 * 1024, peak
    assert claimed(database, "ann") in live[0]
    with sqlite3.connect(database) as conn:
        held = conn.execute("SELECT count(*) FROM leads WHERE claimed_by = 'ann'").fetchone()
    assert held == (1,)
    for page in pages:
        await page.close()


async def test_a_second_login_takes_over_and_shows_the_same_lead(serve, browser_session, database):
    served = await serve()
    url = served.base + "/ws?width=100&height=30"
    bob = await logged_in(browser_session, served.base, "bob")
    bob_page = await bob.ws_connect(url, origin=served.base)
    await read_until(bob_page, "No answer")
    first_tab = await (await logged_in(browser_session, served.base, "ann")).ws_connect(
        url, origin=served.base
    )
    await read_until(first_tab, "No answer")
    ann_lead = claimed(database, "ann")
    await bob_page.close()  # bob leaves: his lead, before ann's in the queue, is free again
    async with asyncio.timeout(30):
        while claimed(database, "bob") is not None:
            await asyncio.sleep(0.1)

    second_tab = await (await logged_in(browser_session, served.base, "ann")).ws_connect(
        url, origin=served.base
    )
    assert await until_closed(first_tab) == (TAKEN_OVER, ELSEWHERE)
    screen, _ = await read_until(second_tab, "No answer")
    assert ann_lead in screen
    with sqlite3.connect(database) as conn:
        held = conn.execute("SELECT company FROM leads WHERE claimed_by = 'ann'").fetchall()
    assert held == [(ann_lead,)]
    assert [service.user for service in served.services.values()].count("ann") == 1
    await second_tab.close()


async def test_a_full_server_says_so_and_starts_nothing(serve, browser_session):
    served = await serve(max_sessions=1)
    ann = await logged_in(browser_session, served.base, "ann")
    page = await ann.ws_connect(served.base + "/ws", origin=served.base)
    await read_until(page, "No answer")
    bob = await logged_in(browser_session, served.base, "bob")
    async with bob.get(served.base + "/") as full:
        assert full.status == 503
        assert (await full.text()) == "The server is full: try again in a few minutes.\n"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await bob.ws_connect(served.base + "/ws", origin=served.base)
    assert refused.value.status == 503
    async with ann.get(served.base + "/") as own:  # hers would take over, not add
        assert own.status == 200
    assert [service.user for service in served.services.values()] == ["ann"]
    assert any(
        row["detail"] == "server full (1 sessions)"
        for row in users.access_log(served.store, actor=A_SUPERVISOR)
    )
    await page.close()


async def test_a_supervisor_opens_on_the_figures_holding_no_lead(serve, browser_session, database):
    store = Store(database)
    started: list[list[str]] = []

    def argv(user: str) -> list[str]:
        started.append(app_command(store)(user))
        return started[-1]

    served = await serve(app_argv=argv)
    sue = await logged_in(browser_session, served.base, "sue")
    async with sue.ws_connect(served.base + "/ws?width=100&height=30", origin=served.base) as page:
        await read_until(page, "switchboard")
        await asyncio.sleep(1.0)
        assert claimed(database, "sue") is None
        await page.send_json(["stdin", ESCAPE])  # leaves the figures to call
        async with asyncio.timeout(30):
            while (lead := claimed(database, "sue")) is None:
                await asyncio.sleep(0.1)
        await read_until(page, lead)
    assert "--figures-first" in started[0]
    ann = await logged_in(browser_session, served.base, "ann")
    async with ann.ws_connect(served.base + "/ws", origin=served.base) as page:
        await read_until(page, "No answer")
    assert "--figures-first" not in started[1]
    store.close()


CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# What the page's websocket receives (xterm paints on a canvas), recorded before its scripts.
RECORDER = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  window.__screen = "";
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") {
          window.__screen += decoder.decode(event.data, {stream: true});
        }
      });
    }
  };
})();
"""


@pytest.fixture
def chromium(tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opened = []

    def start():
        options = Options()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tmp_path / f'profile-{len(opened)}'}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        opened.append(driver)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
        return driver

    yield start
    for driver in opened:
        driver.quit()


def wait_for(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def browser_log_in(driver, url: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def calls_of(database: Path, caller: str) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT count(*) FROM calls WHERE caller = ?", (caller,)).fetchone()[0]


def test_in_the_browser_keys_work_at_once_and_a_second_login_takes_over(tmp_path, chromium):
    from selenium.webdriver.common.action_chains import ActionChains

    database = served_database(tmp_path)
    server = RunningServer(database, tmp_path / "serve.log")
    try:
        first = chromium()
        browser_log_in(first, server.url, "ann")
        lead = wait_for(lambda: claimed(database, "ann"), "ann's lead")
        wait_for(lambda: lead in first.execute_script("return window.__screen"), "the lead")
        # Typed to whatever has the focus, without clicking the page first.
        ActionChains(first).send_keys("1").perform()
        wait_for(lambda: calls_of(database, "ann") == 1, "the call recorded by the key 1")

        held = wait_for(lambda: claimed(database, "ann"), "ann's next lead")
        second = chromium()
        browser_log_in(second, server.url, "ann")
        wait_for(lambda: held in second.execute_script("return window.__screen"), "the lead")
        notice = "return document.body.classList.contains('-closed')"
        wait_for(lambda: first.execute_script(notice), "the first page closed")
        ended = first.execute_script("return document.querySelector('.ended').textContent")
        assert ended == ELSEWHERE
        time.sleep(1.0)
        assert first.current_url == server.url + "/"  # it stays, and did not log out
        assert claimed(database, "ann") == held
    finally:
        server.stop()


def closed_within(port: int, payload: bytes, seconds: float) -> tuple[bytes, float]:
    """Sends `payload`, never the rest: what the server answers and when it hangs up."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as raw:
        raw.sendall(payload)
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    return answer, time.monotonic() - started


async def test_slow_headers_and_a_slow_login_form_are_cut_off(tmp_path):
    server = await asyncio.to_thread(
        RunningServer, served_database(tmp_path), tmp_path / "serve.log"
    )
    try:
        headers = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        form = (
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nusername=an"
        )
        (_, slow_headers), (answer, slow_form) = await asyncio.gather(
            asyncio.to_thread(closed_within, server.port, headers, 40),
            asyncio.to_thread(closed_within, server.port, form, 40),
        )
    finally:
        await asyncio.to_thread(server.stop)
    assert slow_headers < 25
    assert answer.startswith(b"HTTP/1.1 408") and slow_form < 25
