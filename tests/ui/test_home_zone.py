"""Every time a caller types or reads follows `home_timezone`: here New York, where the
injected clock (Monday 23 November 2026, 10:00 UTC) reads 05:00, UTC-5."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from textual.widgets import DataTable

from prospect_tui.app import make_stats_app
from prospect_tui.core.clock import iso, parse_iso
from prospect_tui.core.config import Config
from tests.helpers import add_leads, burst, card_text, screen_text, session
from tests.ui.test_stats_screen import call, wait_for_headline

NEW_YORK = Config(home_timezone="America/New_York")


async def test_a_callback_typed_14_30_is_14_30_in_the_home_zone(store):
    add_leads(store, "spring", 2)
    async with session(store, config=NEW_YORK) as (app, pilot):
        await burst(pilot, "5", *"14:30", "enter")
        await pilot.pause()
    (due,) = [parse_iso(r["due_at"]) for r in store.rows("SELECT due_at FROM callbacks")]
    assert due.astimezone(ZoneInfo("America/New_York")).isoformat() == "2026-11-23T14:30:00-05:00"


async def test_the_callback_list_shows_due_times_in_the_home_zone(store):
    add_leads(store, "spring", 2)
    async with session(store, config=NEW_YORK) as (app, pilot):
        await burst(pilot, "5", *"2", "enter")
        await pilot.pause()
        # Due at 19:30 UTC: 14:30 in New York (20:30 in Paris).
        with store.write() as db:
            db.execute(
                "UPDATE callbacks SET due_at = ?",
                (iso(datetime(2026, 11, 23, 19, 30, tzinfo=UTC)),),
            )
        await burst(pilot, "c")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[0]) == "Mon 23/11 14:30"


async def test_the_lead_card_dates_past_calls_in_the_home_zone(store, clock):
    add_leads(store, "spring", 1)
    async with session(store, config=NEW_YORK) as (app, pilot):
        await burst(pilot, "1")  # no answer at 10:00 UTC, 05:00 in New York
        await pilot.pause()
    clock.advance(hours=2)
    async with session(store, config=NEW_YORK) as (app, pilot):
        await pilot.pause()
        assert "23/11 05:00" in card_text(app)


async def test_the_figures_count_the_days_of_the_home_zone(store, clock):
    campaign = add_leads(store, "spring", 5, settings={"calling_hours": "off"})
    clock.advance(hours=-6)  # 04:00 UTC: Sunday 23:00 in New York, Monday 05:00 in Paris
    call(store, "alice", campaign, "refused")
    clock.advance(hours=6)
    call(store, "alice", campaign, "busy")
    app = make_stats_app(store, "alice", config=NEW_YORK)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for_headline(app, pilot, "1 calls")
        app.screen.query_one("#period").value = "week"  # Monday to Sunday, in New York too
        await wait_for_headline(app, pilot, "1 calls")
        app.screen.query_one("#period").value = "lastweek"
        await wait_for_headline(app, pilot, "1 calls")


async def test_a_note_is_dated_on_the_home_zones_clock(store):
    add_leads(store, "spring", 1)
    async with session(store, config=NEW_YORK) as (app, pilot):
        await burst(pilot, "n", *"DSI absent", "enter")
        await pilot.pause()
        assert "23/11 05:00 alice: DSI absent" in card_text(app)
    assert store.lead(1)["notes"] == "23/11 05:00 alice: DSI absent"


async def test_when_no_lead_is_left_the_next_one_is_timed_in_the_home_zone(store):
    add_leads(store, "spring", 1)
    async with session(store, config=NEW_YORK) as (app, pilot):
        await burst(pilot, "1")  # no answer at 05:00 in New York: retried two hours later
        await pilot.pause()
        assert "1 waiting for retry, next at 07:00" in screen_text(app)
