"""A worker that fails ends its screen's "Computing…" or "Importing…" in one line, logged.

Before, any error but a UserError left the screen waiting forever.
"""

from __future__ import annotations

import logging
import sqlite3

from prospect_tui.app import make_stats_app
from prospect_tui.core.config import Config
from prospect_tui.screens import import_file, stats
from tests.helpers import add_leads, session


async def shown_when_done(app, pilot, selector: str, busy: str) -> str:
    for _ in range(100):
        text = str(app.screen.query_one(selector).render())
        if text and busy not in text:
            return text
        await pilot.pause(0.05)
    raise AssertionError(f"{selector} still shows {text!r}")


async def test_a_failed_computation_ends_computing_with_the_error(store, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="prospect_tui")
    add_leads(store, "spring", 3)

    def broken(*args, **kwargs):
        raise sqlite3.DatabaseError("database disk image is malformed\nat page 12")

    monkeypatch.setattr(stats.core_stats, "compute", broken)
    app = make_stats_app(store, "alice", config=Config())
    async with app.run_test(size=(140, 50)) as pilot:
        shown = await shown_when_done(app, pilot, "#headline", "Computing")
        assert shown == "✗ DatabaseError: database disk image is malformed"
        assert app.return_code is None
    assert "database disk image is malformed" in caplog.text
    assert any(record.exc_info for record in caplog.records)


async def test_a_failed_import_ends_importing_with_the_error(store, tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.ERROR, logger="prospect_tui")
    monkeypatch.chdir(tmp_path)
    add_leads(store, "spring", 1)
    lead_file = tmp_path / "achat.csv"
    lead_file.write_text("Raison sociale;Tél. standard\r\nACME;01 45 67 89 10\r\n")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(import_file, "import_file", broken)
    async with session(store, size=(120, 40)) as (app, pilot):
        await pilot.press("i", *str(lead_file), "enter", "ctrl+s")
        shown = await shown_when_done(app, pilot, "#report", "Importing")
        assert shown == "✗ OSError: [Errno 28] No space left on device"
        assert app.return_code is None
    assert "No space left on device" in caplog.text
