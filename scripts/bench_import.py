"""Time `prospect import` on a big purchased list against a naive pipeline, in the same run.

Target (issue 3): ours, with detection, dedupe, suppression and rejects file, <= 0.8x naive.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import phonenumbers
import sqlite_utils

from prospect_tui.core.importing import import_file
from prospect_tui.core.roles import SUPERVISOR, Actor
from prospect_tui.core.store import Store

SCRIPTS = Path(__file__).resolve().parent


def naive_import(source: Path, database: Path) -> int:
    """What a first attempt looks like: told the encoding and separator, no dedupe, no rejects."""
    rows = []
    with source.open(encoding="cp1252", newline="") as lines:
        for row in csv.DictReader(lines, delimiter=";"):
            try:
                number = phonenumbers.parse(row["Téléphone"], "FR")
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                row["phone_e164"] = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
                rows.append(row)
    sqlite_utils.Database(database)["leads"].insert_all(rows)
    return len(rows)


def ours(source: Path, database: Path, rejects: Path) -> int:
    store = Store(database)
    report = import_file(
        store,
        source,
        actor=Actor("bench", SUPERVISOR),
        campaign="bench",
        source="bench",
        rejects_path=rejects,
    )
    store.close()
    return report.imported


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to generate (100,000)")
    parser.add_argument("--file", type=Path, help="use this cp1252 ';' file instead of generating")
    parser.add_argument(
        "--only", choices=("ours", "naive"), help="run one side (for /usr/bin/time -v)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = args.file
        if source is None:
            source = work / "leads.csv"
            subprocess.run(
                [sys.executable, str(SCRIPTS / "make_leads.py"), "-n", str(args.rows)]
                + ["-o", str(source)],
                check=True,
            )
        # Both sides start with phonenumbers' French metadata loaded.
        phonenumbers.parse("01 42 68 53 00", "FR")
        times: dict[str, float] = {}
        for side in ("ours", "naive"):
            if args.only and side != args.only:
                continue
            started = time.perf_counter()
            if side == "ours":
                count = ours(source, work / "ours.db", work / "rejects.csv")
            else:
                count = naive_import(source, work / "naive.db")
            times[side] = time.perf_counter() - started
            print(f"{side:>5}: {times[side]:6.2f} s  ({count} leads)")
        if len(times) == 2:
            ratio = times["ours"] / times["naive"]
            verdict = "meets" if ratio <= 0.8 else "misses"
            print(f"ratio: {ratio:.2f}x naive ({verdict} the 0.8x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
