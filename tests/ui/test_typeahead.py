"""Type-ahead in every form (issue 19): the key that opens it and everything typed after it
arrive in one burst, and the store holds exactly what was meant, no outcome recorded by a
digit meant for a field; plus the opt-out's confirmation and undo, and the free-mail typo
that asks once more."""

from __future__ import annotations

from prospect_tui.core.questionnaires.parse import parse_questionnaire
from prospect_tui.core.questionnaires.storage import attach_text
from prospect_tui.screens.optin import OptInScreen
from prospect_tui.screens.session import SessionScreen
from tests.helpers import A_SUPERVISOR, add_leads, burst, card_text, session

# A text question, then a number typed and confirmed, then a choice by digit.
FEEDBACK = """\
title = "Retour client"

[[question]]
id = "probleme"
type = "text"
text = "Quel problème avez-vous rencontré ?"

[[question]]
id = "note"
type = "number"
text = "Sur 10, votre satisfaction ?"
min = 0
max = 10

[[question]]
id = "suite"
type = "single"
text = "Souhaitez-vous être rappelé ?"
choices = [{ code = "oui", label = "Oui" }, { code = "non", label = "Non" }]
"""


def calls(store) -> list[tuple[int, str]]:
    rows = store.rows("SELECT lead_id, outcome FROM calls WHERE undone_at IS NULL ORDER BY id")
    return [(r["lead_id"], r["outcome"]) for r in rows]


async def test_a_note_with_digits_is_saved_and_records_no_call(store):
    add_leads(store, "spring", 3)
    async with session(store) as (app, pilot):
        await burst(pilot, "n", *"rappeler après 17h", "enter")
        assert isinstance(app.screen, SessionScreen)
        assert "rappeler après 17h" in card_text(app)
    assert store.lead(1)["notes"].endswith("alice: rappeler après 17h")
    assert calls(store) == []


async def test_the_opt_in_address_goes_to_the_email_field(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await burst(pilot, "7", *"jean.dupont@exemple.fr", "enter")
        assert "Société 001" in card_text(app)
    assert calls(store) == [(1, "opt_in")]
    consent = store.row("SELECT event, email, contact_name FROM consent_events")
    assert consent == {"event": "granted", "email": "jean.dupont@exemple.fr",
                       "contact_name": "Contact 0"}  # fmt: skip


async def test_the_opt_in_form_starts_on_the_address_and_tabs_top_to_bottom(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await burst(pilot, "7", *"a@exemple.fr", "tab", "ctrl+u", *"Paul Roux", "tab", *"DSI")
        assert isinstance(app.screen, OptInScreen)
        order = [w.id for w in app.screen.focus_chain]
        assert order == ["email", "contact-name", "contact-title"]
        await burst(pilot, "enter")
    consent = store.row("SELECT email, contact_name, contact_title FROM consent_events")
    assert consent == {"email": "a@exemple.fr", "contact_name": "Paul Roux",
                       "contact_title": "DSI"}  # fmt: skip


async def test_switchboard_fields_typed_in_one_burst(store):
    add_leads(store, "spring", 3)
    async with session(store) as (app, pilot):
        await burst(pilot, "4", *"Paul Martin", "tab", *"01 42 68 00 01", "enter", "3")
        assert "Société 002" in card_text(app)
    assert calls(store) == [(1, "switchboard"), (2, "voicemail")]
    lead = store.lead(1)
    assert (lead["manager_name"], lead["direct_line_e164"]) == ("Paul Martin", "+33142680001")


async def test_callback_quick_choice_typed_in_one_burst(store):
    add_leads(store, "spring", 3)
    async with session(store) as (app, pilot):
        await burst(pilot, "5", "2", "enter", "3")
    assert calls(store) == [(1, "callback"), (2, "voicemail")]
    assert store.row("SELECT due_at FROM callbacks")["due_at"] == "2026-11-24T08:00:00Z"


async def test_edit_with_ctrl_u_then_typing_in_one_burst(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await burst(pilot, "e", "ctrl+u", *"Nouvelle Société 2", "enter")
        assert "Nouvelle Société 2" in card_text(app)
    assert store.lead(1)["company"] == "Nouvelle Société 2"
    assert calls(store) == []


async def test_find_by_phone_typed_in_one_burst(store):
    add_leads(store, "spring", 5)
    async with session(store) as (app, pilot):
        await burst(pilot, "slash", *"01 42 68 00 03", "enter")
        assert "Société 003" in card_text(app)
    assert calls(store) == []


async def test_questionnaire_answers_typed_in_one_burst(store):
    add_leads(store, "sat", 2)
    attach_text(store, "sat", parse_questionnaire(FEEDBACK), "sat.toml", A_SUPERVISOR)
    async with session(store, campaign="sat") as (app, pilot):
        await burst(pilot, "q", *"Livraisons en retard", "enter", "7", "enter", "2")
    rows = store.rows("SELECT question_id, value FROM answers ORDER BY id")
    assert [(r["question_id"], r["value"]) for r in rows] == [
        ("probleme", "Livraisons en retard"),
        ("note", "7"),
        ("suite", "non"),
    ]
    assert calls(store) == []


async def test_opt_out_asks_once_and_escape_cancels(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await burst(pilot, "o", "escape")
        assert "Société 000" in card_text(app)
    assert store.scalar("SELECT count(*) FROM consent_events") == 0
    assert store.scalar("SELECT count(*) FROM suppressions") == 0
    assert store.lead(1)["status"] == "open"


async def test_opt_out_confirmed_then_taken_back_keeps_both_events(store):
    add_leads(store, "spring", 2)
    async with session(store) as (app, pilot):
        await burst(pilot, "o", "enter")
        assert "Société 001" in card_text(app)
        assert store.scalar("SELECT count(*) FROM suppressions") == 1
        assert store.lead(1)["status"] == "done"
        await burst(pilot, "u")
        assert "Société 000" in card_text(app)
        assert store.lead(2)["claimed_by"] is None  # the lead it replaced went back
        await burst(pilot, "2")
    events = store.rows("SELECT event, caller, lead_id FROM consent_events ORDER BY id")
    assert [(e["event"], e["lead_id"]) for e in events] == [
        ("withdrawn", 1),
        ("withdrawal_undone", 1),
    ]
    assert store.scalar("SELECT count(*) FROM suppressions") == 0
    assert calls(store) == [(1, "busy")]
    assert store.lead(1)["status"] == "open"


async def test_a_free_mail_typo_asks_once_more_then_keeps_the_address_as_typed(store):
    add_leads(store, "spring", 2)
    async with session(store, size=(100, 40)) as (app, pilot):
        await burst(pilot, "7", *"jean.martin@gmial.com", "enter")
        assert isinstance(app.screen, OptInScreen)
        asked = str(app.screen.query_one("#suggestion").render())
        assert "jean.martin@gmail.com" in asked and "Enter again keeps" in asked
        await burst(pilot, "enter")
        assert isinstance(app.screen, SessionScreen)
    assert store.row("SELECT email FROM consent_events")["email"] == "jean.martin@gmial.com"


async def test_a_free_mail_typo_then_ctrl_t_takes_the_suggestion(store):
    add_leads(store, "spring", 2)
    async with session(store, size=(100, 40)) as (app, pilot):
        await burst(pilot, "7", *"jean.martin@gmial.com", "enter", "ctrl+t", "enter")
        assert isinstance(app.screen, SessionScreen)
    assert store.row("SELECT email FROM consent_events")["email"] == "jean.martin@gmail.com"
