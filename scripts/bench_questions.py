"""Time `stats --questions` (every question's figures and the AAPOR block) over 100,000 answers.

Target: under 200 ms. Also times, in the same run, a full scan of the answers table (the
reference) and the whole command in a fresh process against `prospect --version`.

    python scripts/bench_questions.py                  # builds /tmp/prospect-bench-answers.db once
    python scripts/bench_questions.py --answers 100000 --runs 9
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_stats import timed  # noqa: E402

from prospect_tui.core.questionnaires.figures import question_figures  # noqa: E402
from prospect_tui.core.questionnaires.model import Answer  # noqa: E402
from prospect_tui.core.questionnaires.parse import parse_questionnaire  # noqa: E402
from prospect_tui.core.questionnaires.storage import attach_text, encode  # noqa: E402
from prospect_tui.core.roles import SUPERVISOR, Actor  # noqa: E402
from prospect_tui.core.store import Store  # noqa: E402

BENCH = Actor("bench", SUPERVISOR)

TARGET_MS = 200.0
CAMPAIGN = "bench-satisfaction"
MISSING = ("not_applicable", "dont_know", "refused")


def seed(path: Path, answers: int) -> None:
    """A satisfaction campaign whose interviews hold `answers` answers, each one call."""
    text = (files("prospect_tui.data") / "demo_satisfaction.toml").read_text(encoding="utf-8")
    questionnaire = parse_questionnaire(text)
    store = Store(path)
    campaign = store.ensure_campaign(CAMPAIGN, {"calling_hours": "off"})
    attach_text(store, CAMPAIGN, questionnaire, "demo_satisfaction.toml", BENCH)
    rng = random.Random(14)
    asked = [q for q in questionnaire.questions if q.answerable and q.id != "decu"]
    at = "2026-11-10T09:00:00Z"
    lead_id = interview_id = call_id = 0
    rows: list[tuple] = []
    with store.write() as conn:
        while len(rows) < answers:
            lead_id += 1
            interview_id += 1
            call_id += 1
            conn.execute(
                "INSERT INTO leads (id, campaign_id, company, phone_e164, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (lead_id, campaign["id"], f"Client {lead_id}", f"+3314{lead_id:08d}", at),
            )
            outcome = "completed" if rng.random() < 0.8 else "callback"
            status = "completed" if outcome == "completed" else "partial"
            conn.execute(
                "INSERT INTO calls (id, lead_id, campaign_id, caller, outcome, started_at,"
                " ended_at) VALUES (?, ?, ?, 'bench', ?, ?, ?)",
                (call_id, lead_id, campaign["id"], outcome, at, at),
            )
            conn.execute(
                "INSERT INTO interviews (id, campaign_id, lead_id, caller, started_at,"
                " updated_at, status) VALUES (?, ?, ?, 'bench', ?, ?, ?)",
                (
                    interview_id,
                    campaign["id"],
                    lead_id,
                    at,
                    at,
                    outcome.replace("callback", "partial"),
                ),
            )
            conn.execute(
                "INSERT INTO interview_calls (call_id, interview_id, status) VALUES (?, ?, ?)",
                (call_id, interview_id, status),
            )
            for question in asked:
                if rng.random() < 0.05:
                    answer = Answer(None, rng.choice(MISSING))
                elif question.type == "scale":
                    answer = Answer(float(rng.choice(question.scale_values)))
                elif question.type == "multi":
                    answer = Answer(
                        tuple(c.code for c in question.choices[:-1] if rng.random() < 0.4)
                    )
                else:
                    answer = Answer(rng.choice(question.choices).code)
                value, number = encode(answer)
                rows.append((interview_id, campaign["id"], question.id, 1, value, number,
                             answer.missing, "bench", at))  # fmt: skip
        conn.executemany(
            "INSERT INTO answers (interview_id, campaign_id, question_id, version, value, number,"
            " missing, caller, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    path = args.db or Path(tempfile.gettempdir()) / f"prospect-bench-answers-{args.answers}.db"
    if not path.exists():
        started = time.perf_counter()
        seed(path, args.answers)
        print(f"seeded {path} in {time.perf_counter() - started:.1f} s")
    store = Store(path)
    total = store.scalar("SELECT count(*) FROM answers")
    found: dict = {}

    def figures() -> None:
        found.update(question_figures(store, CAMPAIGN, "", "9999"))

    def reference() -> None:
        store.conn.execute("SELECT total(number), count(value) FROM answers").fetchone()

    figure_ms: list[float] = []
    reference_ms: list[float] = []
    for _ in range(args.runs):
        figure_ms += timed(figures, 1)
        reference_ms += timed(reference, 1)
    store.close()
    command = [sys.executable, "-m", "prospect_tui", "--db", str(path)]
    cli_ms = timed(
        lambda: subprocess.run(
            [*command, "stats", "--campaign", CAMPAIGN, "--questions", "--json"],
            check=True,
            capture_output=True,
        ),  # fmt: skip
        3,
    )
    start_ms = timed(lambda: subprocess.run([*command, "--version"], check=True,
                                            capture_output=True), 3)  # fmt: skip

    median, ref = statistics.median(figure_ms), statistics.median(reference_ms)
    print(f"database: {path} ({total} answers, {found['aapor']['leads']} leads called)")
    print(
        f"question figures + AAPOR: median {median:.0f} ms, min {min(figure_ms):.0f} ms over"
        f" {args.runs} runs (target < {TARGET_MS:.0f} ms: {'met' if median < TARGET_MS else 'NOT'})"
    )
    print(f"reference, full scan of answers: median {ref:.0f} ms; ratio = {median / ref:.2f}")
    cli, start = statistics.median(cli_ms), statistics.median(start_ms)
    print(
        f"`prospect stats --questions --json` in a fresh process: median {cli:.0f} ms;"
        f" `prospect --version`: {start:.0f} ms; the command's own work {cli - start:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
