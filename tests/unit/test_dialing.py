"""The caller's loop without a screen: claims, outcomes, retries, callbacks, suppression."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.core.clock import iso
from prospect_tui.core.dialing import CallbackRequest, Dialer, OptIn
from prospect_tui.core.suppression import is_suppressed
from tests.helpers import add_leads


def record(dialer, lead, code, **details):
    return dialer.record(
        lead["id"], code, started_at=dialer.store.clock(), duration_s=30, **details
    )


def test_two_callers_never_get_the_same_lead(store):
    campaign = add_leads(store, "spring", 3)
    alice, bob = Dialer(store, "alice", campaign), Dialer(store, "bob", campaign)
    first, second = alice.next_lead(), bob.next_lead()
    assert first["id"] != second["id"]
    assert first["claimed_by"] == "alice" and second["claimed_by"] == "bob"


def test_a_crashed_sessions_claim_expires(store, clock):
    campaign = add_leads(store, "spring", 1)
    crashed = Dialer(store, "alice", campaign).next_lead()
    assert Dialer(store, "bob", campaign).next_lead() is None
    clock.advance(minutes=11)
    assert Dialer(store, "bob", campaign).next_lead()["id"] == crashed["id"]


def test_no_answer_comes_back_after_its_retry_delay(store, clock):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "no_answer")
    assert dialer.next_lead() is None
    clock.advance(minutes=119)
    assert dialer.next_lead() is None
    clock.advance(minutes=2)
    again = dialer.next_lead()
    assert again["id"] == lead["id"] and again["attempts"] == 1


def test_attempt_cap_finishes_the_lead_as_max_attempts(store, clock):
    campaign = add_leads(store, "spring", 1, {"max_attempts": 2})
    dialer = Dialer(store, "alice", campaign)
    for _ in range(2):
        lead = dialer.next_lead()
        record(dialer, lead, "busy")
        clock.advance(minutes=16)
    assert dialer.next_lead() is None
    assert store.lead(lead["id"])["final_outcome"] == "max_attempts"


def test_final_outcomes_finish_the_lead(store, clock):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    record(dialer, dialer.next_lead(), "refused")
    clock.advance(days=30)
    assert dialer.next_lead() is None
    assert store.lead(1)["status"] == "done"


def test_callback_for_me_only_comes_back_to_me_first_at_its_time(store, clock):
    campaign = add_leads(store, "spring", 3)
    alice, bob = Dialer(store, "alice", campaign), Dialer(store, "bob", campaign)
    lead = alice.next_lead()
    due = clock() + timedelta(hours=1)
    record(alice, lead, "callback", callback=CallbackRequest(due_at=due))
    assert alice.next_lead()["id"] != lead["id"]
    clock.advance(hours=1, minutes=1)
    assert bob.next_lead()["id"] != lead["id"]
    assert alice.next_lead()["id"] == lead["id"]


def test_do_not_call_suppresses_the_number(store):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "do_not_call")
    assert is_suppressed(store.conn, "phone", lead["phone_e164"])


def test_opt_in_writes_call_and_consent_in_one_go(store):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "opt_in", opt_in=OptIn(email="dsi@Exemple.FR", contact_name="Léa Martin"))
    event = store.row("SELECT * FROM consent_events")
    assert event["email"] == "dsi@exemple.fr"
    assert event["contact_name"] == "Léa Martin"
    assert event["phone_e164"] == lead["phone_e164"]
    assert event["consent_text"].startswith("Acceptez-vous")
    assert store.row("SELECT reached FROM calls")["reached"] == "manager"


def test_undo_of_an_opt_in_withdraws_the_consent_instead_of_deleting_it(store):
    campaign = add_leads(store, "spring", 2)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "opt_in", opt_in=OptIn(email="dsi@exemple.fr"))
    restored = dialer.undo().lead
    assert restored["id"] == lead["id"] and restored["status"] == "open"
    assert restored["claimed_by"] == "alice"
    events = store.rows("SELECT event, email FROM consent_events ORDER BY id")
    assert events == [
        {"event": "granted", "email": "dsi@exemple.fr"},
        {"event": "withdrawn", "email": "dsi@exemple.fr"},
    ]
    assert store.row("SELECT undone_at FROM calls")["undone_at"] is not None


def test_undo_of_do_not_call_lifts_the_suppression(store):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "do_not_call")
    dialer.undo()
    assert not is_suppressed(store.conn, "phone", lead["phone_e164"])
    assert store.lead(lead["id"])["status"] == "open"


def test_undo_of_a_callback_cancels_it_and_nothing_is_left_to_undo(store, clock):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "callback", callback=CallbackRequest(due_at=clock() + timedelta(hours=2)))
    dialer.undo()
    assert store.scalar("SELECT count(*) FROM callbacks WHERE done_at IS NULL") == 0
    assert dialer.undo() is None


def test_skip_returns_the_lead_to_the_pool_without_a_call(store, clock):
    campaign = add_leads(store, "spring", 2)
    dialer = Dialer(store, "alice", campaign)
    first = dialer.next_lead()
    dialer.skip(first["id"])
    assert dialer.next_lead()["id"] != first["id"]
    assert store.scalar("SELECT count(*) FROM calls") == 0
    clock.advance(minutes=6)
    assert Dialer(store, "bob", campaign).next_lead()["id"] == first["id"]


# Retry delays, the attempt cap, queue order, callbacks and "why no lead" (issue 4, item 5).

PARIS = ZoneInfo("Europe/Paris")
HOURS = {"calling_hours": "mon-fri 09:00-12:30,14:00-18:30"}


@pytest.mark.parametrize(
    ("code", "minutes"), [("no_answer", 120), ("busy", 15), ("voicemail", 240)]
)
def test_default_retry_delay_per_outcome(store, clock, code, minutes):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, code)
    assert store.lead(lead["id"])["next_call_at"] == iso(clock() + timedelta(minutes=minutes))
    clock.advance(minutes=minutes - 1)
    assert dialer.next_lead() is None
    clock.advance(minutes=1)
    assert dialer.next_lead()["id"] == lead["id"]


def test_retry_delays_come_from_the_campaign_one_by_one(store, clock):
    campaign = add_leads(store, "spring", 2, {"retry_minutes": {"voicemail": 30}})
    dialer = Dialer(store, "alice", campaign)
    first = dialer.next_lead()
    record(dialer, first, "voicemail")
    second = dialer.next_lead()
    record(dialer, second, "busy")
    assert store.lead(first["id"])["next_call_at"] == "2026-11-23T10:30:00Z"
    assert store.lead(second["id"])["next_call_at"] == "2026-11-23T10:15:00Z"


def test_switchboard_block_comes_back_at_the_next_working_mornings_opening(store, clock):
    campaign = add_leads(store, "spring", 1, HOURS)
    clock.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 16:00 in Paris
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    record(dialer, lead, "switchboard")
    assert store.lead(lead["id"])["next_call_at"] == "2026-11-30T08:00:00Z"  # Monday 09:00


def test_default_attempt_cap_is_six(store, clock):
    campaign = add_leads(store, "spring", 1)
    dialer = Dialer(store, "alice", campaign)
    for attempt in range(6):
        lead = dialer.next_lead()
        assert lead is not None and lead["attempts"] == attempt
        record(dialer, lead, "busy")
        clock.advance(minutes=15)
    assert dialer.next_lead() is None
    assert store.lead(lead["id"])["final_outcome"] == "max_attempts"
    assert dialer.why_none() == "List finished"


def _one_retry_due(store, clock, settings):
    campaign = add_leads(store, "spring", 2, settings)
    dialer = Dialer(store, "alice", campaign)
    retried = dialer.next_lead()
    record(dialer, retried, "busy")
    clock.advance(minutes=16)
    return dialer, retried


def test_retries_come_before_fresh_leads_by_default(store, clock):
    dialer, retried = _one_retry_due(store, clock, {})
    assert dialer.next_lead()["id"] == retried["id"]


def test_fresh_first_puts_fresh_leads_before_retries(store, clock):
    dialer, retried = _one_retry_due(store, clock, {"queue_order": "fresh_first"})
    fresh = dialer.next_lead()
    assert fresh["id"] != retried["id"]
    record(dialer, fresh, "opt_in", opt_in=OptIn(email="dsi@exemple.fr"))
    assert dialer.next_lead()["id"] == retried["id"]


def test_due_callbacks_come_first_earliest_due_first(store, clock):
    campaign = add_leads(store, "spring", 4)
    alice = Dialer(store, "alice", campaign)
    later = alice.next_lead()
    record(alice, later, "callback", callback=CallbackRequest(due_at=clock() + timedelta(hours=2)))
    sooner = alice.next_lead()
    record(alice, sooner, "callback", callback=CallbackRequest(due_at=clock() + timedelta(hours=1)))
    clock.advance(hours=3)
    first = alice.next_lead()
    assert first["id"] == sooner["id"]
    record(alice, first, "refused")
    assert alice.next_lead()["id"] == later["id"]


def test_a_callback_for_anyone_goes_to_the_first_free_caller(store, clock):
    campaign = add_leads(store, "spring", 3)
    alice, bob = Dialer(store, "alice", campaign), Dialer(store, "bob", campaign)
    lead = alice.next_lead()
    due = clock() + timedelta(hours=1)
    record(alice, lead, "callback", callback=CallbackRequest(due_at=due, owner_only=False))
    clock.advance(hours=1)
    assert bob.next_lead()["id"] == lead["id"]


def test_why_none_says_when_retries_and_callbacks_come(store, clock):
    campaign = add_leads(store, "spring", 3)
    dialer = Dialer(store, "alice", campaign)
    dialer.display_zone = PARIS
    record(dialer, dialer.next_lead(), "no_answer")
    record(dialer, dialer.next_lead(), "no_answer")
    due = clock() + timedelta(hours=3)
    record(dialer, dialer.next_lead(), "callback", callback=CallbackRequest(due_at=due))
    assert dialer.next_lead() is None
    reason = dialer.no_lead_reason()
    assert reason.kind == "waiting"
    assert reason.message == (
        "All leads called; 2 waiting for retry, next at 13:00; 1 callback pending, next at 14:00"
    )
    assert reason.next_at == clock() + timedelta(hours=2)


def test_a_retry_falling_in_the_lunch_break_waits_for_the_afternoon(store, clock):
    campaign = add_leads(store, "spring", 1, HOURS)
    dialer = Dialer(store, "alice", campaign)
    dialer.display_zone = PARIS
    record(dialer, dialer.next_lead(), "no_answer")  # 11:00 in Paris, retry at 13:00
    assert dialer.next_lead() is None
    assert dialer.why_none() == "All leads called; 1 waiting for retry, next at 14:00"


def test_why_none_on_an_empty_campaign_and_when_others_hold_the_leads(store):
    empty = store.ensure_campaign("empty", {"calling_hours": "off"})
    assert Dialer(store, "alice", empty).no_lead_reason().kind == "empty"
    campaign = add_leads(store, "spring", 1)
    Dialer(store, "bob", campaign).next_lead()
    alice = Dialer(store, "alice", campaign)
    assert alice.next_lead() is None
    assert alice.why_none() == "The remaining leads are with other callers (1)"


def test_record_and_next_commits_the_outcome_and_the_next_claim_together(store, tmp_path):
    from prospect_tui.core.store import Store

    campaign = add_leads(store, "spring", 2)
    dialer = Dialer(store, "alice", campaign)
    first = dialer.next_lead()
    following = dialer.record_and_next(first["id"], "busy", started_at=store.clock(), duration_s=12)
    assert following["id"] != first["id"]
    other = Store(store.path)  # another process's view: both are committed
    assert other.scalar("SELECT outcome FROM calls") == "busy"
    assert other.lead(following["id"])["claimed_by"] == "alice"
    assert not store.conn.in_transaction


def test_peek_names_the_lead_the_next_claim_takes_without_claiming_it(store, clock):
    campaign = add_leads(store, "spring", 4)
    alice, bob = Dialer(store, "alice", campaign), Dialer(store, "bob", campaign)
    current = alice.next_lead()
    # A callback falls due: it comes next, before the fresh leads.
    called_back = bob.next_lead()
    due = clock() + timedelta(minutes=5)
    record(bob, called_back, "callback", callback=CallbackRequest(due_at=due, owner_only=False))
    assert alice.peek_next(current["id"])["id"] != called_back["id"]
    clock.advance(minutes=5)
    peeked = alice.peek_next(current["id"])
    assert peeked["id"] == called_back["id"]
    assert store.lead(peeked["id"])["claimed_by"] is None
    record(alice, current, "no_answer")
    assert alice.next_lead()["id"] == peeked["id"]


def test_peek_skips_the_current_lead_and_leads_held_by_others(store):
    campaign = add_leads(store, "spring", 3)
    alice, bob = Dialer(store, "alice", campaign), Dialer(store, "bob", campaign)
    current = alice.next_lead()
    held = bob.next_lead()
    assert alice.peek_next(current["id"])["id"] == 3
    Dialer(store, "carol", campaign).next_lead()
    assert alice.peek_next(current["id"]) is None
    assert held["id"] == 2


def test_counting_each_call_gives_what_reading_the_whole_day_gives(store, clock):
    from prospect_tui.core.dialing import today_counters

    campaign = add_leads(store, "spring", 5)
    alice = Dialer(store, "alice", campaign)
    day_start = clock().astimezone(ZoneInfo("Europe/Paris")).replace(hour=0, minute=0, second=0)
    today = today_counters(store, "alice", campaign["id"], day_start)
    later = CallbackRequest(due_at=clock() + timedelta(hours=1), asked_by="switchboard")
    calls = [
        ("no_answer", {}),
        ("opt_in", {"opt_in": OptIn(email="dsi@exemple.fr")}),
        ("callback", {"callback": later}),
        ("refused", {}),
    ]
    for code, details in calls:
        lead = alice.next_lead()
        alice.record(lead["id"], code, started_at=clock(), duration_s=12.34, **details)
        today.count(alice.history[-1])
        clock.advance(minutes=3)
    # A call started before midnight is not today's.
    lead = alice.next_lead()
    alice.record(lead["id"], "busy", started_at=day_start - timedelta(minutes=1), duration_s=60)
    today.count(alice.history[-1])
    read = today_counters(store, "alice", campaign["id"], day_start)
    counted = (today.calls, today.managers, today.opt_ins)
    assert counted == (read.calls, read.managers, read.opt_ins) == (4, 2, 1)
    assert today.talk_s == pytest.approx(read.talk_s) == pytest.approx(4 * 12.3)
    assert read.callbacks_due == 1
