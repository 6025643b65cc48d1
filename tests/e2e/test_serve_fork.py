"""`prospect serve --fork`: sessions forked from one warm parent share nothing but its
read-only pages; without the parent, sessions are spawned as before. A session left idle
ends, its lead back in the pool; logins are checked in parallel, and rehashed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher

from prospect_tui.core import users
from prospect_tui.core.store import Store
from prospect_tui.serve import pages
from prospect_tui.serve.server import IDLE_ENDED, ProspectServer, UserAppService
from prospect_tui.serve.zygote import Zygote
from tests.e2e.served import PASSWORDS, RunningServer, served_database
from tests.e2e.test_serve_protocol import (  # noqa: F401 - browser_session: a fixture
    browser_session,  # noqa: F811
    claimed,
    logged_in,
    read_until,
)

forking = pytest.mark.skipif(not Zygote.supported(), reason="fork and pidfd: Linux only")

NO_ANSWER = "1"
# Minutes apart from each other and from the suite's pin (10:00), within a claim's life.
PINS = {"ann": "2026-11-23T10:02:00Z", "bob": "2026-11-23T10:05:00Z"}


@pytest.fixture
def database(tmp_path):
    return served_database(tmp_path)


@pytest.fixture
async def serve(database, clock):
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


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


def open_files(pid: int) -> set[str]:
    found = set()
    for link in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(os.readlink(link))
        except OSError:
            continue
    return found


def app_pid(server: ProspectServer, user: str) -> int:
    (service,) = [s for s in server.services.values() if s.user == user]
    return service._process.pid


async def open_page(server, browser_session, user: str):  # noqa: F811
    session = await logged_in(browser_session, server.base, user)
    return await open_app(server, session, user)


async def open_app(server, session, user: str):
    """The session's page socket, once his lead is on screen: keys then act on it."""
    page = await session.ws_connect(server.base + "/ws?width=100&height=30", origin=server.base)
    screen, _ = await read_until(page, "Today", timeout=60)
    async with asyncio.timeout(30):
        while (company := claimed(server.store.path, user)) is None:
            await asyncio.sleep(0.1)
    if company not in screen:
        screen += (await read_until(page, company, timeout=30))[0]
    return page, screen


def calls_of(database) -> dict[str, list[tuple[int, str]]]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT caller, lead_id, started_at FROM calls").fetchall()
    found: dict[str, list[tuple[int, str]]] = {}
    for caller, lead, started in rows:
        found.setdefault(caller, []).append((lead, started))
    return found


async def calls_made(database, wanted: dict[str, int]) -> dict[str, list[tuple[int, str]]]:
    """The calls recorded, once each user in `wanted` has made his number of them."""
    async with asyncio.timeout(30):
        while True:
            calls = calls_of(database)
            if all(len(calls.get(user, [])) >= count for user, count in wanted.items()):
                return calls
            await asyncio.sleep(0.2)


@pytest.fixture
def pinned_per_user(monkeypatch):
    """Each user's app gets its own clock pin, as it would get its own settings."""
    built = UserAppService._build_environment

    def environment(self, width=80, height=24):
        return {**built(self, width, height), "PROSPECT_NOW": PINS[self.user]}

    monkeypatch.setattr(UserAppService, "_build_environment", environment)


@forking
async def test_two_forked_sessions_record_outcomes_concurrently_sharing_nothing(
    serve,
    browser_session,  # noqa: F811
    database,
):
    server = await serve(fork=True)
    zygote = server.zygote.process.pid
    (ann, _), (bob, _) = await asyncio.gather(
        open_page(server, browser_session, "ann"), open_page(server, browser_session, "bob")
    )
    pids = {user: app_pid(server, user) for user in ("ann", "bob")}
    assert len(set(pids.values())) == 2
    assert all(parent_of(pid) == zygote for pid in pids.values())
    # Each has its own handle on the database; the parent they came from has none.
    db = str(Path(database).resolve())
    assert all(db in open_files(pid) for pid in pids.values())
    assert db not in open_files(zygote)
    assert len(list(Path(f"/proc/{zygote}/task").iterdir())) == 1  # and no thread
    for _ in range(3):
        await asyncio.gather(*(page.send_json(["stdin", NO_ANSWER]) for page in (ann, bob)))
        await asyncio.sleep(0.5)
    calls = await calls_made(database, {"ann": 3, "bob": 3})
    assert len(calls["ann"]) == len(calls["bob"]) == 3
    leads = [lead for user in ("ann", "bob") for lead, _ in calls[user]]
    assert len(set(leads)) == 6  # no lead called by both: no double claim
    for page in (ann, bob):
        await page.close()


@forking
async def test_one_forked_sessions_clock_never_reaches_another(
    serve,
    browser_session,  # noqa: F811
    database,
    pinned_per_user,
):
    server = await serve(fork=True)
    (ann, _), (bob, _) = await asyncio.gather(
        open_page(server, browser_session, "ann"), open_page(server, browser_session, "bob")
    )
    await asyncio.gather(*(page.send_json(["stdin", NO_ANSWER]) for page in (ann, bob)))
    calls = await calls_made(database, {"ann": 1, "bob": 1})
    # Each session's clock is its own pin, never the other's nor the parent's.
    for user, pin in PINS.items():
        assert [started[:16] for _, started in calls[user]] == [pin[:16]], calls[user]
    for page in (ann, bob):
        await page.close()


@forking
async def test_killing_a_forked_session_leaves_the_parent_and_the_other(
    serve,
    browser_session,  # noqa: F811
    database,
):
    server = await serve(fork=True)
    (ann, _), (bob, _) = await asyncio.gather(
        open_page(server, browser_session, "ann"), open_page(server, browser_session, "bob")
    )
    os.kill(app_pid(server, "ann"), signal.SIGKILL)
    async with asyncio.timeout(30):
        while not ann.closed:
            await ann.receive()
    assert server.zygote.alive
    await bob.send_json(["stdin", NO_ANSWER])
    await calls_made(database, {"bob": 1})
    # The parent still forks: ann opens her session again.
    again, screen = await open_page(server, browser_session, "ann")
    assert parent_of(app_pid(server, "ann")) == server.zygote.process.pid
    for page in (again, bob):
        await page.close()


@forking
async def test_sessions_are_spawned_when_the_parent_is_gone(
    serve,
    browser_session,  # noqa: F811
):
    server = await serve(fork=True)
    server.zygote.process.kill()
    await asyncio.to_thread(server.zygote.process.wait)
    page, screen = await open_page(server, browser_session, "ann")
    assert parent_of(app_pid(server, "ann")) == os.getpid()
    await page.close()


async def test_an_idle_session_ends_its_lead_back_in_the_pool_and_the_page_offers_to_resume(
    serve,
    browser_session,  # noqa: F811
    database,
    clock,
):
    server = await serve(idle_minutes=2)
    ann = await logged_in(browser_session, server.base, "ann")
    page, _ = await open_app(server, ann, "ann")
    held = claimed(database, "ann")
    clock.advance(minutes=1)
    await page.send_json(["stdin", "\x1b[B"])  # a key (down): the idle time starts again
    await asyncio.sleep(0.5)  # (the server reads it at 10:01)
    clock.advance(minutes=1, seconds=30)
    await asyncio.sleep(6)  # a sweep went by: 1.5 minutes since the key is not idle yet
    assert not page.closed and claimed(database, "ann") == held
    clock.advance(minutes=1)
    async with asyncio.timeout(30):
        closing = await page.receive()
        while closing.type == aiohttp.WSMsgType.BINARY:
            closing = await page.receive()
    assert (closing.data, closing.extra) == (IDLE_ENDED, pages.TEXTS["en"]["idle"])
    assert claimed(database, "ann") is None  # released as ctrl+q releases it
    # The page offers to resume: its login is still open, and a new app starts on a lead.
    async with ann.get(server.base + "/") as resumed:
        assert 'class="resume" href="/"' in await resumed.text()
    again, _ = await open_app(server, ann, "ann")
    await again.close()


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@forking
async def test_prospect_serve_forks_by_default_and_spawns_with_no_fork(
    tmp_path,
    browser_session,  # noqa: F811
):
    db = served_database(tmp_path)
    for option, forked in (("--fork", True), ("--no-fork", False)):
        server = await asyncio.to_thread(RunningServer, db, tmp_path / f"{option}.log", option)
        try:
            ann = await logged_in(browser_session, server.url, "ann")
            page = await ann.ws_connect(server.url + "/ws", origin=server.url)
            await read_until(page, "Today", timeout=60)
            (app,) = await asyncio.to_thread(descendants, server.process.pid)
            assert (parent_of(app) != server.process.pid) is forked
            await page.close()
        finally:
            await asyncio.to_thread(server.stop)
        assert ("forked from a warm parent" in server.output()) is forked


def descendants(pid: int) -> list[int]:
    """The processes below `pid` that are not a warm parent: the apps."""
    found = []
    for child in children_of(pid):
        if b"prospect_tui.serve.zygote" in Path(f"/proc/{child}/cmdline").read_bytes():
            found += children_of(child)
        else:
            found.append(child)
    return found


async def test_a_login_redoes_a_hash_made_with_older_parameters(serve, browser_session):  # noqa: F811
    server = await serve()
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORDS["ann"])
    users.replace_hash(server.store, "ann", users.stored_hash(server.store, "ann"), old)
    await logged_in(browser_session, server.base, "ann")
    renewed = users.stored_hash(server.store, "ann")
    assert renewed != old and "$m=19456,t=2,p=1$" in renewed
    assert users.password_matches(renewed, PASSWORDS["ann"])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to check in parallel")
async def test_logins_of_different_users_are_checked_in_parallel(
    serve,
    browser_session,  # noqa: F811
    monkeypatch,
):
    server = await serve()
    checking, most = [0], [0]
    check = users.password_matches

    def slow_check(hashed, password):
        checking[0] += 1
        most[0] = max(most[0], checking[0])
        time.sleep(0.3)
        checking[0] -= 1
        return check(hashed, password)

    monkeypatch.setattr(users, "password_matches", slow_check)
    names = ("ann", "bob", "sue")
    await asyncio.gather(*(logged_in(browser_session, server.base, name) for name in names))
    assert most[0] == min(len(names), os.cpu_count() or 1)  # one per core, not one at a time
