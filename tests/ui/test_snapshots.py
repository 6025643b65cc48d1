"""Snapshots of the key screens (pytest-textual-snapshot), with fixed data and a fixed clock.

After a deliberate change of look: `pytest tests/ui/test_snapshots.py --snapshot-update`,
then review the SVG files in git. They are drawn by the Textual version pinned in pyproject.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from textual.widgets import Input

from prospect_tui.app import make_app, make_stats_app
from prospect_tui.core.config import Config
from prospect_tui.core.dialing import Dialer
from prospect_tui.screens import session
from tests.helpers import add_leads


@pytest.fixture(autouse=True)
def still_call_timer(monkeypatch):
    """The session's call timer reads a monotonic clock: stopped, it always shows 0:00."""
    monkeypatch.setattr(session, "time", SimpleNamespace(monotonic=lambda: 1000.0))


@pytest.fixture
def spring(store, clock):
    """Ten leads; alice and bob made four calls an hour ago."""
    campaign = add_leads(store, "spring", 10)
    clock.advance(hours=-1)
    for caller, code in (("alice", "refused"), ("bob", "busy"), ("alice", "no_answer")):
        dialer = Dialer(store, caller, campaign)
        lead = dialer.next_lead()
        dialer.record(lead["id"], code, started_at=store.clock(), duration_s=60)
    clock.advance(hours=1)
    return campaign


def still(app):
    """No animation: an indeterminate progress bar would be drawn where the clock left it."""
    app.animation_level = "none"
    return app


def steady_cursor(pilot) -> None:
    """A blinking cursor is drawn or not depending on the instant of the screenshot."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def figures_shown(pilot) -> None:
    for _ in range(100):
        if "Computing" not in str(pilot.app.screen.query_one("#headline").render()):
            return
        await pilot.pause(0.05)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_session(snap_compare, store, spring, size):
    assert snap_compare(
        still(make_app(store, "alice", "spring", config=Config())), terminal_size=size
    )


def test_opt_in_form(snap_compare, store, spring):
    async def type_address(pilot) -> None:
        await pilot.press("7")
        await pilot.pause()
        steady_cursor(pilot)
        await pilot.press(*"jean.dupont@gmial.com")

    app = still(make_app(store, "alice", "spring", config=Config()))
    assert snap_compare(app, terminal_size=(100, 32), run_before=type_address)


def test_stats_screen(snap_compare, store, spring):
    app = still(make_stats_app(store, "alice", config=Config()))
    assert snap_compare(app, terminal_size=(140, 50), run_before=figures_shown)


def test_import_screen(snap_compare, store, spring, tmp_path, monkeypatch):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "achat.csv").write_text("Raison sociale;Tél. standard\r\nACME;01 45 67 89 10\r\n")
    monkeypatch.chdir(lists)

    async def preview(pilot) -> None:
        await pilot.press("i")
        await pilot.pause()
        steady_cursor(pilot)
        await pilot.press(*"achat.csv", "enter")
        for _ in range(100):
            if "data rows" in str(pilot.app.screen.query_one("#layout").render()):
                break
            await pilot.pause(0.05)
        await pilot.pause(0.3)  # the file tree lists the folder in a worker

    app = still(make_app(store, "alice", "spring", config=Config()))
    assert snap_compare(app, terminal_size=(120, 40), run_before=preview)
