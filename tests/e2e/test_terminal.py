"""End to end in a real terminal (tmux), as a caller would: import, call, opt-in, quit, export.

Skipped with a reason when tmux is missing (.ci/run installs it).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.terminal import Terminal

DEMO_LIST = Path(__file__).resolve().parents[2] / "data" / "demo_leads.csv"
pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def prospect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "prospect_tui", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def terminal_name(tmp_path):
    name = f"prospect-e2e-{os.getpid()}-{tmp_path.name}"
    yield name
    subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)


def company_on_screen(screen: str, companies: list[str]) -> str:
    shown = [c for c in companies if c in screen]
    assert shown, f"no company of the list on screen:\n{screen}"
    return shown[0]


def test_caller_session_in_a_real_terminal(tmp_path, terminal_name):
    db = tmp_path / "e2e.db"
    imported = prospect("--db", str(db), "import", str(DEMO_LIST), "--campaign", "e2e", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["imported"] > 100

    with DEMO_LIST.open(encoding="cp1252", errors="replace") as handle:
        companies = sorted({row[0] for row in csv.reader(handle, delimiter=";")}, key=len)[::-1]

    command = f"{sys.executable} -m prospect_tui --db {db} --caller e2e --campaign e2e"
    term = Terminal(terminal_name, command, width=80, height=24)
    first = company_on_screen(term.wait_for("No answer"), companies)
    term.keys("1")
    second_screen = term.wait_for("1 calls")
    second = company_on_screen(second_screen, companies)
    assert second != first
    term.keys("7")
    term.wait_for("Email address")
    term.type("dsi.e2e@exemple.fr")
    term.wait_for("✓ dsi.e2e@exemple.fr")
    term.keys("Enter")
    term.wait_for("2 calls")
    term.keys("C-q")
    deadline = time.monotonic() + 10
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not term.alive(), "ctrl+q did not quit"

    exported = prospect("--db", str(db), "export", "optins")
    assert exported.returncode == 0, exported.stderr
    assert "dsi.e2e@exemple.fr" in exported.stdout
    rows = list(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff")), delimiter=";"))
    assert [r["company"].lstrip("'") for r in rows] == [second]

    stats = prospect("--db", str(db), "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    assert figures["calls"] == 2
    assert figures["opt_ins"] == 1


def test_text_typed_right_after_tab_goes_to_the_next_field(tmp_path, terminal_name):
    db = tmp_path / "tab.db"
    imported = prospect("--db", str(db), "import", str(DEMO_LIST), "--campaign", "tab", "--json")
    assert imported.returncode == 0, imported.stderr
    command = f"{sys.executable} -m prospect_tui --db {db} --caller e2e --campaign tab"
    term = Terminal(terminal_name, command, width=80, height=24)
    term.wait_for("No answer")
    term.keys("4")
    term.wait_for("Direct line")
    # A fast typist: the three reach the terminal back to back, before the app reads any.
    term.type("Paul Martin")
    term.keys("Tab")
    term.type("01 42 68 00 01")
    term.keys("Enter")
    term.wait_for("1 calls")
    term.keys("C-q")
    assert term.wait_closed(10), "ctrl+q did not quit"
    with sqlite3.connect(db) as conn:
        learnt = conn.execute(
            "SELECT manager_name, direct_line_e164 FROM leads WHERE manager_name != ''"
        ).fetchall()
    assert learnt == [("Paul Martin", "+33142680001")]
