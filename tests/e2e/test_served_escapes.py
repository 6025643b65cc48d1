"""Served mode: no ESC sequence from the data reaches a browser's terminal (xterm.js runs them
as a terminal would), nor the server's log, nor the access log, even from the login form.
"""

from __future__ import annotations

import asyncio
import sqlite3

import aiohttp

from prospect_tui.core import users
from prospect_tui.core.store import Store
from tests.e2e.served import RunningServer, served_database
from tests.e2e.test_serve_protocol import logged_in, post_login, read_until
from tests.helpers import A_SUPERVISOR

TITLE = "\x1b]0;pwned\x07"  # OSC 0: the terminal's window title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: writes "pwned" to the clipboard
LEAVE = "\x1b[?1049l"  # leaves the alternate screen
PAYLOADS = ("\x1b]0;pwned", "\x1b]52;", "\x1b[?1049l")


def assert_none_sent(shown: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in shown, f"{payload!r} reached {where}"


async def test_no_escape_sequence_reaches_the_browser_or_the_logs(tmp_path):
    database = served_database(tmp_path)
    with sqlite3.connect(database) as conn:
        conn.execute(
            "UPDATE leads SET company = company || ?, contact_name = ?, source = ?",
            (TITLE + LEAVE, f"Jean{CLIPBOARD}", f"Kompass{TITLE}"),
        )
    server = await asyncio.to_thread(RunningServer, database, tmp_path / "serve.log")
    opened = []

    def start() -> aiohttp.ClientSession:
        opened.append(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
        return opened[-1]

    try:
        intruder = await post_login(start(), server.url, f"admin{TITLE}{LEAVE}", "guess-guess")
        assert intruder.status == 401
        ann = await logged_in(start, server.url, "ann")
        async with ann.ws_connect(server.url + "/ws", origin=server.url) as websocket:
            screen, _ = await read_until(websocket, "No answer")
        assert_none_sent(screen, "the browser's terminal")
        assert "␛[?1049l" in screen and "Kompass␛]0;pwned␇" in screen  # shown escaped
    finally:
        await asyncio.to_thread(server.stop)
        for session in opened:
            await session.close()
    log = server.output()
    assert "failed login for admin␛]0;pwned␇␛[?1049l" in log
    assert_none_sent(log, "the server's log")
    store = Store(database)
    names = [
        row["user"]
        for row in users.access_log(store, actor=A_SUPERVISOR)
        if row["event"] == "login_failed"
    ]
    store.close()
    assert names == ["admin␛]0;pwned␇␛[?1049l"]
