"""Peak memory of `prospect import` on a 1,000,000-row CSV: streamed, it stays flat.

The reference, measured in the same run, is the same import of a file ten times smaller:
memory that stays flat gives a ratio near 1x (a reader holding the whole file gives ~10x).
Target (issue 10): under 400 MB. Run: python scripts/bench_import_memory.py [--rows N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
# The import's own process and, apart, the largest of its phone helper processes.
MEASURED = (
    "import resource, sys; from prospect_tui.cli import main; "
    "main(['--db', sys.argv[1], 'import', sys.argv[2], '--json']); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def measure(folder: Path, rows: int) -> tuple[float, float, float, float]:
    """(seconds, file MB, import process peak MB, largest helper peak MB) for `rows` rows."""
    source = folder / f"leads-{rows}.csv"
    subprocess.run(
        [sys.executable, str(SCRIPTS / "make_leads.py"), "-n", str(rows), "-o", str(source)],
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    printed = subprocess.run(
        [sys.executable, "-c", MEASURED, str(folder / f"p-{rows}.db"), str(source)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    seconds = time.perf_counter() - started
    own, helper = (int(kb) / 1024 for kb in printed[-2:])
    return seconds, source.stat().st_size / 2**20, own, helper


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (1,000,000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        reference = measure(Path(folder), args.rows // 10)
        measured = measure(Path(folder), args.rows)
    for rows, (seconds, size, own, helper) in ((args.rows // 10, reference), (args.rows, measured)):
        print(
            f"{rows:>9,} rows ({size:4.0f} MB): {seconds:6.1f} s, import process peak"
            f" {own:4.0f} MB, largest phone helper {helper:4.0f} MB"
        )
    ratio = measured[2] / reference[2]
    print(f"peak at {args.rows:,} rows / peak at {args.rows // 10:,}: {ratio:.2f}x")
    print(f"target < 400 MB: {'meets' if measured[2] < 400 else 'misses'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
