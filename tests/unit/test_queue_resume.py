"""A session that starts again (a take-over in the browser, a crash) gets back the lead its
caller still holds, rather than a new one with the old one left claimed."""

from __future__ import annotations

from prospect_tui.core.dialing import Dialer
from tests.helpers import add_leads


def test_a_new_session_resumes_the_lead_its_caller_holds(store, clock):
    campaign = add_leads(store, "spring", 3)
    first, held = Dialer(store, "bob", campaign).next_lead(), Dialer(store, "ann", campaign)
    ann_lead = held.next_lead()
    Dialer(store, "bob", campaign).release(first["id"])  # a lower lead is free again
    clock.advance(minutes=3)
    resumed = Dialer(store, "ann", campaign).resume()
    assert resumed["id"] == ann_lead["id"]
    assert resumed["claimed_until"] > ann_lead["claimed_until"]  # the claim was renewed
    claimed = store.rows("SELECT id FROM leads WHERE claimed_by = 'ann'")
    assert [row["id"] for row in claimed] == [ann_lead["id"]]


def test_with_nothing_held_resume_claims_the_next_lead(store):
    campaign = add_leads(store, "spring", 2)
    assert Dialer(store, "ann", campaign).resume()["claimed_by"] == "ann"
