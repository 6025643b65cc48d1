"""Eight callers in eight processes on one database for 20 s: claims never overlap, nothing lost.

Each worker process has its own Store (own connection) and logs every lead it was shown and
every call it recorded; the test then checks the logs against the calls table.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import time
from collections import Counter, defaultdict
from pathlib import Path

from prospect_tui.core.dialing import Dialer
from prospect_tui.core.store import Store
from tests.helpers import add_leads

CALLERS = 8
LEADS = 2_000
SECONDS = 20.0
# Retry at once and no attempt cap, so the eight callers keep fighting over the same leads
# (the retry queue is ordered) for the whole run instead of running out of leads.
SETTINGS = {
    "retry_minutes": {"no_answer": 0, "busy": 0, "voicemail": 0, "switchboard": 0},
    "max_attempts": 1_000_000,
}
# Outcomes that record at once (no opt-in form, no callback date), with their weights: finals
# are rare so that ~10,000 calls leave most of the 2,000 leads open.
OUTCOMES = {
    "no_answer": 30,
    "busy": 25,
    "voicemail": 25,
    "switchboard": 18,
    "refused": 0.5,
    "wrong_number": 0.5,
    "not_qualified": 0.5,
    "do_not_call": 0.5,
}


def caller_loop(db: str, caller: str, campaign: str, log: str, start, seconds: float) -> None:
    """One caller: claim, hold the lead a few ms (the call), record a random outcome; repeat.

    Times are CLOCK_MONOTONIC (time.monotonic on Linux), one clock for every process.
    """
    rng = random.Random(caller)
    store = Store(db)
    dialer = Dialer(store, caller, store.campaign(campaign))
    with open(log, "w", encoding="utf-8", buffering=1) as out:
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                lead = dialer.next_lead()
                claimed = time.monotonic()
                if lead is None:
                    out.write(json.dumps({"idle": claimed}) + "\n")
                    time.sleep(0.01)
                    continue
                time.sleep(rng.uniform(0, 0.004))
                outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
                released = time.monotonic()
                call_id = dialer.record(
                    lead["id"], outcome, started_at=store.clock(), duration_s=released - claimed
                )
                out.write(
                    json.dumps(
                        {
                            "lead": lead["id"],
                            "claimed_by": lead["claimed_by"],
                            "claimed": claimed,
                            "released": released,
                            "call": call_id,
                            "outcome": outcome,
                        }
                    )
                    + "\n"
                )
            except sqlite3.OperationalError as error:
                # What a caller would see as "database is locked" (or any other lock error).
                out.write(json.dumps({"error": str(error)}) + "\n")
    store.close()


def run_callers(tmp_path: Path) -> tuple[Path, dict[str, list[dict]]]:
    db = tmp_path / "shared.db"
    setup = Store(db)
    add_leads(setup, "busy-floor", LEADS, settings=SETTINGS)
    setup.close()

    spawn = multiprocessing.get_context("spawn")
    start = spawn.Event()
    logs = {f"caller{n}": tmp_path / f"caller{n}.jsonl" for n in range(CALLERS)}
    workers = [
        spawn.Process(
            target=caller_loop, args=(str(db), caller, "busy-floor", str(log), start, SECONDS)
        )
        for caller, log in logs.items()
    ]
    for worker in workers:
        worker.start()
    # Let every process import and open its connection, then start them together.
    time.sleep(1.5)
    start.set()
    for worker in workers:
        worker.join(timeout=SECONDS + 60)
    exit_codes = [worker.exitcode for worker in workers]
    assert exit_codes == [0] * CALLERS, f"a caller process failed: exit codes {exit_codes}"
    entries = {
        caller: [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        for caller, log in logs.items()
    }
    return db, entries


def test_eight_callers_for_twenty_seconds_on_one_database(tmp_path):
    db, entries = run_callers(tmp_path)

    errors = [(c, e["error"]) for c, log in entries.items() for e in log if "error" in e]
    assert not errors, f"callers saw database errors: {errors[:5]} ({len(errors)} in all)"

    # Most leads stay open all along, so "no lead for you now" would be a wrong answer.
    idle = {caller: sum("idle" in e for e in log) for caller, log in entries.items()}
    assert not any(idle.values()), f"callers were told there was no lead: {idle}"

    records = {caller: [e for e in log if "call" in e] for caller, log in entries.items()}
    # Every caller really worked the whole time (a stuck or starved caller fails here).
    assert all(len(done) >= 20 for done in records.values()), {
        caller: len(done) for caller, done in records.items()
    }

    # No lead was held by two callers at once. A hold is certain from the moment next_lead()
    # returned it to the moment record() was called, so any overlap is a double claim.
    holds = defaultdict(list)
    for caller, done in records.items():
        for entry in done:
            holds[entry["lead"]].append((entry["claimed"], entry["released"], caller))
    overlaps = []
    for lead_id, spans in holds.items():
        spans.sort()
        for before, after in zip(spans, spans[1:], strict=False):
            if after[0] < before[1]:
                overlaps.append((lead_id, before, after))
    assert not overlaps, f"leads shown to two callers at once: {overlaps[:5]}"
    foreign = [(c, e) for c, done in records.items() for e in done if e["claimed_by"] != c]
    assert not foreign, f"leads shown under another caller's claim: {foreign[:5]}"
    # The test means something only if callers did compete for the same leads.
    shared = sum(1 for spans in holds.values() if len({c for _, _, c in spans}) > 1)
    assert shared >= 10, f"only {shared} leads were worked by more than one caller"

    conn = sqlite3.connect(db)
    calls = {
        row[0]: row[1:]
        for row in conn.execute("SELECT id, lead_id, caller, outcome, undone_at FROM calls")
    }
    logged = {
        e["call"]: (e["lead"], caller, e["outcome"], None)
        for caller, done in records.items()
        for e in done
    }
    assert len(logged) == sum(len(done) for done in records.values()), "a call id was reused"
    missing = {cid: row for cid, row in logged.items() if calls.get(cid) != row}
    assert not missing, f"recorded calls missing or wrong in the table: {list(missing.items())[:5]}"
    assert len(calls) == len(logged), f"{len(calls)} calls in the table, {len(logged)} recorded"

    # No lost update: each lead's attempt counter is the number of its calls.
    per_lead = Counter(lead_id for lead_id, *_ in calls.values())
    attempts = dict(conn.execute("SELECT id, attempts FROM leads WHERE attempts > 0"))
    assert attempts == dict(per_lead)
    # Every claim was released by its outcome; nothing is left held.
    assert conn.execute("SELECT count(*) FROM leads WHERE claimed_by IS NOT NULL").fetchone() == (
        0,
    )
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
