"""Time every figure of the stats screen for one month of a 1,000,000-call history.

Target: under 300 ms; also prints a full scan of `calls` timed in the same run, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prospect_tui.core import stats
from prospect_tui.core.config import user_config
from prospect_tui.core.store import Store

TARGET_MS = 300.0
SEED_SCRIPT = Path(__file__).with_name("seed_history.py")


def last_full_month(now: datetime) -> stats.Period:
    """The calendar month before this one: a whole month of the seeded history."""
    zone = user_config().home_zone
    first_this = now.astimezone(zone).date().replace(day=1)
    last = first_this - timedelta(days=1)
    return stats.Period.between(last.replace(day=1), last, zone)


def timed(action, runs: int) -> list[float]:
    """Milliseconds of each run, after one warm-up run (page cache, schema parse)."""
    action()
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        found.append((time.perf_counter() - started) * 1000)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, help="history database (made by seed_history.py if missing)"
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)

    path = args.db or Path(tempfile.gettempdir()) / f"prospect-bench-{args.calls}.db"
    if not path.exists():
        print(f"seeding {path} with {args.leads} leads and {args.calls} calls...", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(SEED_SCRIPT),
                "--db",
                str(path),
                "--leads",
                str(args.leads),
                "--calls",
                str(args.calls),
            ],
            check=True,
        )
        print(f"seeded in {time.perf_counter() - started:.1f} s (including interpreter start)")

    store = Store(path)
    period = last_full_month(datetime.now(UTC))
    figures: dict = {}

    def compute() -> None:
        figures.update(stats.compute(store, period))

    def reference() -> None:
        # A plain full scan of the calls table (count(*) alone would only count pages).
        store.conn.execute("SELECT total(duration_s) FROM calls").fetchone()

    total_calls = store.scalar("SELECT count(*) FROM calls")
    # Interleave so both see the same moments of a noisy machine.
    compute_ms: list[float] = []
    reference_ms: list[float] = []
    for _ in range(args.runs):
        compute_ms += timed(compute, 1)
        reference_ms += timed(reference, 1)
    store.close()

    median = statistics.median(compute_ms)
    ref = statistics.median(reference_ms)
    print(stats.format_table(figures))
    print()
    print(
        f"database: {path} ({total_calls} calls); period: {period.label}, {figures['calls']} calls"
    )
    print(
        f"every figure of the stats screen: median {median:.0f} ms, min {min(compute_ms):.0f} ms"
        f" over {args.runs} runs (target < {TARGET_MS:.0f} ms:"
        f" {'met' if median < TARGET_MS else 'NOT met'})"
    )
    print(
        f"reference, full scan of calls: median {ref:.0f} ms, min {min(reference_ms):.0f} ms;"
        f" ratio compute / full scan = {median / ref:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
