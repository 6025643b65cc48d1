"""Two callers on one database file (two Stores, one FakeClock): claims, undo, do-not-call.

Undo reverses what the outcome did only while the lead is still as the call left it; record
is for the caller holding the lead; a claim renewed by its session never expires.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from prospect_tui.core import UserError
from prospect_tui.core.consent import verify_chain
from prospect_tui.core.dialing import CallbackRequest, Dialer, OptIn
from prospect_tui.core.leads import claim_lead
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import is_suppressed, suppress
from tests.helpers import add_leads

# The scenario: fresh leads first, a no-answer comes back after one minute.
SETTINGS = {"queue_order": "fresh_first", "retry_minutes": {"no_answer": 1}}


@pytest.fixture
def team(store, clock, tmp_path):
    """alice on the fixture's store, bob on a second connection to the same file."""
    campaign = add_leads(store, "spring", 3, settings=SETTINGS)
    other = Store(tmp_path / "prospect.db", clock=clock)
    yield Dialer(store, "alice", campaign), Dialer(other, "bob", campaign)
    other.close()


def record(dialer, lead_id, code, **details):
    return dialer.record(lead_id, code, started_at=dialer.store.clock(), duration_s=30, **details)


def live_calls(store, lead_id):
    return store.scalar(
        "SELECT count(*) FROM calls WHERE lead_id = ? AND undone_at IS NULL", (lead_id,)
    )


def bob_gets_alphas_retry(alice, bob, clock):
    """alice: 1 on Alpha (lead 1); a minute later bob is offered Alpha."""
    alpha = alice.next_lead()
    assert bob.next_lead()["id"] == 2
    record(alice, alpha["id"], "no_answer")
    assert alice.next_lead()["id"] == 3
    clock.advance(minutes=1, seconds=1)
    record(bob, 2, "busy")
    assert bob.next_lead()["id"] == alpha["id"]
    return alpha


def test_undo_leaves_a_lead_a_colleague_now_holds_with_him(team, store, clock):
    alice, bob = team
    alpha = bob_gets_alphas_retry(alice, bob, clock)

    undone = alice.undo()

    assert undone.lead is None
    assert undone.message == (
        "Société 000 was called by bob since: your call is cancelled, the lead stays with bob"
    )
    assert store.lead(alpha["id"])["claimed_by"] == "bob"
    # alice's call is cancelled and no longer counts as an attempt.
    assert store.scalar("SELECT undone_at FROM calls WHERE caller = 'alice'") is not None
    assert store.lead(alpha["id"])["attempts"] == live_calls(store, alpha["id"]) == 0


def test_no_call_is_stored_after_a_colleagues_do_not_call(team, store, clock):
    alice, bob = team
    alpha = bob_gets_alphas_retry(alice, bob, clock)
    record(bob, alpha["id"], "do_not_call")

    undone = alice.undo()

    assert undone.lead is None and "called by bob since" in undone.message
    lead = store.lead(alpha["id"])
    assert (lead["status"], lead["final_outcome"]) == ("done", "do_not_call")
    assert is_suppressed(store.conn, "phone", alpha["phone_e164"])
    with pytest.raises(UserError, match="do-not-call list"):
        record(alice, alpha["id"], "refused")
    assert store.rows("SELECT caller, outcome FROM calls WHERE lead_id = 1 ORDER BY id")[-1] == {
        "caller": "bob",
        "outcome": "do_not_call",
    }
    assert lead["attempts"] == live_calls(store, alpha["id"]) == 1


def test_a_do_not_call_taken_back_after_a_colleague_cancelled_an_earlier_call(team, store, clock):
    """Found by the 20-caller soak: alice cancels her earlier call, so the lead's attempts
    drop by one; bob's undo of his do-not-call must still see the lead as his call left it,
    take the number off the list and reopen the lead."""
    alice, bob = team
    alpha = bob_gets_alphas_retry(alice, bob, clock)
    record(bob, alpha["id"], "do_not_call")
    alice.undo()  # cancelled only: bob called since

    undone = bob.undo()

    assert undone.lead is not None and undone.lead["claimed_by"] == "bob"
    lead = store.lead(alpha["id"])
    assert (lead["status"], lead["final_outcome"]) == ("open", None)
    assert not is_suppressed(store.conn, "phone", alpha["phone_e164"])
    assert store.scalar("SELECT count(*) FROM suppressions") == 0
    assert lead["attempts"] == live_calls(store, alpha["id"]) == 0


def test_undo_reverts_while_nobody_called_or_took_the_lead(team, store, clock):
    alice, bob = team
    alpha = alice.next_lead()
    record(alice, alpha["id"], "no_answer")
    clock.advance(minutes=5)  # due again, but nobody took it

    undone = alice.undo()

    assert undone.lead["id"] == alpha["id"] and undone.lead["claimed_by"] == "alice"
    assert (undone.lead["status"], undone.lead["attempts"], undone.lead["next_call_at"]) == (
        "open",
        0,
        None,
    )
    assert bob.next_lead()["id"] != alpha["id"]


def test_undo_of_an_opt_in_the_lead_moved_on_from_still_withdraws_it(team, store, clock):
    alice, bob = team
    alpha = alice.next_lead()
    record(alice, alpha["id"], "opt_in", opt_in=OptIn(email="dsi@exemple.fr"))
    clock.advance(minutes=1)
    claim_lead(bob.store, alpha["id"], "bob", 10)  # bob found it with / and opened it

    undone = alice.undo()

    assert undone.lead is None and "the lead stays with bob" in undone.message
    events = store.rows("SELECT event, email, caller FROM consent_events ORDER BY id")
    assert events == [
        {"event": "granted", "email": "dsi@exemple.fr", "caller": "alice"},
        {"event": "withdrawn", "email": "dsi@exemple.fr", "caller": "alice"},
    ]
    assert verify_chain(store)[0]


def test_record_is_refused_on_a_lead_another_caller_holds(team, store):
    alice, bob = team
    alpha = alice.next_lead()

    with pytest.raises(UserError, match="Société 000 is on alice's screen"):
        record(bob, alpha["id"], "refused")

    assert store.scalar("SELECT count(*) FROM calls") == 0
    assert store.lead(alpha["id"])["claimed_by"] == "alice"


def test_record_on_a_lead_free_of_claims_is_allowed(team, store, clock):
    alice, bob = team
    alpha = alice.next_lead()
    clock.advance(minutes=11)  # alice's session stopped renewing: her claim expired
    record(bob, alpha["id"], "refused")
    assert store.lead(alpha["id"])["status"] == "done"


def test_a_renewed_claim_is_never_offered_to_another_caller(team, store, clock):
    alice, bob = team
    alpha = alice.next_lead()
    for _ in range(6):  # an hour on screen, the heartbeat renewing well inside 10 minutes
        clock.advance(minutes=9)
        assert alice.renew(alpha["id"], patience_s=1)
        assert alpha["id"] not in {bob.next_lead()["id"], bob.peek_next(0)["id"]}
        bob.release(bob.history[-1].lead_id if bob.history else 2)
    record(alice, alpha["id"], "refused")


def test_a_claim_not_renewed_expires_and_its_renewal_then_fails(team, store, clock):
    alice, bob = team
    alpha = alice.next_lead()
    bob.next_lead(), bob.next_lead()  # bob holds the two other leads
    clock.advance(minutes=11)
    assert bob.next_lead()["id"] == alpha["id"]
    assert not alice.renew(alpha["id"], patience_s=1)
    assert alice.holder(alpha["id"]) == "bob"


def test_the_queue_never_offers_a_number_on_the_do_not_call_list(team, store):
    alice, bob = team
    with store.write() as conn:
        suppress(conn, "phone", store.lead(1)["phone_e164"], "do_not_call", "supervisor", "x")
        conn.execute("UPDATE leads SET direct_line_e164 = '+33142680099' WHERE id = 2")
        suppress(conn, "phone", "+33142680099", "do_not_call", "supervisor", "x")
    assert alice.peek_next(0)["id"] == 3
    assert alice.next_lead()["id"] == 3
    assert bob.next_lead() is None


def test_undo_reopens_exactly_the_callbacks_its_call_settled(team, store, clock):
    alice, bob = team
    alpha = alice.next_lead()
    due = clock() + timedelta(minutes=30)
    record(alice, alpha["id"], "callback", callback=CallbackRequest(due_at=due, owner_only=False))
    clock.advance(minutes=31)
    assert bob.next_lead()["id"] == alpha["id"]  # the callback is for anyone
    record(bob, alpha["id"], "busy")
    assert store.scalar("SELECT count(*) FROM callbacks WHERE done_at IS NULL") == 0

    assert bob.undo().lead["id"] == alpha["id"]

    assert store.rows("SELECT owner, done_at FROM callbacks") == [{"owner": None, "done_at": None}]
    assert store.lead(alpha["id"])["status"] == "callback"


def test_a_write_waits_for_a_busy_lock_with_back_off_then_commits(store):
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")

    def commit_later() -> None:  # a sleep, not threading.Timer: that one hangs under faketime
        time.sleep(0.3)
        holder.execute("COMMIT")

    threading.Thread(target=commit_later).start()
    with store.write(patience_s=5) as conn:
        conn.execute("INSERT INTO campaigns (name, created_at) VALUES ('late', 'now')")
    assert store.campaign("late")
    holder.close()


def test_a_write_gives_up_after_its_patience_not_the_busy_timeout(store):
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        with store.write(patience_s=0.3):
            pass
    assert time.monotonic() - started < 2
    holder.execute("ROLLBACK")
    holder.close()
    # The connection's own busy timeout is back for everything else.
    assert store.scalar("PRAGMA busy_timeout") == 30_000


def test_writers_take_turns_and_a_write_with_a_deadline_gives_up(store, clock):
    colleague = Store(store.path, clock=clock)
    with colleague.write():
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with store.write(patience_s=0.2):
                pass
        assert time.monotonic() - started < 2

    def long_write() -> None:
        with colleague.write():
            time.sleep(0.3)

    holder = threading.Thread(target=long_write)
    holder.start()
    time.sleep(0.05)
    with store.write() as conn:  # waits its turn, then commits
        conn.execute("INSERT INTO campaigns (name, created_at) VALUES ('after', 'now')")
    holder.join()
    assert store.campaign("after")
    assert (store.path.parent / "prospect.db-turn").stat().st_mode & 0o777 == 0o600
    colleague.close()
