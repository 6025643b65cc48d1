"""The session with colleagues on the same file: a busy database, the claim's heartbeat, undo
after a colleague took the lead, an outcome on a lead someone else holds."""

from __future__ import annotations

import asyncio
import sqlite3

from prospect_tui.app import make_app
from prospect_tui.core.config import Config
from prospect_tui.core.dialing import Dialer
from prospect_tui.core.store import Store
from tests.helpers import add_leads, card_text


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_busy_database_is_retried_and_the_lead_stays_until_committed(store):
    add_leads(store, "spring", 2)
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        blocker = sqlite3.connect(store.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # a colleague's long write
        await pilot.press("1")
        await pilot.pause()
        assert "database busy, retrying" in notes(app)
        assert "Société 000" in card_text(app)
        assert store.scalar("SELECT count(*) FROM calls") == 0
        await pilot.press("6")  # not taken for the lead still on screen
        blocker.execute("COMMIT")
        blocker.close()
        for _ in range(40):
            await asyncio.sleep(0.1)
            if "Société 001" in card_text(app):
                break
        assert "Société 001" in card_text(app)
    assert store.rows("SELECT lead_id, outcome FROM calls") == [
        {"lead_id": 1, "outcome": "no_answer"}
    ]


async def test_the_heartbeat_keeps_the_lead_on_screen_through_a_long_pause(store, clock):
    campaign = add_leads(store, "spring", 1)
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("p")
        for _ in range(4):  # 36 minutes paused, the heartbeat beating
            clock.advance(minutes=9)
            app.screen.heartbeat()
        assert Dialer(store, "bob", campaign).next_lead() is None
        await pilot.press("p", "6")
        await pilot.pause()
    assert store.rows("SELECT caller, outcome FROM calls") == [
        {"caller": "alice", "outcome": "refused"}
    ]


async def test_a_lead_lost_while_the_screen_was_away_leaves_it(store, clock, tmp_path):
    campaign = add_leads(store, "spring", 2)
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        clock.advance(minutes=11)  # no heartbeat: the session was frozen
        bob = Store(tmp_path / "prospect.db", clock=clock)
        Dialer(bob, "bob", campaign).next_lead()
        app.screen.heartbeat()
        await pilot.pause()
        assert "Société 000 was taken by bob while this screen was away" in notes(app)
        assert "Société 001" in card_text(app)
        bob.close()


async def test_undo_after_a_colleague_took_the_lead_leaves_it_with_him(store, clock, tmp_path):
    campaign = add_leads(store, "spring", 2, {"retry_minutes": {"no_answer": 1}})
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        clock.advance(minutes=2)
        bob = Store(tmp_path / "prospect.db", clock=clock)
        assert Dialer(bob, "bob", campaign).next_lead()["id"] == 1
        await pilot.press("u")
        await pilot.pause()
        assert (
            "Société 000 was called by bob since: your call is cancelled, the lead stays with bob"
            in notes(app)
        )
        assert "Société 001" in card_text(app)
        bob.close()
    assert store.lead(1)["claimed_by"] == "bob"


async def test_the_heartbeat_timer_renews_the_claim_while_a_form_is_open(store, clock, monkeypatch):
    monkeypatch.setattr("prospect_tui.screens.session.HEARTBEAT_S", 0.1)
    campaign = add_leads(store, "spring", 1)
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("7")  # the opt-in form, while the manager spells his address
        await pilot.pause()
        for _ in range(3):
            clock.advance(minutes=9)
            await asyncio.sleep(0.3)
        assert Dialer(store, "bob", campaign).next_lead() is None
        assert store.lead(1)["claimed_by"] == "alice"


async def test_an_outcome_on_a_lead_a_colleague_now_holds_is_refused_in_one_line(
    store, clock, tmp_path
):
    campaign = add_leads(store, "spring", 2)
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        clock.advance(minutes=11)  # the session froze: its claim expired, bob took the lead
        bob = Store(tmp_path / "prospect.db", clock=clock)
        assert Dialer(bob, "bob", campaign).next_lead()["id"] == 1
        await pilot.press("6")
        await pilot.pause()
        assert "Société 000 is on bob's screen: your outcome is not recorded" in notes(app)
        assert "Société 001" in card_text(app)
        bob.close()
    assert store.scalar("SELECT count(*) FROM calls WHERE lead_id = 1") == 0
