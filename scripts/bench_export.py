"""Time `prospect export optins` on 10,000 opt-ins (CSV for Excel, plain CSV, xlsx).

Run by hand: `.venv/bin/python scripts/bench_export.py [--optins N] [--repeat R]`; target < 1 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from prospect_tui.core.campaigns import DEFAULTS
from prospect_tui.core.consent import check_chain, record_consent
from prospect_tui.core.exporter import export_optins
from prospect_tui.core.roles import SUPERVISOR, Actor
from prospect_tui.core.store import Store

BENCH = Actor("bench", SUPERVISOR)

CITIES = ("Lyon", "Évreux", "Saint-Étienne", "Besançon", "Orléans", "Nîmes", "Créteil")


def seed(store: Store, count: int) -> None:
    """`count` leads, each with a granted consent event chained like the dialer writes it."""
    campaign = store.ensure_campaign("bench")
    now = store.now()
    with store.write() as conn:
        for i in range(count):
            e164 = f"+3314{i:07d}"
            national = f"01 4{i // 1000000 % 10} {i // 10000 % 100:02d} {i // 100 % 100:02d}"
            lead_id = conn.execute(
                "INSERT INTO leads (campaign_id, company, phone_e164, phone_national, city,"
                " contact_name, source, status, final_outcome, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'bench list', 'done', 'opt_in', ?)",
                (
                    campaign["id"],
                    f"=Société {i}" if i % 500 == 0 else f"Société Générale d'Électricité {i}",
                    e164,
                    f"{national} {i % 100:02d}",
                    CITIES[i % len(CITIES)],
                    f"Zoé Noël {i}",
                    now,
                ),
            ).lastrowid
            lead = {"id": lead_id, "campaign_id": campaign["id"], "source": "bench list"}
            record_consent(
                conn,
                event="granted",
                lead=lead,
                call_id=None,
                email=f"dsi.{i}@société-{i % 300}.fr",
                email_typed=f"dsi.{i}@société-{i % 300}.fr",
                contact_name=f"Zoé Noël {i}",
                contact_title="DSI",
                caller=f"caller{i % 13}",
                at=now,
                phone_e164=e164,
                settings=DEFAULTS,
            )


def timed(label: str, repeat: int, run) -> None:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    verdict = "ok" if best < 1.0 else "OVER the 1 s target"
    print(f"{label:<22} {rows:>6} rows  best of {repeat}: {best * 1000:7.1f} ms  ({verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optins", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        # The seed's consent events are keyed: with a key of its own, not the user's.
        os.environ["PROSPECT_CONSENT_KEY"] = str(out / "consent.key")
        store = Store(out / "bench.db")
        started = time.perf_counter()
        seed(store, args.optins)
        print(f"seeded {args.optins} opt-ins in {time.perf_counter() - started:.2f} s")
        timed("consent verify", args.repeat, lambda: check_chain(store).events)
        timed(
            "csv (French Excel)",
            args.repeat,
            lambda: export_optins(store, out / "o.csv", actor=BENCH),
        )
        timed(
            "csv (RFC 4180)",
            args.repeat,
            lambda: export_optins(store, out / "p.csv", excel_dialect=False, actor=BENCH),
        )
        timed(
            "xlsx",
            args.repeat,
            lambda: export_optins(store, out / "o.xlsx", fmt="xlsx", actor=BENCH),
        )
        store.close()


if __name__ == "__main__":
    main()
