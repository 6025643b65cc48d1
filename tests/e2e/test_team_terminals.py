"""Two callers in two real terminals (tmux) on one database: undo after a colleague took the
lead, and a lead kept on screen past `claim_minutes` by the session's heartbeat."""

from __future__ import annotations

import shutil
import sys
import time
from datetime import timedelta

import pytest

from prospect_tui.core.store import Store
from tests.conftest import TEST_NOW
from tests.helpers import add_leads
from tests.terminal import Terminal

pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
COMPANIES = ("Alpha SA", "Beta SARL", "Gamma SAS")


@pytest.fixture
def terminals(tmp_path):
    opened: list[Terminal] = []

    def open_as(caller: str, db, clock_at=TEST_NOW) -> Terminal:
        pinned = clock_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        command = (
            f"exec env PROSPECT_NOW={pinned} {sys.executable} -m prospect_tui"
            f" --db {db} --caller {caller} --campaign team"
        )
        term = Terminal(f"prospect-team-{caller}-{tmp_path.name}", command, 100, 30)
        opened.append(term)
        return term

    yield open_as
    for term in opened:
        term.close()


def team_db(tmp_path, count: int, settings: dict):
    db = tmp_path / "team.db"
    store = Store(db)
    add_leads(store, "team", count, settings=settings)
    with store.write() as conn:
        for lead_id, company in enumerate(COMPANIES[:count], start=1):
            conn.execute("UPDATE leads SET company = ? WHERE id = ?", (company, lead_id))
    store.close()
    return db


def calls(db) -> list[tuple]:
    store = Store(db)
    found = store.conn.execute(
        "SELECT id, lead_id, caller, outcome, undone_at IS NOT NULL FROM calls ORDER BY id"
    ).fetchall()
    store.close()
    return found


def test_undo_after_a_colleague_took_the_lead_leaves_it_on_his_screen_only(tmp_path, terminals):
    db = team_db(tmp_path, 3, {"queue_order": "fresh_first", "retry_minutes": {"no_answer": 1}})
    a = terminals("a", db)
    a.wait_for("Alpha SA")
    # b's clock runs two minutes ahead of a's: "a minute later" without waiting a minute.
    b = terminals("b", db, TEST_NOW + timedelta(minutes=2))
    b.wait_for("Beta SARL")
    a.keys("1")  # no answer on Alpha: due again in a minute
    a.wait_for("Gamma SAS")
    b.keys("2")  # busy on Beta: b's next lead is Alpha, due again
    b.wait_for("Alpha SA")

    a.keys("u")
    a.wait_for("cancelled")
    # Once the notice has gone, Alpha is on b's screen only.
    shown = a.wait_until(lambda s: "Alpha SA" not in s, "a's screen without Alpha", 15)
    assert "Gamma SAS" in shown
    assert "Alpha SA" in b.screen()

    b.keys("9")  # do not call
    b.wait_until(lambda s: "Alpha SA" not in s, "b's screen without Alpha")
    a.keys("6")  # a records on what his screen shows: Gamma
    a.wait_for("No lead to call now")
    stored = calls(db)
    dnc = [c for c in stored if c[1] == 1 and c[3] == "do_not_call"]
    assert [c[2] for c in dnc] == ["b"]
    assert [c for c in stored if c[1] == 1 and c[0] > dnc[0][0]] == []
    assert (1, "a", "no_answer", True) in [c[1:] for c in stored]
    assert (3, "a", "refused", False) in [c[1:] for c in stored]


@pytest.mark.slow
def test_a_lead_shown_for_75_seconds_is_never_offered_to_a_second_caller(tmp_path, terminals):
    db = team_db(tmp_path, 1, {"claim_minutes": 1})
    started = time.monotonic()
    a = terminals("a", db)
    a.wait_for("Alpha SA")
    a.keys("p")  # a pause too keeps the lead
    time.sleep(75 - (time.monotonic() - started))
    # b's clock reads what a's reads now: a's one-minute claim would have expired.
    b = terminals("b", db, TEST_NOW + timedelta(seconds=time.monotonic() - started))
    shown = b.wait_for("No lead to call now")
    assert "Alpha SA" not in shown
    assert "Alpha SA" in a.screen()
    a.keys("p")
    a.wait_for("On this lead")
    a.keys("6")
    a.wait_for("1 calls")
    assert [c[1:4] for c in calls(db)] == [(1, "a", "refused")]
