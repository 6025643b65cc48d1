"""Crash safety in a real terminal: kill -9 the app again and again, lose nothing acknowledged.

An outcome is acknowledged when the screen shows the next lead (today's call counter went
up and another company is on the card): from then on it must be in the database.
Skipped with a reason when tmux is missing (.ci/run installs it).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from prospect_tui.core.outcomes import OUTCOMES
from prospect_tui.core.store import Store
from tests.helpers import add_leads
from tests.terminal import Terminal

pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

KILLS = 15
# Outcome keys that record at once (no form): no answer, busy, voicemail, refused,
# wrong number, not qualified.
KEYS = ["1", "2", "3", "6", "8", "0"]
CODE_OF_KEY = {o.key: o.code for o in OUTCOMES}
COUNTER = re.compile(r"Today (\d+) calls")
COMPANY = re.compile(r"Société \d{3}")


def on_screen(screen: str) -> tuple[str, int] | None:
    """(company on the card, today's call counter), or None while the session is not drawn."""
    company, counter = COMPANY.search(screen), COUNTER.search(screen)
    if company is None or counter is None:
        return None
    return company.group(), int(counter.group(1))


@pytest.fixture
def terminal_name(tmp_path):
    name = f"prospect-crash-{os.getpid()}-{tmp_path.name}"
    yield name
    subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)


def test_outcomes_acknowledged_on_screen_survive_kill_9(tmp_path, terminal_name):
    seed = int(os.environ.get("PROSPECT_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    db = tmp_path / "crash.db"
    store = Store(db)
    add_leads(store, "crash", 400)
    lead_ids = dict(store.conn.execute("SELECT company, id FROM leads"))
    store.close()
    # No user config (keymap) may change the keys under test.
    command = (
        f"exec env PROSPECT_CONFIG={tmp_path / 'none.toml'} {sys.executable} -m prospect_tui"
        f" --db {db} --caller crash --campaign crash"
    )

    acknowledged: list[tuple[int, str]] = []
    for _ in range(KILLS):
        term = Terminal(terminal_name, command, width=100, height=30)
        screen = term.wait_until(lambda s: on_screen(s) is not None, "a lead", 60, poll=0.02)
        company, count = on_screen(screen)
        for _ in range(rng.randint(1, 5)):
            key = rng.choice(KEYS)
            term.keys(key)

            def next_lead_drawn(s: str, company=company, count=count) -> bool:
                shown = on_screen(s)
                return shown is not None and shown[0] != company and shown[1] == count + 1

            screen = term.wait_until(next_lead_drawn, f"the lead after key {key}", poll=0.01)
            acknowledged.append((lead_ids[company], CODE_OF_KEY[key]))
            company, count = on_screen(screen)
        # Kill right after an acknowledgement, or just after one more key, mid-recording.
        if rng.random() < 0.7:
            term.keys(rng.choice(KEYS))
            time.sleep(rng.uniform(0, 0.03))
        os.kill(term.pid(), signal.SIGKILL)
        assert term.wait_closed(), "the terminal outlived its killed app"

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    calls = Counter(
        conn.execute(
            "SELECT lead_id, outcome FROM calls WHERE caller = 'crash' AND undone_at IS NULL"
        )
    )
    conn.close()
    where = f"(seed {seed}: rerun with PROSPECT_CRASH_SEED={seed})"
    lost = Counter(acknowledged) - calls
    assert not lost, f"acknowledged outcomes missing from the database: {lost} {where}"
    assert sum(calls.values()) >= len(acknowledged)
    # One keypress, one call: nothing was recorded twice across the restarts.
    twice = [lead for lead, n in Counter(lead for lead, _ in calls.elements()).items() if n > 1]
    assert not twice, f"leads with more than one call: {twice} {where}"
