"""Pilot tests: each outcome key records one call before the next lead; the opt-in form."""

from __future__ import annotations

import pytest

from prospect_tui.core.config import Config
from prospect_tui.core.outcomes import OUTCOMES
from prospect_tui.screens.optin import OptInScreen
from prospect_tui.screens.session import SessionScreen
from tests.helpers import add_leads, card_text, screen_text, session

# Outcomes that record at once (4, 5 and 7 open a form first).
DIRECT = [o for o in OUTCOMES if o.code not in {"opt_in", "switchboard", "callback"}]


def calls(store) -> list[dict]:
    return store.rows("SELECT lead_id, caller, outcome, duration_s FROM calls ORDER BY id")


@pytest.mark.parametrize("outcome", DIRECT, ids=[o.code for o in DIRECT])
async def test_outcome_key_records_and_shows_next_lead(store, outcome):
    add_leads(store, "spring", 3)
    async with session(store) as (app, pilot):
        assert "Société 000" in card_text(app)
        await pilot.press(outcome.key)
        await pilot.pause()
        assert calls(store) == [
            {
                "lead_id": 1,
                "caller": "alice",
                "outcome": outcome.code,
                "duration_s": pytest.approx(0, abs=5),
            }
        ]
        assert "Société 001" in card_text(app)


async def test_opt_in_saves_a_valid_address_normalized_with_consent(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("7")
        await pilot.pause()
        assert isinstance(app.screen, OptInScreen)
        assert app.screen.focused.id == "email"
        await pilot.press(*"Jean.Dupont@EXEMPLE.fr")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert "Société 001" in card_text(app)
    assert [c["outcome"] for c in calls(store)] == ["opt_in"]
    consent = store.rows("SELECT event, email, email_typed, caller, lead_id FROM consent_events")
    assert consent == [
        {
            "event": "granted",
            "email": "Jean.Dupont@exemple.fr",
            "email_typed": "Jean.Dupont@EXEMPLE.fr",
            "caller": "alice",
            "lead_id": 1,
        }
    ]


async def test_opt_in_refuses_an_invalid_address(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("7")
        await pilot.press(*"jean.dupont@")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OptInScreen)
        assert "✗" in str(app.screen.query_one("#email-check").render())
    assert calls(store) == []


async def test_escape_cancels_the_opt_in_and_records_nothing(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await pilot.press("7")
        await pilot.press(*"jean@exemple.fr")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert "Société 000" in card_text(app)
    assert calls(store) == []
    assert store.scalar("SELECT count(*) FROM consent_events") == 0


async def test_exhausted_list_says_so(store):
    add_leads(store, "spring", 1)
    async with session(store) as (app, pilot):
        await pilot.press("6")
        await pilot.pause()
        assert "List finished" in card_text(app)


async def test_quit_releases_the_lead_on_screen(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        assert store.lead(1)["claimed_by"] == "alice"
        await pilot.press("ctrl+q")
    assert store.lead(1)["claimed_by"] is None


async def test_keymap_from_config_remaps_an_outcome(store):
    add_leads(store, "spring", 2)
    async with session(store, config=Config(keymap={"outcome.no_answer": "f1"})) as (app, pilot):
        await pilot.press("f1")
        await pilot.pause()
        assert "f1" in str(app.screen.query_one("#keys").render())
    assert [c["outcome"] for c in calls(store)] == ["no_answer"]


async def test_command_palette_offers_outcomes_and_actions(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"No answer", "Opt-in", "Undo", "Find", "Pause"} <= set(titles)
        palette_run = next(c for c in app.get_system_commands(app.screen) if c.title == "No answer")
        await palette_run.callback()
    assert [c["outcome"] for c in calls(store)] == ["no_answer"]


async def test_typo_is_suggested_and_accepted_with_one_key(store):
    add_leads(store, "spring", 2)
    async with session(store, size=(100, 40)) as (app, pilot):
        await pilot.press("7", *"marc.durand@gmial.com")
        await pilot.pause()
        suggestion = str(app.screen.query_one("#suggestion").render())
        assert "marc.durand@gmail.com" in suggestion
        assert app.screen.query_one("#email").value == "marc.durand@gmial.com"
        read_back = str(app.screen.query_one("#read-back").render())
        assert read_back.startswith("Read back: m comme Marcel, a comme Anatole")
        await pilot.press("ctrl+t")
        await pilot.press("enter")
        await pilot.pause()
    assert store.row("SELECT email FROM consent_events")["email"] == "marc.durand@gmail.com"


async def test_generic_mailbox_is_flagged_but_allowed(store):
    add_leads(store, "spring", 2)
    async with session(store, size=(100, 40)) as (app, pilot):
        await pilot.press("7", *"contact@exemple.fr")
        await pilot.pause()
        assert "generic mailbox" in str(app.screen.query_one("#email-check").render())


async def test_the_keys_legend_shows_every_key_as_bound_within_80_columns(store):
    add_leads(store, "spring", 2)
    config = Config(keymap={"session.note": "f2"})
    async with session(store, config=config, size=(80, 24)) as (app, pilot):
        legend = str(app.screen.query_one("#keys").render()).splitlines()
        text = "\n".join(legend)
        for cell in ("1 No answer", "0 Not qualified", "u Undo", "f2 Note", "? Help", "^p palette"):
            assert cell in text
        assert "n Note" not in text
        assert all(len(line) <= 78 for line in legend)  # 80 columns less the padding


async def test_todays_counters_follow_each_outcome_on_screen(store):
    add_leads(store, "spring", 5)
    async with session(store, size=(120, 32)) as (app, pilot):
        await pilot.press("1")  # no answer
        await pilot.press("6")  # refused: the IT manager was reached
        await pilot.press("7")
        await pilot.pause()
        await pilot.press(*"dsi@exemple.fr", "enter")
        await pilot.pause()
        shown = screen_text(app)
        assert "Today 3 calls · 2 IT mgrs · 1 opt-ins 33% · 0 callbacks due" in shown
        await pilot.press("u")  # the opt-in undone no longer counts
        await pilot.pause()
        assert "Today 2 calls · 1 IT mgrs · 0 opt-ins 0%" in screen_text(app)
