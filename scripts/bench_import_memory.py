"""Peak memory of `prospect import` on a 1,000,000-row CSV: streamed, it stays flat.

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
MEASURED = (
    "import resource, sys; from prospect_tui.cli import main; "
    "main(['--db', sys.argv[1], 'import', sys.argv[2], '--json']); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (1,000,000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "leads.csv"
        subprocess.run(
            [
                sys.executable,
                str(SCRIPTS / "make_leads.py"),
                "-n",
                str(args.rows),
                "-o",
                str(source),
            ],
            check=True,
        )
        started = time.perf_counter()
        # The import runs in a child of its own, which reports its own peak resident size
        # (the generator's and the phone helpers' do not count).
        database = str(Path(folder) / "p.db")
        peak_kb = subprocess.run(
            [sys.executable, "-c", MEASURED, database, str(source)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        seconds = time.perf_counter() - started
        peak_mb = int(peak_kb) / 1024
        size_mb = source.stat().st_size / 2**20
        verdict = "meets" if peak_mb < 400 else "misses"
        print(f"{args.rows:,} rows ({size_mb:.0f} MB): {seconds:.1f} s, peak {peak_mb:.0f} MB")
        print(f"target < 400 MB: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
