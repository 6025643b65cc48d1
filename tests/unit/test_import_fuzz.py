"""Fuzz: mutated copies of the shared lead files, imported through the command line in-process.

Every run exits 0 or 2, never with a traceback, and imports all of its rows or none. The seed
is printed: `PROSPECT_FUZZ_SEED=N pytest tests/unit/test_import_fuzz.py` replays a run.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from prospect_tui.cli import main
from prospect_tui.core.store import Store

RUNS = 200
HEAD_BYTES = 12_000  # a few dozen rows of each file: quick to import, rich enough to break


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random damages of the kinds real files suffer."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        where = rng.randrange(len(buffer)) if buffer else 0
        kind = rng.choice(["flip", "cut", "quote", "nul", "cr", "huge", "bom", "lf", "delete"])
        if kind == "flip" and buffer:
            for _ in range(rng.randint(1, 40)):
                spot = rng.randrange(len(buffer))
                buffer[spot] ^= 1 << rng.randrange(8)
        elif kind == "cut":
            del buffer[where:]
        elif kind == "quote":
            buffer[where:where] = b'"' * rng.randint(1, 3)
        elif kind == "nul":
            buffer[where:where] = b"\x00" * rng.choice([1, 7, 5000])
        elif kind == "cr":
            buffer[:] = buffer.replace(b"\r\n", b"\r") if rng.random() < 0.5 else buffer
            buffer[where:where] = b"\r"
        elif kind == "huge":
            buffer[where:where] = bytes([rng.randrange(32, 127)]) * rng.choice([70_000, 200_000])
        elif kind == "bom":
            buffer[where:where] = b"\xef\xbb\xbf"
        elif kind == "lf":
            buffer[where:where] = b"\n" * rng.randint(1, 3)
        else:
            del buffer[where : where + rng.randint(1, 200)]
    return bytes(buffer)


def test_mutated_lead_files_exit_0_or_2_and_import_all_or_nothing(
    tmp_path: Path, shared_data: Path, capsys
):
    seed = int(os.environ.get("PROSPECT_FUZZ_SEED", time.time_ns() % 1_000_000))
    with capsys.disabled():
        print(f"fuzz seed {seed} (PROSPECT_FUZZ_SEED={seed} replays it)")
    rng = random.Random(seed)
    csv_head = (shared_data / "leads_fr_excel_2000.csv").read_bytes()[:HEAD_BYTES]
    xlsx = (shared_data / "leads_office_1000.xlsx").read_bytes()
    database = tmp_path / "fuzz.db"
    store = Store(database)
    for run in range(RUNS):
        spreadsheet = run % 5 == 0
        suffix = ".xlsx" if spreadsheet else rng.choice([".csv", ".txt"])
        lead_file = tmp_path / f"run{run}{suffix}"
        lead_file.write_bytes(mutate(xlsx if spreadsheet else csv_head, rng))
        before = store.count_leads()
        code = main(["--db", str(database), "import", str(lead_file), "--json",
                     "--campaign", f"run{run}"])  # fmt: skip
        out, err = capsys.readouterr()
        where = f"seed {seed}, run {run}"
        assert code in (0, 2), where
        assert "Traceback" not in err, where
        added = store.count_leads() - before
        if code == 0:
            report = json.loads(out)
            assert added == report["imported"], where
        else:
            assert (out, added) == ("", 0), where
            assert err.count("\n") == 1 and len(err) < 600, where
        lead_file.unlink()
    store.close()
