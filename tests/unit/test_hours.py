"""Calling hours in the callee's zone, French holidays, overrides and the consumer guard.

Every rule runs on a real store with the FakeClock (2026-11-23 is a Monday; Paris is UTC+1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import set_setting
from prospect_tui.core.dialing import CallbackRequest, Dialer, next_working_morning, retry_at
from prospect_tui.core.hours import CallingPolicy, holiday_name, parse_hours
from prospect_tui.core.phones import parse_phone
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR, add_leads

PARIS = ZoneInfo("Europe/Paris")
HOURS = {"calling_hours": "mon-fri 09:00-12:30,14:00-18:30"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_lead(store: Store, campaign: dict, number: str, company: str) -> int:
    phone = parse_phone(number)
    with store.write() as conn:
        cursor = conn.execute(
            "INSERT INTO leads (campaign_id, company, phone_e164, phone_national, timezone,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (campaign["id"], company, phone.e164, phone.national, phone.timezone, store.now()),
        )
    return cursor.lastrowid


def record(dialer: Dialer, lead: dict, code: str, **details) -> int:
    return dialer.record(
        lead["id"], code, started_at=dialer.store.clock(), duration_s=30, **details
    )


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("mon-fri 09:00-12:30,14:00-18:30", "mon-fri 09:00-12:30,14:00-18:30"),
        ("Off", "off"),
        ("lun-ven 9h-12h30, 14h-18h30", "mon-fri 09:00-12:30,14:00-18:30"),
        ("mon, wed 9-12; sat 10:00-12:00", "mon,wed 09:00-12:00; sat 10:00-12:00"),
        ("mon-fri 08:00-24:00", "mon-fri 08:00-24:00"),
    ],
)
def test_calling_hours_are_read_and_written_back_canonical(typed, canonical):
    assert parse_hours(typed).text == canonical


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "mon-fri",
        "09:00-12:00",
        "xyz 09:00-10:00",
        "mon 12:00-09:00",
        "mon 25:00-26:00",
        "mon 09:00-12:00,11:00-13:00",
        "mon 9:75-10:00",
    ],
)
def test_a_bad_calling_hours_value_is_a_one_line_user_error(typed):
    with pytest.raises(UserError) as error:
        parse_hours(typed)
    assert "\n" not in str(error.value) and str(error.value).startswith("calling_hours")


def test_the_consumer_guard_narrows_the_campaign_hours():
    guarded = CallingPolicy.from_settings({**HOURS, "consumer_guard": True})
    assert guarded.schedule.text == "mon-fri 10:00-12:30,14:00-18:30"
    alone = CallingPolicy.from_settings({"calling_hours": "off", "consumer_guard": True})
    assert alone.schedule.text == "mon-fri 10:00-13:00,14:00-20:00"
    assert alone.is_open("Europe/Paris", utc(2026, 11, 23, 18, 30))  # 19:30 in Paris
    assert not alone.is_open("Europe/Paris", utc(2026, 11, 28, 10, 0))  # a Saturday


def test_a_lead_is_offered_inside_the_hours_and_not_outside(store, clock):
    campaign = add_leads(store, "spring", 1, HOURS)
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 23, 12, 0)  # 13:00 in Paris: lunch
    assert dialer.next_lead() is None
    reason = dialer.no_lead_reason()
    assert reason.kind == "hours"
    assert reason.message == (
        "Outside calling hours (mon-fri 09:00-12:30,14:00-18:30, Europe/Paris); next opening 14:00"
    )
    assert reason.next_at == utc(2026, 11, 23, 13, 0)
    clock.now = reason.next_at
    assert dialer.next_lead() is not None


def test_friday_evening_says_the_list_opens_on_monday(store, clock):
    campaign = add_leads(store, "spring", 1, HOURS)
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 27, 18, 0)  # Friday 19:00 in Paris
    assert dialer.next_lead() is None
    assert dialer.why_none().endswith("next opening Mon 09:00")


def test_no_lead_on_a_public_holiday_and_the_caller_is_told_which(store, clock):
    campaign = add_leads(store, "spring", 2, HOURS)
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 11, 10, 0)  # Wednesday 11 November, 11:00 in Paris
    assert dialer.next_lead() is None
    reason = dialer.no_lead_reason()
    assert reason.kind == "holiday"
    assert reason.message == "Public holiday (Armistice, Europe/Paris); next opening Thu 09:00"
    clock.now = utc(2026, 11, 12, 8, 0)
    assert dialer.next_lead() is not None


def test_calling_hours_off_call_any_time_even_on_a_holiday(store, clock):
    campaign = add_leads(store, "demo", 1, {"calling_hours": "off"})
    clock.now = utc(2026, 12, 25, 2, 0)
    assert Dialer(store, "alice", campaign).next_lead() is not None


def test_hours_are_the_callees_a_reunion_lead_opens_four_hours_earlier(store, clock):
    campaign = store.ensure_campaign("dom", HOURS)
    paris = add_lead(store, campaign, "01 42 68 53 00", "Paris SA")
    reunion = add_lead(store, campaign, "+262 262 12 34 56", "Saint-Denis SARL")
    assert store.lead(reunion)["timezone"] == "Indian/Reunion"
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 23, 5, 30)  # 09:30 in Réunion, 06:30 in Paris
    first = dialer.next_lead()
    assert first["id"] == reunion
    dialer.release(first["id"])
    clock.now = utc(2026, 11, 23, 15, 0)  # 19:00 in Réunion (closed), 16:00 in Paris
    assert dialer.next_lead()["id"] == paris


def test_a_closed_foreign_zone_is_named_with_its_local_opening(store, clock):
    campaign = store.ensure_campaign("dom", HOURS)
    add_lead(store, campaign, "+262 262 12 34 56", "Saint-Denis SARL")
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 23, 15, 0)
    assert dialer.next_lead() is None
    assert dialer.why_none() == (
        "Outside calling hours (mon-fri 09:00-12:30,14:00-18:30, Indian/Reunion);"
        " next opening Tue 09:00"
    )


def test_overseas_and_alsace_moselle_holidays():
    # 20 December is a holiday in Réunion only; 26 December in Alsace-Moselle only.
    assert holiday_name(date(2027, 12, 20), "Indian/Reunion") == "Abolition de l'esclavage"
    assert holiday_name(date(2027, 12, 20), "Europe/Paris") is None
    friday = utc(2025, 12, 26, 10, 0)
    assert CallingPolicy.from_settings(HOURS).is_open("Europe/Paris", friday)
    moselle = CallingPolicy.from_settings({**HOURS, "holidays_subdiv": "57"})
    assert moselle.holiday("Europe/Paris", friday) is not None
    assert not moselle.is_open("Europe/Paris", friday)


def test_an_unknown_zone_falls_back_to_paris():
    policy = CallingPolicy.from_settings(HOURS)
    assert policy.is_open("", utc(2026, 11, 23, 10, 0))
    assert policy.is_open("Nowhere/Atlantis", utc(2026, 11, 23, 10, 0))
    assert not policy.is_open("", utc(2026, 11, 23, 12, 0))


def test_override_is_logged_and_lifts_the_hours_for_this_session(store, clock):
    campaign = add_leads(store, "spring", 2, HOURS)
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 23, 12, 0)
    assert dialer.next_lead() is None
    with pytest.raises(UserError):
        dialer.override_hours("  ")
    dialer.override_hours("le DSI a demandé un appel à 13 h")
    assert dialer.hours_overridden
    assert dialer.next_lead() is not None
    logged = store.row("SELECT * FROM hours_overrides")
    assert logged["caller"] == "alice" and logged["campaign_id"] == campaign["id"]
    assert logged["reason"] == "le DSI a demandé un appel à 13 h"
    assert logged["at"] == "2026-11-23T12:00:00Z"
    assert logged["calling_hours"] == HOURS["calling_hours"]
    # Another session is not overridden.
    assert Dialer(store, "bob", campaign).next_lead() is None


def test_override_never_lifts_the_consumer_guard(store, clock):
    campaign = add_leads(store, "spring", 1, {**HOURS, "consumer_guard": True})
    dialer = Dialer(store, "alice", campaign)
    clock.now = utc(2026, 11, 28, 10, 0)  # Saturday
    dialer.override_hours("rattrapage du samedi")
    assert dialer.next_lead() is None
    assert "consumer guard" in dialer.why_none()
    assert store.row("SELECT consumer_guard FROM hours_overrides")["consumer_guard"] == 1


def test_a_callback_keeps_its_agreed_time_outside_calling_hours(store, clock):
    campaign = add_leads(store, "spring", 1, HOURS)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    due = utc(2026, 11, 23, 17, 45)  # 18:45 in Paris, after the hours: the DSI asked for it
    record(dialer, lead, "callback", callback=CallbackRequest(due_at=due))
    clock.now = due
    assert dialer.next_lead()["id"] == lead["id"]


# Switchboard block: next working day at the start of calling hours, in the callee's zone.


def test_switchboard_retry_is_the_next_working_morning_in_the_callees_zone():
    settings = {
        "calling_hours": HOURS["calling_hours"],
        "retry_minutes": {"switchboard": "next_day"},
    }
    friday = utc(2026, 11, 27, 15, 0)
    assert retry_at("switchboard", friday, settings, "Europe/Paris") == utc(2026, 11, 30, 8, 0)
    assert retry_at("switchboard", friday, settings, "Indian/Reunion") == utc(2026, 11, 30, 5, 0)
    # 11 November is skipped.
    tuesday = utc(2026, 11, 10, 15, 0)
    assert next_working_morning(tuesday, "Europe/Paris", settings) == utc(2026, 11, 12, 8, 0)
    # Across the end of summer time: 09:00 in Paris is 08:00 UTC again.
    assert next_working_morning(utc(2026, 10, 23, 15, 0)) == utc(2026, 10, 26, 8, 0)
    # Hours starting at 10:00 (consumer guard) start the morning at 10:00.
    guarded = {**settings, "consumer_guard": True}
    assert next_working_morning(friday, "Europe/Paris", guarded) == utc(2026, 11, 30, 9, 0)


def test_switchboard_block_with_hours_off_waits_for_a_working_weekday():
    settings = {"calling_hours": "off"}
    friday = utc(2026, 11, 27, 15, 0)
    assert next_working_morning(friday, "Europe/Paris", settings) == utc(2026, 11, 30, 8, 0)


# Consumer guard (décret 2022-1313): 4 attempts in 30 days, 60 days after a refusal.


def test_guard_rests_a_lead_after_four_attempts_in_thirty_days(store, clock):
    settings = {
        "calling_hours": "off",
        "consumer_guard": True,
        "max_attempts": 10,
        "retry_minutes": {"no_answer": 30},
    }
    campaign = add_leads(store, "b2c", 1, settings)
    clock.now = utc(2026, 11, 23, 9, 0)  # 10:00 in Paris: the guard's hours open
    dialer = Dialer(store, "alice", campaign)
    first_call = clock()
    for _ in range(4):
        lead = dialer.next_lead()
        assert lead is not None
        record(dialer, lead, "no_answer")
        clock.advance(minutes=31)
    assert dialer.next_lead() is None
    assert store.lead(lead["id"])["next_call_at"] == "2026-12-23T09:00:00Z"
    assert dialer.no_lead_reason().kind == "waiting"
    clock.now = first_call + timedelta(days=30)
    assert dialer.next_lead()["id"] == lead["id"]


def test_guard_holds_for_calls_made_before_it_was_switched_on(store, clock):
    campaign = add_leads(store, "b2c", 1, {"max_attempts": 10, "retry_minutes": {"busy": 1}})
    dialer = Dialer(store, "alice", campaign)
    for _ in range(4):
        record(dialer, dialer.next_lead(), "busy")
        clock.advance(minutes=2)
    guarded = set_setting(store, "b2c", "consumer_guard", "yes", actor=A_SUPERVISOR)
    dialer = Dialer(store, "alice", guarded)
    assert dialer.next_lead() is None
    assert dialer.no_lead_reason().kind == "guard"
    clock.advance(days=30)
    assert dialer.next_lead() is not None


def test_guard_keeps_sixty_days_after_a_refusal_even_if_the_lead_is_reopened(store, clock):
    campaign = add_leads(store, "b2c", 1, {"calling_hours": "off", "consumer_guard": True})
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "refused")
    # A refused lead is final; reopening it (an edit, a data fix) is where the guard matters.
    with store.write() as conn:
        conn.execute(
            "UPDATE leads SET status = 'open', final_outcome = NULL WHERE id = ?", (lead["id"],)
        )
    clock.advance(days=59)
    assert dialer.next_lead() is None
    unguarded = Dialer(store, "bob", {**campaign, "settings": '{"calling_hours": "off"}'})
    assert unguarded.next_lead() is not None
    unguarded.release(lead["id"])
    clock.advance(days=1, minutes=1)
    assert dialer.next_lead()["id"] == lead["id"]
