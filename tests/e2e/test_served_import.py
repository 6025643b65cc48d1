"""Importing from a browser session: only the import folder and the session's uploads, spoken
to as textual-serve's page does (websocket), with uploads posted as the upload form does.
"""

from __future__ import annotations

import asyncio
import os
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from prospect_tui.cli import main
from prospect_tui.core.import_folder import session_uploads
from prospect_tui.core.store import Store
from prospect_tui.serve import server as server_module
from prospect_tui.serve.server import ProspectServer
from tests.e2e.served import RunningServer, served_database
from tests.e2e.test_serve_protocol import claimed, logged_in, read_until

SECRET = "5ec2e7d1a0b9c8f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d"
LEADS = (
    "Raison sociale;Tél. standard;Ville\r\n"
    "Boulangerie Upload;01 45 67 89 10;Paris\r\n"
    "Garage Upload;03 88 12 34 56;Strasbourg\r\n"
)
CTRL_U = "\x15"  # the path field: delete what was typed
CTRL_S = "\x13"
ESCAPE = "\x1b"


@pytest.fixture
async def served(tmp_path, clock):
    database = served_database(tmp_path)
    store = Store(database, clock=clock)
    imports = tmp_path / "imports"
    imports.mkdir()
    (imports / "achat.csv").write_text(LEADS, encoding="utf-8")
    (tmp_path / "consent.key").write_text(SECRET + "\n")
    (imports / "cle.csv").symlink_to(tmp_path / "consent.key")
    server = ProspectServer(store, import_folder=imports.resolve())
    test_server = TestServer(server.application(), host="127.0.0.1")
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    yield server
    await test_server.close()
    store.close()


@pytest.fixture
async def browser():
    opened = []

    def start() -> aiohttp.ClientSession:
        opened.append(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)))
        return opened[-1]

    yield start
    for session in opened:
        await session.close()


async def upload(session, base: str, name: str, body: bytes, token: str | None = None):
    """The upload form as a browser sends it: the page's CSRF token first, then the file."""
    if token is None:
        async with session.get(base + "/upload") as form:
            token = re.search(r'name="csrf" value="([^"]+)"', await form.text()).group(1)
    data = aiohttp.FormData()
    data.add_field("csrf", token)
    data.add_field("file", body, filename=name, content_type="text/csv")
    async with session.post(base + "/upload", data=data) as response:
        return response.status, await response.text()


async def calling_session(websocket, database) -> None:
    """Waits for the calling session on a lead; a supervisor opening on the figures (their
    footer offers Refresh) leaves them with Escape."""
    screen, _ = await read_until(websocket, "No answer")
    if "Refresh" in screen:
        await websocket.send_json(["stdin", ESCAPE])
        screen = ""
    async with asyncio.timeout(30):
        while not (lead := claimed(database, "sue")):
            await asyncio.sleep(0.1)
    if lead not in screen:
        await read_until(websocket, lead)


async def path_field_ready(websocket) -> None:
    """Waits until keys land in the path field: a probe key typed until it shows there (keys
    sent while the screen opens may reach the screen below, issue #19)."""
    for _ in range(30):
        await websocket.send_json(["stdin", "#"])
        try:
            await read_until(websocket, "#", timeout=1)
            return
        except TimeoutError:
            continue
    raise AssertionError("the path field never took the keys")


async def type_path(websocket, typed: str, wanted: str) -> str:
    """The path field emptied, `typed` entered; the screen until `wanted` shows."""
    # ctrl+u alone first: a binding runs after the printable keys sent with it.
    await websocket.send_json(["stdin", CTRL_U])
    await read_until(websocket, "File name from the list")
    await websocket.send_json(["stdin", typed + "\r"])
    screen, _ = await read_until(websocket, wanted)
    return screen


async def test_a_browser_session_reaches_no_file_outside_the_import_folder(served, browser):
    sue = await logged_in(browser, served.base, "sue")
    before = served.store.count_leads()
    url = served.base + "/ws?width=120&height=40"
    async with sue.ws_connect(url, origin=served.base) as websocket:
        await calling_session(websocket, served.store.path)
        await websocket.send_json(["stdin", "i"])
        screen, _ = await read_until(websocket, "achat.csv")
        # No folder tree of the server's disk; a link out of the folder is not even listed.
        assert os.getcwd() not in screen and "cle.csv" not in screen
        assert "Upload a file" in screen
        await path_field_ready(websocket)
        seen = await type_path(websocket, "/etc/passwd", "outside the import folder")
        seen += await type_path(websocket, "../consent.key", "is not allowed")
        seen += await type_path(websocket, "cle.csv", "cle.csv is outside the import folder")
        await websocket.send_json(["stdin", CTRL_S])  # a refused file is not imported
        seen += await type_path(websocket, "achat.csv", "2 data rows")
    assert SECRET[:12] not in seen and "root:" not in seen
    assert served.store.count_leads() == before


async def test_an_uploaded_file_is_listed_and_imported_by_a_supervisor(served, browser):
    sue = await logged_in(browser, served.base, "sue")
    async with sue.get(served.base + "/") as page:
        assert 'href="/upload"' in await page.text()
    status, page = await upload(sue, served.base, "Liste-Mars.csv", LEADS.encode())
    assert status == 200 and "Liste-Mars.csv is uploaded" in page
    (saved,) = [p for p in (served.import_folder / ".uploads").rglob("*") if p.is_file()]
    assert saved.name == "Liste-Mars.csv" and saved.stat().st_mode & 0o777 == 0o600
    before = served.store.count_leads()
    url = served.base + "/ws?width=120&height=40"
    async with sue.ws_connect(url, origin=served.base) as websocket:
        await calling_session(websocket, served.store.path)
        await websocket.send_json(["stdin", "i"])
        await read_until(websocket, "uploaded")
        await path_field_ready(websocket)
        await type_path(websocket, "Liste-Mars.csv", "2 data rows")
        await websocket.send_json(["stdin", CTRL_S])
        await read_until(websocket, "2 imported")
    assert served.store.count_leads() == before + 2
    companies = {r["company"] for r in served.store.rows("SELECT company FROM leads")}
    assert {"Boulangerie Upload", "Garage Upload"} <= companies
    async with sue.get(served.base + "/logout") as response:
        await response.read()
    assert not saved.parent.exists()  # a session's uploads end with it


async def test_an_upload_needs_the_session_its_token_and_the_import_role(
    served, browser, monkeypatch
):
    anonymous = browser()
    async with anonymous.post(served.base + "/upload", allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/login"
    sue = await logged_in(browser, served.base, "sue")
    status, _ = await upload(sue, served.base, "a.csv", LEADS.encode(), token="forged")
    assert status == 403
    status, _ = await upload(sue, served.base, "id_rsa.pem", b"key")
    assert status == 415
    monkeypatch.setattr(server_module, "MAX_UPLOAD_BYTES", 1000)
    status, page = await upload(sue, served.base, "big.csv", LEADS.encode() * 100)
    assert status == 413 and "larger than" in page
    ann = await logged_in(browser, served.base, "ann")  # a caller may not import
    async with ann.get(served.base + "/") as page:
        assert "/upload" not in await page.text()
    status, page = await upload(ann, served.base, "a.csv", LEADS.encode())
    assert status == 403 and "Only a supervisor" in page
    assert not any(p.is_file() for p in (served.import_folder / ".uploads").rglob("*"))
    mine = session_uploads(served.import_folder, "x").parent
    assert not mine.exists() or mine.stat().st_mode & 0o777 == 0o700


def test_serve_refuses_an_import_folder_holding_the_database(tmp_path, capsys):
    database = served_database(tmp_path)
    assert main(["--db", str(database), "serve", "--import-folder", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds" in err and "served.db" in err


def test_a_restarted_server_drops_the_uploads_of_the_sessions_it_ended(tmp_path):
    database = served_database(tmp_path)
    imports = tmp_path / "imports"
    left = session_uploads(imports, "a session of the last run")
    left.mkdir(parents=True)
    (left / "liste.csv").write_text(LEADS)
    (imports / "achat.csv").write_text(LEADS)
    running = RunningServer(database, tmp_path / "serve.log", "--import-folder", str(imports))
    try:
        assert not left.exists() and (imports / "achat.csv").exists()
    finally:
        running.stop()
