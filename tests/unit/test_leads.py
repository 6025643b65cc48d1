"""Notes, edits, switchboard info, search and callback times, without a screen."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.core import UserError
from prospect_tui.core.callbacks import parse_when
from prospect_tui.core.dialing import Dialer
from prospect_tui.core.leads import (
    add_note,
    claim_lead,
    edit_lead,
    find_leads,
    save_switchboard_info,
)
from tests.helpers import add_leads

# Monday 23 November 2026, 10:00 UTC = 11:00 in Paris.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected_utc"),
    [
        ("1", "2026-11-23 11:00"),
        ("2", "2026-11-24 08:00"),
        ("3", "2026-11-30 08:00"),
        ("14:30", "2026-11-23 13:30"),
        ("16h", "2026-11-23 15:00"),
        ("25/11 9h", "2026-11-25 08:00"),
        ("02/01/2027 10:15", "2027-01-02 09:15"),
        ("20/11 10:00", "2027-11-20 09:00"),
    ],
)
def test_callback_times_typed_as_a_caller_says_them(typed, expected_utc):
    due = parse_when(typed, MONDAY, "Europe/Paris")
    assert due.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == expected_utc


@pytest.mark.parametrize("typed", ["09:00", "demain", "31/02 10h", "25h"])
def test_bad_or_past_callback_times_are_refused(typed):
    with pytest.raises(UserError):
        parse_when(typed, MONDAY, "Europe/Paris")


def test_notes_are_appended_dated_and_signed(store):
    add_leads(store, "spring", 1)
    paris = ZoneInfo("Europe/Paris")
    add_note(store, 1, "standard fermé le lundi", "alice", paris)
    add_note(store, 1, "  ", "alice", paris)
    add_note(store, 1, "DSI en congés", "bob", paris)
    # 10:00 UTC: the team in Paris reads 11:00.
    assert store.lead(1)["notes"].splitlines() == [
        "23/11 11:00 alice: standard fermé le lundi",
        "23/11 11:00 bob: DSI en congés",
    ]


def test_switchboard_info_keeps_what_was_known_when_left_empty(store):
    add_leads(store, "spring", 1)
    save_switchboard_info(store, 1, "Marc Durand", "06 12 34 56 78", "", "FR")
    save_switchboard_info(store, 1, "", "", "jeudi 14h", "FR")
    lead = store.lead(1)
    assert lead["manager_name"] == "Marc Durand"
    assert lead["direct_line_e164"] == "+33612345678"
    assert lead["best_time"] == "jeudi 14h"
    with pytest.raises(UserError, match="not a valid phone number"):
        save_switchboard_info(store, 1, "", "0612", "", "FR")


def test_edit_validates_the_phone_and_keeps_numbers_unique(store):
    add_leads(store, "spring", 2)
    edited = edit_lead(store, 1, "ACME Lyon", "+33 4 72 00 00 00", "Léa", "FR")
    assert (edited["company"], edited["phone_national"]) == ("ACME Lyon", "04 72 00 00 00")
    with pytest.raises(UserError, match="already the number of Société 001"):
        edit_lead(store, 1, "ACME", "01 42 68 00 01", "", "FR")
    with pytest.raises(UserError, match="not a valid phone number"):
        edit_lead(store, 1, "ACME", "123", "", "FR")
    with pytest.raises(UserError, match="cannot be empty"):
        edit_lead(store, 1, " ", "01 42 68 00 09", "", "FR")


def test_find_by_company_contact_or_any_phone_spelling(store):
    campaign = add_leads(store, "spring", 12)
    assert [r["company"] for r in find_leads(store, campaign["id"], "société 011")] == [
        "Société 011"
    ]
    assert [r["id"] for r in find_leads(store, campaign["id"], "Contact 7")] == [8]
    for spelling in ("01 42 68 00 05", "0142680005", "+33142680005"):
        assert [r["id"] for r in find_leads(store, campaign["id"], spelling)] == [6]
    assert find_leads(store, campaign["id"], "") == []


def test_a_lead_on_another_callers_screen_cannot_be_taken(store):
    campaign = add_leads(store, "spring", 2)
    on_screen = Dialer(store, "bob", campaign).next_lead()
    with pytest.raises(UserError, match="bob's screen"):
        claim_lead(store, on_screen["id"], "alice", 10)
    assert claim_lead(store, 2, "alice", 10)["claimed_by"] == "alice"


def test_find_takes_percent_and_underscore_as_written(store):
    campaign = add_leads(store, "spring", 3)
    with store.write() as conn:
        conn.execute("UPDATE leads SET company = 'Remise 100% net' WHERE id = 1")
        conn.execute("UPDATE leads SET company = 'Pas_de_tiret' WHERE id = 2")
        conn.execute("UPDATE leads SET company = 'Back\\slash' WHERE id = 3")
    # Before: `%` matched every lead and `_` any character.
    assert [r["id"] for r in find_leads(store, campaign["id"], "%")] == [1]
    assert [r["id"] for r in find_leads(store, campaign["id"], "_")] == [2]
    assert [r["id"] for r in find_leads(store, campaign["id"], "Remise_100")] == []
    assert [r["id"] for r in find_leads(store, campaign["id"], "k\\s")] == [3]
