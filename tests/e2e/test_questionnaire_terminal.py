"""Five interviews of demo-satisfaction in a real terminal (tmux): a missing code, a branch
taken and one not taken, a quit in the middle and a resume at another size; then the store,
both export shapes and `stats --questions --json` against figures worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.e2e.test_terminal import prospect
from tests.terminal import Terminal

pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


@pytest.fixture
def names(tmp_path):
    found = [f"prospect-q-{tmp_path.name}-{i}" for i in range(2)]
    yield found
    for name in found:
        subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)


def start_interview(term: Terminal, calls_done: int) -> None:
    term.wait_for(f"Today {calls_done} calls")
    term.keys("q")
    term.wait_for("Bonjour")
    term.keys("Enter")  # the introduction read out
    term.wait_for("accueil téléphonique")


def scores(term: Terminal, *keys: str) -> None:
    for key in keys:
        term.keys(key)


def typed(term: Terminal, prompt: str, text: str) -> None:
    term.wait_for(prompt)
    term.type(text)
    term.keys("Enter")


def finish(term: Terminal) -> None:
    term.wait_for("Interview complete")
    term.keys("Enter")


def test_five_interviews_with_a_quit_and_a_resume(tmp_path, names):
    db = tmp_path / "demo.db"
    # COLUMNS/LINES reach the pane's environment under pytest (80/24) and would override
    # the terminal's real size for Textual: the app must read the pane's.
    command = f"env -u COLUMNS -u LINES {sys.executable} -m prospect_tui --db {db} --caller e2e"
    first = Terminal(names[0], f"{command} demo --campaign demo-satisfaction", 80, 24)
    # 1: all high, no disappointment asked; a project: servers and backup (branch taken).
    start_interview(first, 0)
    scores(first, "5", "4", "5", "4", "5")
    typed(first, "note globale", "9")
    first.wait_for("projet informatique")
    first.keys("1")
    first.wait_for("Lesquels")
    first.keys("2", "4", "Enter")
    finish(first)
    # 2: a low welcome opens "what disappointed you?"; quality: don't know (F8); no project.
    start_interview(first, 1)
    scores(first, "2", "3", "F8", "4", "3")
    typed(first, "déçu", "Trop d'attente")
    typed(first, "note globale", "6")
    first.wait_for("projet informatique")
    first.keys("2")
    finish(first)
    # 3: two answers, then the caller quits in the middle of the interview.
    start_interview(first, 2)
    scores(first, "4", "4")
    shown = first.wait_for("qualité du service")
    assert "▔▔▔▔" in shown  # under the card at 80 columns
    first.keys("Escape", "C-q")
    assert first.wait_closed()

    second = Terminal(names[1], f"{command} --campaign demo-satisfaction", 120, 40)
    second.wait_for("Today 2 calls")
    second.keys("q")  # the same lead comes back, the interview where it stopped
    shown = second.wait_for("qualité du service")
    assert "▏ Satisfaction clients 2026 · 4/8 · qualite" in shown  # beside the card at 120
    scores(second, "3", "4", "4")
    typed(second, "note globale", "10")
    second.wait_for("projet informatique")
    second.keys("1")
    second.wait_for("Lesquels")
    second.keys("1", "Enter")
    finish(second)
    # 4: delays not applicable (F7); the disappointment question skipped after its warning;
    # the project question refused (F9).
    start_interview(second, 3)
    scores(second, "1", "F7", "3", "3", "3")
    second.wait_for("déçu")
    second.keys("Enter")
    second.wait_for("Enter again to skip")
    second.keys("Enter")
    typed(second, "note globale", "3")
    second.wait_for("projet informatique")
    second.keys("F9")
    finish(second)
    # 5: all top marks, no project (branch not taken).
    start_interview(second, 4)
    scores(second, "5", "5", "5", "5", "5")
    typed(second, "note globale", "8")
    second.wait_for("projet informatique")
    second.keys("2")
    finish(second)
    second.wait_for("Today 5 calls")
    second.keys("C-q")
    assert second.wait_closed()

    with sqlite3.connect(db) as conn:
        outcomes = conn.execute(
            "SELECT outcome FROM calls c JOIN campaigns p ON p.id = c.campaign_id"
            " WHERE p.name = 'demo-satisfaction' ORDER BY c.id"
        ).fetchall()
        versions = conn.execute("SELECT DISTINCT version FROM answers").fetchall()
        statuses = conn.execute("SELECT status FROM interviews ORDER BY id").fetchall()
    assert [o[0] for o in outcomes] == ["completed"] * 5
    assert versions == [(1,)]
    assert [s[0] for s in statuses] == ["completed"] * 5

    shown = prospect("--db", str(db), "stats", "--campaign", "demo-satisfaction", "--questions",
                     "--json")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    figures = {q["id"]: q for q in json.loads(shown.stdout)["questions"]}
    accueil = figures["accueil"]  # 5, 2, 4, 1, 5
    assert (accueil["answered"], accueil["mean"], accueil["median"]) == (5, 3.4, 4.0)
    assert accueil["sd"] == 1.8166  # sqrt(13.2 / 4)
    assert accueil["top2"] == 0.6
    assert accueil["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 2}
    delais = figures["delais"]  # 4, 3, 4, N/A, 5: N/A is not a score
    assert (delais["answered"], delais["mean"], delais["missing"]["not_applicable"]) == (4, 4.0, 1)
    qualite = figures["qualite"]  # 5, don't know, 3, 3, 5
    assert (qualite["answered"], qualite["mean"], qualite["missing"]["dont_know"]) == (4, 4.0, 1)
    assert figures["note_globale"]["mean"] == 7.2  # (9 + 6 + 10 + 3 + 8) / 5
    assert figures["projet"]["distribution"] == {"yes": 2, "no": 2}
    assert figures["projet"]["missing"]["refused"] == 1
    assert figures["projet_type"]["distribution"] == {
        "postes": 1, "serveurs": 1, "stockage": 0, "sauvegarde": 1, "aucun": 0,
    }  # fmt: skip
    assert figures["decu"]["answered"] == 1
    assert json.loads(shown.stdout)["aapor"]["RR1"] == 1.0

    wide = tmp_path / "wide.csv"
    assert prospect("--db", str(db), "export", "answers", "--campaign", "demo-satisfaction",
                    "-o", str(wide)).returncode == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(wide.read_text("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == 5
    assert [r["accueil"] for r in rows] == ["5", "2", "4", "1", "5"]
    assert rows[1]["qualite"] == "NSP" and rows[1]["decu"] == "Trop d'attente"
    assert rows[3]["delais"] == "NA" and rows[3]["projet"] == "REFUS"
    assert rows[0]["projet_type__serveurs"] == "1" and rows[0]["projet_type__postes"] == "0"
    assert rows[4]["projet_type__serveurs"] == ""  # the branch was not taken: empty
    long = tmp_path / "long.csv"
    assert prospect("--db", str(db), "export", "answers", "--campaign", "demo-satisfaction",
                    "--shape", "long", "-o", str(long)).returncode == 0  # fmt: skip
    answers = list(csv.DictReader(io.StringIO(long.read_text("utf-8-sig"), newline=""),
                                  delimiter=";"))  # fmt: skip
    assert len(answers) == 39  # 9 + 8 + 8 + 7 + 7: skips and the introduction are not answers
    assert {a["version"] for a in answers} == {"1"}
