"""Claim+record latency with 20 and 50 callers in as many processes on one database file.

Each caller claims a lead and records an outcome at full speed (no talk time); the script
prints p50/p99 of claim+record and the calls/s, for the writers' turns of core/busy.py and,
measured in the same run as the reference, SQLite's own busy handler (the old behaviour:
BEGIN IMMEDIATE waiting up to the 30 s busy timeout), plus one caller alone.

    python scripts/bench_team.py                  # 20 and 50 callers, 8 s each
    python scripts/bench_team.py --callers 20 --seconds 5
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prospect_tui.core import busy  # noqa: E402
from prospect_tui.core.dialing import Dialer  # noqa: E402
from prospect_tui.core.store import Store  # noqa: E402
from tests.helpers import add_leads  # noqa: E402

LEADS = 5_000
SETTINGS = {
    "retry_minutes": {"no_answer": 0, "busy": 0, "voicemail": 0, "switchboard": 0},
    "max_attempts": 1_000_000,
}
OUTCOMES = ("no_answer", "busy", "voicemail")


def busy_handler_begin(conn: sqlite3.Connection, patience_s: float, busy_timeout_ms: int) -> None:
    """The old way: one BEGIN IMMEDIATE that waits on SQLite's busy handler..."""
    conn.execute("BEGIN IMMEDIATE")


@contextmanager
def no_turn(self: busy.WriterTurns, patience_s: float | None) -> Iterator[None]:
    """...and no turns taken."""
    yield


def caller(db: str, name: str, strategy: str, start, seconds: float, results) -> None:
    if strategy == "busy handler":
        busy.begin_immediate = busy_handler_begin
        busy.WriterTurns.turn = no_turn  # type: ignore[method-assign,assignment]
    store = Store(db)
    dialer = Dialer(store, name, store.campaign("bench"))
    latencies: list[float] = []
    start.wait()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        began = time.perf_counter()
        lead = dialer.next_lead()
        if lead is None:
            continue
        dialer.record(lead["id"], OUTCOMES[n % 3], started_at=store.clock(), duration_s=0.0)
        latencies.append((time.perf_counter() - began) * 1000)
        n += 1
    results.put(latencies)
    store.close()


def run(callers: int, strategy: str, seconds: float) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, calls/s) for `callers` processes on a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "team.db"
        setup = Store(db)
        add_leads(setup, "bench", LEADS, settings=SETTINGS)
        setup.close()
        spawn = multiprocessing.get_context("spawn")
        start, results = spawn.Barrier(callers + 1), spawn.Queue()
        workers = [
            spawn.Process(target=caller, args=(str(db), f"c{i}", strategy, start, seconds, results))
            for i in range(callers)
        ]
        for worker in workers:
            worker.start()
        start.wait()
        latencies = [ms for _ in workers for ms in results.get(timeout=seconds + 120)]
        for worker in workers:
            worker.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99, len(latencies) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    p50, p99, rate = run(1, "turns", args.seconds)
    print(f"{'callers':>7}  {'lock wait':<12}  {'p50 ms':>7}  {'p99 ms':>7}  {'calls/s':>7}")
    print(f"{1:>7}  {'(alone)':<12}  {p50:7.1f}  {p99:7.1f}  {rate:7.0f}")
    for callers in args.callers:
        figures = {}
        for strategy in ("busy handler", "turns"):
            figures[strategy] = run(callers, strategy, args.seconds)
            p50, p99, rate = figures[strategy]
            print(f"{callers:>7}  {strategy:<12}  {p50:7.1f}  {p99:7.1f}  {rate:7.0f}")
        ratio = figures["busy handler"][1] / figures["turns"][1]
        print(f"{'':>7}  p99 busy handler / turns: {ratio:.1f}x")


if __name__ == "__main__":
    main()
