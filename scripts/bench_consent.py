"""CPU time of the keyed consent chain: appending 10,000 opt-ins, verifying them, exporting them.

Process CPU time (best of 3): the figures hold on a shared, busy machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_export import seed  # noqa: E402

from prospect_tui.core.consent import verify_chain  # noqa: E402
from prospect_tui.core.exporter import export_optins  # noqa: E402
from prospect_tui.core.roles import SUPERVISOR, Actor  # noqa: E402
from prospect_tui.core.store import Store  # noqa: E402

BENCH = Actor("bench", SUPERVISOR)


def cpu_ms(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optins", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        os.environ["PROSPECT_CONSENT_KEY"] = str(out / "consent.key")
        store = Store(out / "bench.db")
        seeding = cpu_ms(lambda: seed(store, args.optins), repeat=1)
        print(f"append {args.optins} consent events: {seeding:7.0f} ms CPU")
        print(f"consent verify:             {cpu_ms(lambda: verify_chain(store)):7.0f} ms CPU")
        export = cpu_ms(lambda: export_optins(store, out / "o.csv", actor=BENCH))
        print(f"export optins (CSV, Excel): {export:7.0f} ms CPU (verification included)")
        store.close()


if __name__ == "__main__":
    main()
