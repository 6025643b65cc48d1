"""The caller's loop without a screen: claims, outcomes, retries, callbacks, suppression."""

from __future__ import annotations

from datetime import timedelta

from prospect_tui.core.dialing import CallbackRequest, Dialer, OptIn
from prospect_tui.core.suppression import is_suppressed
from tests.helpers import add_leads


def record(dialer, lead, code, **details):
    return dialer.record(lead["id"], code, started_at=dialer.store.clock(), duration_s=30, **details)


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
