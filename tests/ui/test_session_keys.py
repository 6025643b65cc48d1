"""Pilot tests for the session's other keys: forms for 4 and 5, undo, note, skip, find, pause."""

from __future__ import annotations

from prospect_tui.screens.callback_form import CallbackForm
from prospect_tui.screens.confirm import ConfirmScreen
from prospect_tui.screens.help import HelpScreen
from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.switchboard import SwitchboardScreen
from tests.helpers import add_leads, card_text, session


def outcomes(store) -> list[tuple[int, str, bool]]:
    rows = store.rows("SELECT lead_id, outcome, undone_at FROM calls ORDER BY id")
    return [(r["lead_id"], r["outcome"], r["undone_at"] is not None) for r in rows]


async def test_switchboard_form_records_on_enter_even_when_empty(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("4")
        await pilot.pause()
        assert isinstance(app.screen, SwitchboardScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
    assert outcomes(store) == [(1, "switchboard", False)]


async def test_switchboard_info_is_kept_and_the_direct_line_is_dialled_next_time(store, clock):
    add_leads(store, "spring", 1)
    async with session(store) as (app, pilot):
        await pilot.press("4")
        await pilot.press(*"Marc Durand", "tab", *"06 12 34 56 78", "tab", *"mardi matin")
        await pilot.press("enter")
        await pilot.pause()
    lead = store.lead(1)
    assert (lead["manager_name"], lead["direct_line_e164"], lead["best_time"]) == (
        "Marc Durand",
        "+33612345678",
        "mardi matin",
    )
    # The call that learnt the direct line was dialled on the switchboard's number.
    first = store.row("SELECT dialled_e164 FROM calls ORDER BY id")["dialled_e164"]
    assert first == store.lead(1)["phone_e164"] != "+33612345678"
    clock.advance(days=3)
    async with session(store) as (app, pilot):
        text = card_text(app)
        assert "Direct line  06 12 34 56 78" in text and "Marc Durand" in text
        await pilot.press("1")
        await pilot.pause()
    assert store.row("SELECT dialled_e164 FROM calls ORDER BY id DESC")["dialled_e164"] == (
        "+33612345678"
    )


async def test_switchboard_form_refuses_a_bad_direct_line(store):
    add_leads(store, "spring", 1)
    async with session(store) as (app, pilot):
        await pilot.press("4", "tab", *"12", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SwitchboardScreen)
        assert "not a valid phone number" in str(app.screen.query_one("#form-error").render())
    assert outcomes(store) == []


async def test_callback_quick_choice_sets_a_callback_for_me(store, clock):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("5")
        await pilot.pause()
        assert isinstance(app.screen, CallbackForm)
        await pilot.press("1", "enter")
        await pilot.pause()
        assert "Société 001" in card_text(app)
    callback = store.row("SELECT lead_id, due_at, owner, asked_by FROM callbacks")
    assert callback == {
        "lead_id": 1,
        "due_at": "2026-11-23T11:00:00Z",
        "owner": "alice",
        "asked_by": "manager",
    }


async def test_undo_takes_back_the_last_outcome_and_shows_that_lead_again(store):
    add_leads(store, "spring", 3)
    async with session(store) as (app, pilot):
        await pilot.press("6")
        await pilot.pause()
        assert "Société 001" in card_text(app)
        await pilot.press("u")
        await pilot.pause()
        assert "Société 000" in card_text(app)
        assert store.lead(2)["claimed_by"] is None  # the lead it replaced went back
        await pilot.press("2")
        await pilot.pause()
    assert outcomes(store) == [(1, "refused", True), (1, "busy", False)]
    assert store.lead(1)["status"] == "open"
    assert store.lead(2)["claimed_by"] == "alice"  # released by undo, offered again after


async def test_note_is_appended_to_the_lead(store):
    add_leads(store, "spring", 1)
    async with session(store) as (app, pilot):
        await pilot.press("n", *"rappeler après le salon", "enter")
        await pilot.pause()
        assert "rappeler après le salon" in card_text(app)
    assert store.lead(1)["notes"].endswith("alice: rappeler après le salon")


async def test_skip_moves_on_without_an_outcome(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("s")
        await pilot.pause()
        assert "Société 001" in card_text(app)
    assert outcomes(store) == []
    assert store.lead(1)["claimed_by"] is None


async def test_find_jumps_to_a_lead_by_phone(store):
    add_leads(store, "spring", 5)
    async with session(store) as (app, pilot):
        await pilot.press("slash", *"01 42 68 00 03")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "Société 003" in card_text(app)
    assert store.lead(1)["claimed_by"] is None
    assert store.lead(4)["claimed_by"] == "alice"


async def test_pause_blocks_outcomes_and_is_recorded(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("p")
        await pilot.pause()
        assert "PAUSED" in str(app.screen.query_one("#status").render())
        await pilot.press("1")
        await pilot.press("p")
        await pilot.pause()
    assert outcomes(store) == []
    pause = store.row("SELECT caller, started_at, ended_at FROM pauses")
    assert pause["caller"] == "alice" and pause["ended_at"] is not None


async def test_help_lists_every_key(store):
    add_leads(store, "spring", 1)
    async with session(store, size=(100, 40)) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        for label in ("No answer", "Opt-in", "Undo", "Find", "Pause", "Callbacks"):
            assert label in text


async def test_opt_out_key_suppresses_the_number_and_moves_on(store):
    from prospect_tui.core.suppression import is_suppressed

    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # asks once
        await pilot.press("enter")
        await pilot.pause()
        assert "Société 001" in card_text(app)
    assert is_suppressed(store.conn, "phone", "+33142680000")
    assert store.lead(1)["status"] == "done"


async def test_outside_calling_hours_the_caller_is_told_why_and_may_override(store, clock):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)  # a Sunday
    add_leads(store, "spring", 2, {"calling_hours": "mon-fri 09:00-12:30,14:00-18:30"})
    async with session(store) as (app, pilot):
        text = card_text(app)
        assert "Outside calling hours" in text and "press h" in text.lower()
        await pilot.press("h", *"client demande rappel dimanche", "enter")
        await pilot.pause()
        assert "Société 000" in card_text(app)
    logged = store.row("SELECT caller, reason FROM hours_overrides")
    assert logged == {"caller": "alice", "reason": "client demande rappel dimanche"}


async def test_settings_screen_validates_and_saves_a_setting(store):
    from prospect_tui.core.campaigns import campaign_settings
    from prospect_tui.screens.settings import SettingsScreen

    add_leads(store, "spring", 1)
    async with session(store, size=(120, 40)) as (app, pilot):
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        table = app.screen.query_one("#settings")
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=keys.index("max_attempts"))
        await pilot.press("enter")
        editor = app.screen.query_one("#value")
        editor.value = "zero"
        await pilot.press("enter")
        await pilot.pause()
        assert "not a whole number" in str(app.screen.query_one("#settings-error").render())
        editor.value = "3"
        await pilot.press("enter")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.dialer.settings["max_attempts"] == 3
    assert campaign_settings(store.campaign("spring"))["max_attempts"] == 3


async def test_script_panel_asks_for_the_known_it_manager_by_name(store):
    add_leads(store, "spring", 1)
    with store.write() as conn:
        conn.execute("UPDATE leads SET manager_name = 'Marc Durand' WHERE id = 1")
    async with session(store) as (app, pilot):
        assert not app.screen.query_one("#script-panel").display  # too narrow by default
        await pilot.press("k")
        await pilot.pause()
        script = str(app.screen.query_one("#script").render())
        assert "Marc Durand" in script and "Société 000" in script
