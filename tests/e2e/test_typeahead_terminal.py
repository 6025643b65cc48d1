"""Type-ahead in a real terminal (issue 19): each case's keys go in ONE `tmux send-keys`, so
they reach the app back to back, as a fast typist or a paste sends them; then the database
must hold exactly what was meant (no call recorded by a digit meant for a form).

Skipped with a reason when tmux is missing (.ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_terminal import DEMO_LIST, prospect
from tests.terminal import Terminal
from tests.ui.test_typeahead import FEEDBACK

pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
LEGEND = "1 No answer"


@pytest.fixture
def calling(tmp_path):
    """Start a session on the demo list in tmux: `term, db = calling()`, optionally with a
    questionnaire attached first."""
    names: list[str] = []

    def start(questionnaire: str = "") -> tuple[Terminal, Path]:
        db = tmp_path / "burst.db"
        imported = prospect("--db", str(db), "import", str(DEMO_LIST), "--campaign", "burst")
        assert imported.returncode == 0, imported.stderr
        if questionnaire:
            toml = tmp_path / "questions.toml"
            toml.write_text(questionnaire, encoding="utf-8")
            attached = prospect("--db", str(db), "campaign", "questionnaire", "burst", str(toml))
            assert attached.returncode == 0, attached.stderr
        names.append(f"prospect-burst-{os.getpid()}-{tmp_path.name}")
        # COLUMNS/LINES reach the pane's environment under pytest and would size the app.
        command = (
            f"env -u COLUMNS -u LINES {sys.executable} -m prospect_tui --db {db} --caller e2e"
            " --campaign burst"
        )
        term = Terminal(names[-1], command, width=100, height=30)
        term.wait_for(LEGEND)
        return term, db

    yield start
    for name in names:
        subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def outcomes(db: Path) -> list[str]:
    return [r[0] for r in rows(db, "SELECT outcome FROM calls WHERE undone_at IS NULL ORDER BY id")]


def settled(term: Terminal, text: str = LEGEND) -> str:
    """The screen once the burst was read (the keys may still be on their way) and `text`
    shows."""
    time.sleep(0.7)
    return term.wait_for(text)


def test_n_then_a_note_with_digits_saves_the_note_and_records_no_call(calling):
    term, db = calling()
    term.keys("n", "rappeler après 17h", "Enter")
    settled(term, "rappeler après 17h")
    assert rows(db, "SELECT notes FROM leads WHERE notes != ''")[0][0].endswith(
        "e2e: rappeler après 17h"
    )
    assert outcomes(db) == []


def test_7_then_the_address_puts_it_in_the_email_of_the_opt_in(calling):
    term, db = calling()
    term.keys("7", "dsi.burst@exemple.fr", "Enter")
    settled(term, "Today 1 calls")
    assert outcomes(db) == ["opt_in"]
    assert rows(db, "SELECT event, email FROM consent_events") == [
        ("granted", "dsi.burst@exemple.fr")
    ]


def test_q_then_the_answers_are_stored_exactly(calling):
    term, db = calling(FEEDBACK)
    term.keys("q", "Livraisons en retard", "Enter", "7", "Enter", "2")
    settled(term, "Interview complete")
    answers = rows(db, "SELECT question_id, value FROM answers ORDER BY id")
    assert answers == [("probleme", "Livraisons en retard"), ("note", "7"), ("suite", "non")]
    assert outcomes(db) == []


def test_e_then_ctrl_u_then_typing_replaces_the_company(calling):
    term, db = calling()
    term.keys("e", "C-u", "Nouvelle Société 2", "Enter")
    settled(term, "Nouvelle Société 2")
    assert rows(db, "SELECT count(*) FROM leads WHERE company = 'Nouvelle Société 2'") == [(1,)]
    assert outcomes(db) == []


def test_o_then_enter_opts_out_and_u_takes_it_back(calling):
    term, db = calling()
    term.keys("o", "Enter")
    settled(term, "opted out")
    assert rows(db, "SELECT event FROM consent_events") == [("withdrawn",)]
    assert rows(db, "SELECT count(*) FROM suppressions")[0][0] > 0
    term.keys("u")
    settled(term, "taken back")
    assert rows(db, "SELECT event FROM consent_events ORDER BY id") == [
        ("withdrawn",),
        ("withdrawal_undone",),
    ]
    assert rows(db, "SELECT count(*) FROM suppressions") == [(0,)]


def test_4_and_5_then_their_fields_and_the_next_outcome(calling):
    term, db = calling()
    term.keys("4", "Paul Martin", "Tab", "01 42 68 00 01", "Enter", "3")
    settled(term, "Today 2 calls")
    term.keys("5", "2", "Enter", "3")
    settled(term, "Today 4 calls")
    assert outcomes(db) == ["switchboard", "voicemail", "callback", "voicemail"]
    learnt = rows(db, "SELECT manager_name, direct_line_e164 FROM leads WHERE manager_name != ''")
    assert learnt == [("Paul Martin", "+33142680001")]
    assert rows(db, "SELECT due_at FROM callbacks") == [("2026-11-24T08:00:00Z",)]


@pytest.mark.parametrize("key", ["/", "c", "g", "i", "t", "?"])
def test_a_screen_or_list_takes_the_digit_typed_after_its_key(calling, key):
    term, db = calling()
    term.keys(key, "2", "Escape")  # "2" typed into the new screen, not recorded as Busy
    settled(term)
    term.keys("3")
    settled(term, "Today 1 calls")
    assert outcomes(db) == ["voicemail"]


def test_ctrl_p_then_a_command_runs_it(calling):
    term, db = calling()
    # The palette's search, its first match (the note form), then the note.
    term.keys("C-p", "Note", "Enter", "rappeler après 17h", "Enter")
    settled(term, "rappeler après 17h")
    assert outcomes(db) == []
