"""Twenty callers in twenty processes on one database: claim, record, undo, skip, callbacks
for anyone and opt-ins at full speed; every promise is checked from the logs and the tables.

Each process logs every lead it held (from the claim, or the undo that gave it back, to the
moment it recorded or skipped it), every call it recorded and every undo; the test then
checks the logs against the calls, leads, callbacks and consent tables.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from prospect_tui.core import UserError
from prospect_tui.core.consent import verify_chain
from prospect_tui.core.dialing import CallbackRequest, Dialer, OptIn
from prospect_tui.core.store import Store
from tests.helpers import add_leads

CALLERS = 20
LEADS = 2_000
SECONDS = 10.0
# On a loaded machine ten seconds may not be enough for the run to mean something: callers
# go on until this many calls are recorded, for at most LONGEST_S.
MIN_CALLS = 600
LONGEST_S = 40.0
# Retry at once and no attempt cap, so the callers keep fighting over the same leads (the
# retry queue is ordered) for the whole run instead of running out of leads.
SETTINGS = {
    "retry_minutes": {"no_answer": 0, "busy": 0, "voicemail": 0, "switchboard": 0},
    "max_attempts": 1_000_000,
}
# Outcomes with their weights: finals are rare so that most of the 2,000 leads stay open.
OUTCOMES = {
    "no_answer": 30,
    "busy": 20,
    "voicemail": 20,
    "switchboard": 15,
    "callback": 6,  # for anyone, due at once: another caller takes it
    "opt_in": 1,
    "refused": 0.5,
    "wrong_number": 0.5,
    "not_qualified": 0.5,
    "do_not_call": 1,
}
UNDO_SHARE = 0.15
SKIP_SHARE = 0.05


def _details(outcome: str, store: Store, caller: str, rng: random.Random) -> dict:
    if outcome == "callback":
        return {"callback": CallbackRequest(due_at=store.clock(), owner_only=False)}
    if outcome == "opt_in":
        return {"opt_in": OptIn(email=f"dsi.{caller}.{rng.randrange(10**9)}@exemple.fr")}
    return {}


def caller_loop(db: str, caller: str, campaign: str, log: str, start, total) -> None:
    """One caller at full speed; times are CLOCK_MONOTONIC, one clock for every process."""
    rng = random.Random(caller)
    store = Store(db)
    dialer = Dialer(store, caller, store.campaign(campaign))

    def write(entry: dict) -> None:
        out.write(json.dumps(entry) + "\n")

    with open(log, "w", encoding="utf-8", buffering=1) as out:
        start.wait()
        began = time.monotonic()
        held = None  # (lead id, since) of the lead on this caller's screen
        while (
            time.monotonic() - began < SECONDS or total.value < MIN_CALLS
        ) and time.monotonic() - began < LONGEST_S:
            try:
                if held is None:
                    lead = dialer.next_lead()
                    if lead is None:
                        write({"idle": time.monotonic()})
                        time.sleep(0.01)
                        continue
                    assert lead["claimed_by"] == caller
                    held = (lead["id"], time.monotonic())
                time.sleep(rng.uniform(0, 0.004))
                lead_id, since = held
                released = time.monotonic()
                if rng.random() < SKIP_SHARE:
                    dialer.skip(lead_id)
                    write({"lead": lead_id, "held": [since, released]})
                    held = None
                    continue
                outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
                call_id = dialer.record(
                    lead_id,
                    outcome,
                    started_at=store.clock(),
                    duration_s=released - since,
                    **_details(outcome, store, caller, rng),
                )
                write(
                    {
                        "lead": lead_id,
                        "held": [since, released],
                        "call": call_id,
                        "outcome": outcome,
                    }
                )
                held = None
                with total.get_lock():
                    total.value += 1
                if rng.random() < UNDO_SHARE:
                    time.sleep(rng.uniform(0, 0.004))  # the caller's hand reaching for u
                    undone = dialer.undo()
                    back = undone.lead
                    write({"undone": call_id, "reverted": back is not None})
                    if back is not None:
                        held = (back["id"], time.monotonic())
            except UserError as error:
                write({"refused": str(error)})
                held = None
            except sqlite3.OperationalError as error:
                write({"error": str(error)})
        if held is not None:
            dialer.release(held[0])
            write({"lead": held[0], "held": [held[1], time.monotonic()]})
    store.close()


def run_callers(tmp_path: Path) -> tuple[Path, dict[str, list[dict]]]:
    db = tmp_path / "shared.db"
    setup = Store(db)
    add_leads(setup, "busy-floor", LEADS, settings=SETTINGS)
    setup.close()

    spawn = multiprocessing.get_context("spawn")
    # A real barrier: every process has imported and opened its connection before any starts.
    start = spawn.Barrier(CALLERS + 1)
    total = spawn.Value("i", 0)
    logs = {f"caller{n:02d}": tmp_path / f"caller{n:02d}.jsonl" for n in range(CALLERS)}
    workers = [
        spawn.Process(
            target=caller_loop, args=(str(db), caller, "busy-floor", str(log), start, total)
        )
        for caller, log in logs.items()
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=120)
    for worker in workers:
        worker.join(timeout=LONGEST_S + 60)
    exit_codes = [worker.exitcode for worker in workers]
    assert exit_codes == [0] * CALLERS, f"a caller process failed: exit codes {exit_codes}"
    entries = {
        caller: [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        for caller, log in logs.items()
    }
    return db, entries


@pytest.mark.slow
def test_twenty_callers_at_full_speed_keep_every_promise(tmp_path):
    db, entries = run_callers(tmp_path)
    every = [(caller, e) for caller, log in entries.items() for e in log]

    errors = [e for _, e in every if "error" in e or "refused" in e]
    assert not errors, f"callers saw errors: {errors[:5]} ({len(errors)} in all)"

    calls_logged = {e["call"]: (e["lead"], c, e["outcome"]) for c, e in every if "call" in e}
    per_caller = Counter(c for c, e in every if "call" in e)
    # Every caller worked (a stuck or starved one fails here).
    assert len(per_caller) == CALLERS, per_caller
    undone_logged = {e["undone"]: e["reverted"] for _, e in every if "undone" in e}

    # No lead held by two callers at any instant: a hold runs from the claim (or the undo
    # that gave the lead back) to the moment the caller recorded or skipped it.
    holds = defaultdict(list)
    for caller, e in every:
        if "held" in e:
            holds[e["lead"]].append((*e["held"], caller))
    overlaps = []
    for lead_id, spans in holds.items():
        spans.sort()
        for before, after in zip(spans, spans[1:], strict=False):
            if after[0] < before[1]:
                overlaps.append((lead_id, before, after))
    assert not overlaps, f"leads on two screens at once: {overlaps[:5]} ({len(overlaps)})"
    shared = sum(1 for spans in holds.values() if len({c for *_, c in spans}) > 1)
    assert shared >= 10, f"only {shared} leads were worked by more than one caller"

    conn = sqlite3.connect(db)
    calls = {
        row[0]: row[1:]
        for row in conn.execute("SELECT id, lead_id, caller, outcome, undone_at FROM calls")
    }
    # Every acknowledged call is there, as recorded, undone exactly when it was undone.
    assert len(calls) == len(calls_logged)
    wrong = [
        (cid, calls.get(cid), logged)
        for cid, logged in calls_logged.items()
        if calls.get(cid) is None
        or calls[cid][:3] != logged
        or (calls[cid][3] is not None) != (cid in undone_logged)
    ]
    assert not wrong, f"calls missing or wrong in the table: {wrong[:5]}"

    # Each lead's attempts are its live calls.
    live = Counter(lead for lead, _, _, undone in calls.values() if undone is None)
    attempts = dict(conn.execute("SELECT id, attempts FROM leads WHERE attempts > 0"))
    assert attempts == dict(live)

    # No call after a do-not-call.
    after_dnc = conn.execute(
        "SELECT d.lead_id, d.id, k.id, k.caller FROM calls d JOIN calls k"
        " ON k.lead_id = d.lead_id AND k.id > d.id"
        " WHERE d.outcome = 'do_not_call' AND d.undone_at IS NULL"
    ).fetchall()
    assert not after_dnc, f"calls stored after a do-not-call: {after_dnc[:5]}"
    assert (
        conn.execute(
            "SELECT count(*) FROM calls WHERE outcome = 'do_not_call' AND undone_at IS NULL"
        ).fetchone()[0]
        == conn.execute("SELECT count(*) FROM suppressions").fetchone()[0]
    )

    # Callbacks for anyone were taken by other callers; opt-ins are proven, undone ones
    # withdrawn, and the consent chain holds.
    takers = conn.execute(
        "SELECT count(*) FROM callbacks b JOIN calls k ON k.id = b.settled_by"
        " WHERE k.caller != b.created_by"
    ).fetchone()[0]
    assert takers >= 3
    opt_ins = conn.execute(
        "SELECT count(*), coalesce(sum(undone_at IS NOT NULL), 0) FROM calls"
        " WHERE outcome = 'opt_in'"
    ).fetchone()
    events = Counter(e for (e,) in conn.execute("SELECT event FROM consent_events"))
    assert (events["granted"], events["withdrawn"]) == opt_ins and opt_ins[0] >= 1
    store = Store(db)
    assert verify_chain(store)[0], verify_chain(store)
    store.close()

    assert conn.execute("SELECT count(*) FROM leads WHERE claimed_by IS NOT NULL").fetchone() == (
        0,
    )
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    # The run meant something: calls were undone, some after a colleague took the lead.
    assert sum(undone_logged.values()) >= 5 and list(undone_logged.values()).count(False) >= 1
