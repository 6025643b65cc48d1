"""Answering a question in the terminal against an outcome key, with bench_session's method.

Two apps on one database (20,000 leads, a questionnaire of 60 questions on a 1-5 scale): the
session pressing outcome keys (counter "Today N calls") and the session answering with digits
(counter "N/60", the question reached). Same tmux control-mode watcher, same settling rule.

    python scripts/bench_answers.py --keys 100 --rounds 4
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_session as bench  # noqa: E402

from prospect_tui.core.phones import parse_phone  # noqa: E402
from prospect_tui.core.questionnaires.parse import parse_questionnaire  # noqa: E402
from prospect_tui.core.questionnaires.storage import attach_text  # noqa: E402
from prospect_tui.core.roles import SUPERVISOR, Actor  # noqa: E402
from prospect_tui.core.store import Store  # noqa: E402

BENCH = Actor("bench", SUPERVISOR)

CAMPAIGN = "bench-answers"
QUESTIONS = 60
TODAY = re.compile(r"Today (\d+) calls")


def questionnaire() -> str:
    blocks = ['title = "Bench"\n']
    for number in range(1, QUESTIONS + 1):
        blocks.append(
            f'[[question]]\nid = "q{number}"\ntype = "scale"\ntext = "Question {number} ?"\n'
            "min = 1\nmax = 5\n"
        )
    return "\n".join(blocks)


def ensure_database(path: Path, leads: int) -> None:
    if path.exists():
        return
    store = Store(path)
    campaign = store.ensure_campaign(CAMPAIGN, {"calling_hours": "off"})
    with store.write() as conn:
        for i in range(leads):
            phone = parse_phone(f"01 4{i // 10000 % 10} {i // 100 % 100:02d} {i % 100:02d} 00")
            conn.execute(
                "INSERT OR IGNORE INTO leads (campaign_id, company, phone_e164, phone_national,"
                " phone_type, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (campaign["id"], f"Client {i}", phone.e164, phone.national, phone.type,
                 phone.timezone, store.now()),
            )  # fmt: skip
    attach_text(store, CAMPAIGN, parse_questionnaire(questionnaire()), "bench.toml", BENCH)
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "bench-answers.db")
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=100, help="keys per app (100)")
    parser.add_argument("--rounds", type=int, default=4, help="launches per app (4)")
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--quiet", type=float, default=0.1)
    args = parser.parse_args(argv)
    ensure_database(args.db, args.leads)
    command = (
        f"env PROSPECT_CONFIG={os.devnull} {sys.executable} -m prospect_tui --db {args.db}"
        f" --caller bench --campaign {CAMPAIGN}"
    )
    outcomes = bench.App("outcome keys", command, TODAY)
    answers = bench.App("answer keys", command, re.compile(rf"· (\d+)/{QUESTIONS} · "))
    rng = random.Random(1)
    per_round = min(max(1, args.keys // args.rounds), QUESTIONS - 1)
    for round_number in range(args.rounds + 1):  # round 0 warms caches, not counted
        for number, app in enumerate((outcomes, answers)):
            session = bench.Session(app, f"bench-a-{os.getpid()}-{round_number}-{number}",
                                    100, 30, args.quiet)  # fmt: skip
            try:
                if app is answers:
                    # Launched like the other, then `q` opens the panel on question 1.
                    app.counter = TODAY
                    session.launch()
                    app.counter = re.compile(rf"· (\d+)/{QUESTIONS} · ")
                    sent = session._command(f"send-keys -t {session.pane.name} q")
                    _, counter = session.answer(sent, None)
                else:
                    counter = session.launch()
                for _ in range(per_round if round_number else 3):
                    time.sleep(rng.uniform(args.pause / 2, args.pause * 1.5))
                    counter += 1
                    key = rng.choice(["1", "2", "3", "6", "8", "0"] if app is outcomes else "12345")
                    session.press(key, counter)
                if app is answers:  # the next round takes a fresh lead, not this interview
                    session._command(f"send-keys -t {session.pane.name} Escape s")
                    time.sleep(0.5)
            finally:
                session.quit()
            if round_number == 0:
                app.launches.clear()
                app.keys.clear()
        print(f"round {round_number}/{args.rounds} done", file=sys.stderr, flush=True)

    def ms(values: list[float], share: float | None = None) -> float:
        found = statistics.median(values) if share is None else bench.percentile(values, share)
        return found * 1000

    for app in (outcomes, answers):
        print(f"{app.name}: {len(app.keys)} keys, median {ms(app.keys):.1f} ms,"
              f" p95 {ms(app.keys, 0.95):.1f} ms")  # fmt: skip
    ratio = statistics.median(answers.keys) / statistics.median(outcomes.keys)
    print(f"answer key / outcome key, median: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
