"""Supervisor figures on small hand-made histories, where each answer is worked out by hand.

Undone calls and pauses are part of every history, because they must never count.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError, stats
from prospect_tui.core.clock import iso
from prospect_tui.core.dialing import CallbackRequest, Dialer, OptIn
from prospect_tui.core.roles import Refused, actor_from_config
from prospect_tui.core.stats import Period
from prospect_tui.core.store import Store
from tests.helpers import add_leads

# The suite runs with the default config: the team is in Paris.
PARIS = ZoneInfo("Europe/Paris")

# November: Paris is UTC+1, so 09:00 in Paris is 08:00Z.
MONDAY = date(2026, 11, 16)


def paris(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def add_call(
    store: Store,
    lead_id: int,
    caller: str,
    outcome: str,
    start: datetime,
    duration_s: float,
    *,
    reached: str | None = None,
    undone: bool = False,
) -> int:
    """One row in calls at a precise time, as Dialer.record would write it."""
    from prospect_tui.core.outcomes import BY_CODE

    campaign_id = store.lead(lead_id)["campaign_id"]
    end = start + timedelta(seconds=duration_s)
    with store.write() as conn:
        cursor = conn.execute(
            "INSERT INTO calls (lead_id, campaign_id, caller, outcome, reached, started_at,"
            " ended_at, duration_s, undone_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                lead_id,
                campaign_id,
                caller,
                outcome,
                reached or BY_CODE[outcome].reached,
                iso(start),
                iso(end),
                duration_s,
                iso(end + timedelta(seconds=30)) if undone else None,
            ),
        )
    return cursor.lastrowid


def add_callback(
    store: Store, call_id: int, due: datetime, owner: str | None, created_by: str
) -> None:
    call = store.row("SELECT lead_id, campaign_id, ended_at FROM calls WHERE id = ?", (call_id,))
    with store.write() as conn:
        conn.execute(
            "INSERT INTO callbacks (lead_id, campaign_id, call_id, due_at, owner, created_by,"
            " created_at) VALUES (?,?,?,?,?,?,?)",
            (
                call["lead_id"],
                call["campaign_id"],
                call_id,
                iso(due),
                owner,
                created_by,
                call["ended_at"],
            ),
        )


def add_pause(store: Store, caller: str, start: datetime, end: datetime | None) -> None:
    with store.write() as conn:
        conn.execute(
            "INSERT INTO pauses (caller, started_at, ended_at) VALUES (?, ?, ?)",
            (caller, iso(start), iso(end) if end else None),
        )


def week_history(store: Store) -> dict:
    """Alice on Monday morning, Bob on Tuesday afternoon, plus noise that must not count.

    Leads 1-10 in campaign "acme"; lead 10 is only called the week before.
    """
    campaign = add_leads(store, "acme", 10)
    mon, tue = MONDAY, MONDAY + timedelta(days=1)
    add_call(store, 1, "alice", "no_answer", paris(mon, "09:00"), 20)
    add_call(store, 2, "alice", "switchboard", paris(mon, "09:10"), 60)
    add_call(store, 3, "alice", "opt_in", paris(mon, "09:20"), 240)
    add_call(store, 4, "alice", "refused", paris(mon, "09:30"), 100)
    add_call(store, 1, "alice", "busy", paris(mon, "09:40"), 5)
    callback = add_call(store, 5, "alice", "callback", paris(mon, "10:00"), 90)
    add_callback(store, callback, paris(tue, "09:00"), "alice", "alice")
    # Undone after the last real call: it would stretch Alice's day and add an opt-in.
    undone = add_call(store, 5, "alice", "opt_in", paris(mon, "10:30"), 300, undone=True)
    add_callback(store, undone, paris(tue, "09:00"), "alice", "alice")
    # Five minutes of pause inside Alice's morning; lunch is outside her calls.
    add_pause(store, "alice", paris(mon, "09:42"), paris(mon, "09:47"))
    add_pause(store, "alice", paris(mon, "12:00"), paris(mon, "13:00"))

    add_call(store, 6, "bob", "do_not_call", paris(tue, "14:00"), 30)
    late = add_call(store, 7, "bob", "callback", paris(tue, "14:05"), 40, reached="switchboard")
    add_callback(store, late, paris(date(2026, 11, 30), "10:00"), None, "bob")
    add_call(store, 8, "bob", "wrong_number", paris(tue, "14:10"), 10)
    add_call(store, 9, "bob", "opt_in", paris(tue, "14:20"), 200)

    add_call(store, 10, "alice", "refused", paris(MONDAY - timedelta(days=7), "11:00"), 50)
    return campaign


@pytest.fixture
def week(store: Store, clock) -> Store:
    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    week_history(store)
    return store


WEEK = Period.between(MONDAY, MONDAY + timedelta(days=6), PARIS)


def test_counts_of_the_week(week: Store) -> None:
    f = stats.compute(week, WEEK)
    # 6 Alice + 4 Bob; the undone opt-in and last week's call are out.
    assert f["calls"] == 10
    assert f["leads_called"] == 9  # leads 1-9 (lead 1 twice)
    assert f["leads_in_list"] == 10
    assert f["penetration"] == 0.9
    assert f["contacts"] == 4  # opt-in 3, refused 4, Alice's callback 5, opt-in 9
    assert f["switchboard"] == 3  # switchboard 2, do-not-call 6, switchboard's callback 7
    assert f["answered"] == 7
    assert f["contact_rate"] == 0.4
    assert f["opt_ins"] == 2
    assert f["refusals"] == 1
    assert f["do_not_call"] == 1
    assert f["opt_in_rate"] == {
        "per_call": 0.2,
        "per_contact": 0.5,
        "per_lead": 0.2,
        "per_lead_called": round(2 / 9, 4),
    }
    assert f["attempts_per_opt_in"] == 5.0
    assert f["by_outcome"] == {
        "no_answer": 1,
        "busy": 1,
        "voicemail": 0,
        "switchboard": 1,
        "callback": 2,
        "refused": 1,
        "opt_in": 2,
        "wrong_number": 1,
        "do_not_call": 1,
        "not_qualified": 0,
    }
    assert {o["code"]: o["share"] for o in f["outcomes"]}["callback"] == 0.2


def test_talk_time_and_calls_per_hour_leave_out_pauses_and_undone_calls(week: Store) -> None:
    f = stats.compute(week, WEEK)
    assert f["talk_time"] == {"total_s": 795.0, "avg_s": 79.5}  # 515 Alice + 280 Bob
    # Alice: 09:00 to 10:01:30 is 3690 s, minus the 300 s pause; the undone call at
    # 10:30 and the lunch pause do not count. Bob: 14:00 to 14:23:20 is 1400 s.
    assert f["by_caller"]["alice"]["on_phone_s"] == 3390
    assert f["by_caller"]["bob"]["on_phone_s"] == 1400
    assert f["on_phone_s"] == 4790
    assert f["paused_s"] == 300
    assert f["calls_per_hour"] == round(10 * 3600 / 4790, 2)
    assert f["by_caller"]["alice"]["calls_per_hour"] == round(6 * 3600 / 3390, 2)
    assert f["by_caller"]["bob"]["talk_s"] == 280


def test_per_caller_keeps_the_foundation_keys(week: Store) -> None:
    f = stats.compute(week, WEEK)
    alice, bob = f["by_caller"]["alice"], f["by_caller"]["bob"]
    assert (alice["calls"], alice["contacts"], alice["opt_ins"]) == (6, 3, 1)
    assert (bob["calls"], bob["contacts"], bob["opt_ins"]) == (4, 1, 1)
    assert alice["attempts_per_opt_in"] == 6.0
    assert bob["switchboard"] == 2 and bob["do_not_call"] == 1


def test_funnel_counts_leads(week: Store) -> None:
    f = stats.compute(week, WEEK)
    assert [(s["stage"], s["count"]) for s in f["funnel"]] == [
        ("leads", 10),
        ("called", 9),
        ("switchboard", 7),  # every lead but 1 (no answer, busy) and 8 (wrong number)
        ("manager", 4),  # 3, 4, 5, 9
        ("opt_in", 2),  # 3, 9
    ]


def test_callbacks_pending_and_overdue(week: Store) -> None:
    # Now is Monday 23rd: Alice's (due Tuesday 17th) is overdue, Bob's (30th) is not;
    # the one set by the undone call does not exist.
    assert stats.compute(week, WEEK)["callbacks"] == {"pending": 2, "overdue": 1}
    assert stats.compute(week, WEEK, caller="alice")["callbacks"] == {"pending": 1, "overdue": 1}
    assert stats.compute(week, WEEK, caller="bob")["callbacks"] == {"pending": 1, "overdue": 0}


def test_best_hours_are_paris_weekday_and_hour(week: Store) -> None:
    best = stats.compute(week, WEEK)["best_hours"]
    assert best["weekdays"] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert best["hours"] == [9, 10, 11, 12, 13, 14]
    mon, tue = 0, 1
    assert best["calls"][mon][0] == 5 and best["contacts"][mon][0] == 2
    assert best["rate"][mon][0] == 0.4
    assert best["calls"][mon][1] == 1 and best["rate"][mon][1] == 1.0
    assert best["calls"][tue][5] == 4 and best["rate"][tue][5] == 0.25
    assert best["rate"][2][0] is None
    assert [(t["weekday"], t["hour"]) for t in best["top"]] == [
        ("Mon", 10),
        ("Mon", 9),
        ("Tue", 14),
    ]


def test_breakdowns_by_day_hour_and_campaign(week: Store) -> None:
    other = add_leads(week, "beta", 1)
    lead = week.scalar("SELECT id FROM leads WHERE campaign_id = ?", (other["id"],))
    add_call(week, lead, "bob", "refused", paris(MONDAY + timedelta(days=1), "15:00"), 60)
    f = stats.compute(week, WEEK)
    assert {d: r["calls"] for d, r in f["by_day"].items()} == {"2026-11-16": 6, "2026-11-17": 5}
    assert {h: r["calls"] for h, r in f["by_hour"].items()} == {"09": 5, "10": 1, "14": 4, "15": 1}
    assert {c: r["calls"] for c, r in f["by_campaign"].items()} == {"acme": 10, "beta": 1}
    only = stats.compute(week, WEEK, campaign="acme")
    assert only["calls"] == 10 and only["refusals"] == 1 and only["leads_in_list"] == 10
    assert stats.compute(week, WEEK, campaign="beta")["calls"] == 1
    with pytest.raises(UserError, match="unknown campaign"):
        stats.compute(week, WEEK, campaign="nope")


def test_caller_filter(week: Store) -> None:
    f = stats.compute(week, WEEK, caller="bob")
    assert (f["calls"], f["leads_called"], f["opt_ins"]) == (4, 4, 1)
    assert list(f["by_caller"]) == ["bob"]
    assert f["on_phone_s"] == 1400


def test_all_time_summary_keeps_the_contract(week: Store) -> None:
    f = stats.summary(week, PARIS)
    assert f["calls"] == 11 and f["leads_called"] == 10 and f["refusals"] == 2
    for key in ("calls", "leads_called", "contacts", "opt_ins", "by_outcome", "by_caller"):
        assert key in f
    json.dumps(f)  # plain data all the way down


def test_an_open_pause_ends_at_the_next_call(store: Store, clock) -> None:
    add_leads(store, "acme", 3)
    day = MONDAY
    add_call(store, 1, "carol", "no_answer", paris(day, "09:00"), 60)
    add_pause(store, "carol", paris(day, "09:10"), None)  # the session crashed during a pause
    add_call(store, 2, "carol", "no_answer", paris(day, "09:40"), 60)
    add_call(store, 3, "carol", "no_answer", paris(day, "10:00"), 60)
    f = stats.compute(store, Period.between(day, day, PARIS))
    # 09:00 to 10:01 is 3660 s, paused 09:10 to 09:40.
    assert f["paused_s"] == 1800 and f["on_phone_s"] == 1860


def test_figures_from_a_real_dialing_session(store: Store, clock) -> None:
    """Through Dialer, with undo: what the calling screen records is what stats count."""
    campaign = add_leads(store, "live", 4)
    dialer = Dialer(store, "dave", campaign)
    outcomes = [
        ("no_answer", {}),
        ("opt_in", {"opt_in": OptIn("dsi@example.fr")}),
        ("callback", {"callback": CallbackRequest(clock.now + timedelta(days=1))}),
    ]
    for code, extra in outcomes:
        lead = dialer.next_lead()
        started = clock.now
        clock.advance(seconds=120)
        dialer.record(lead["id"], code, started_at=started, duration_s=100, **extra)
        clock.advance(seconds=30)
    lead = dialer.next_lead()
    started = clock.now
    clock.advance(seconds=60)
    dialer.record(lead["id"], "refused", started_at=started, duration_s=50)
    dialer.undo()  # the refusal was a slip of the finger
    f = stats.compute(store, Period.named("today", clock.now, PARIS))
    assert (f["calls"], f["contacts"], f["opt_ins"], f["refusals"]) == (3, 2, 1, 0)
    assert f["leads_called"] == 3
    assert f["talk_time"]["total_s"] == 300
    assert f["callbacks"] == {"pending": 1, "overdue": 0}


# Periods


NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("today", date(2026, 11, 18), date(2026, 11, 18)),
        ("week", date(2026, 11, 16), date(2026, 11, 22)),
        ("lastweek", date(2026, 11, 9), date(2026, 11, 15)),
        ("month", date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
def test_named_periods(name: str, first: date, last: date) -> None:
    period = Period.named(name, NOW, PARIS)
    assert (period.first, period.last) == (first, last)


def test_period_bounds_are_paris_midnights_across_summer_time() -> None:
    october = Period.between(date(2026, 10, 1), date(2026, 10, 31), PARIS)
    assert october.start_iso == "2026-09-30T22:00:00Z"  # CEST, UTC+2
    assert october.end_iso == "2026-10-31T23:00:00Z"  # CET, UTC+1
    assert Period.named("month", datetime(2026, 12, 31, 23, 30, tzinfo=UTC), PARIS).first == date(
        2027, 1, 1
    )
    assert Period.week_of(date(2026, 11, 22), PARIS).previous().first == date(2026, 11, 9)


def test_period_options() -> None:
    assert stats.period_from_options(None, None, None, NOW, PARIS) == Period.all_time(PARIS)
    span = stats.period_from_options(None, "2026-11-02", "20/11/2026", NOW, PARIS)
    assert (span.first, span.last) == (date(2026, 11, 2), date(2026, 11, 20))
    assert stats.period_from_options(None, "2026-11-02", None, NOW, PARIS).last == date(
        2026, 11, 18
    )
    for bad in [("week", "2026-11-01", None), (None, None, "2026-11-01"), (None, "tomorrow", None)]:
        with pytest.raises(UserError):
            stats.period_from_options(*bad, NOW, PARIS)
    with pytest.raises(UserError, match="before it starts"):
        Period.between(date(2026, 11, 2), date(2026, 11, 1), PARIS)


# Who sees what


def test_without_a_supervisors_list_everyone_sees_everything() -> None:
    bob = actor_from_config("bob", None)
    assert stats.caller_filter(bob, None) is None
    assert stats.caller_filter(bob, "alice") == "alice"


def test_a_caller_sees_only_his_own_figures() -> None:
    anne, bob = (actor_from_config(name, ["anne"]) for name in ("anne", "bob"))
    assert stats.caller_filter(anne, None) is None
    assert stats.caller_filter(anne, "alice") == "alice"
    assert stats.caller_filter(bob, None) == "bob"
    assert stats.caller_filter(bob, "bob") == "bob"
    with pytest.raises(Refused, match="only a supervisor may see other callers' figures"):
        stats.caller_filter(bob, "alice")


@pytest.fixture
def cli_db(week: Store, tmp_path, monkeypatch) -> str:
    config = tmp_path / "config.toml"
    config.write_text('supervisors = ["anne"]\n', encoding="utf-8")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    return str(week.path)


def test_cli_refuses_another_callers_figures(cli_db: str, capsys) -> None:
    code = main(["--db", cli_db, "--user", "bob", "stats", "--caller", "alice", "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "refused: only a supervisor" in captured.err


def test_cli_gives_a_caller_his_own_figures(cli_db: str, capsys) -> None:
    args = [
        "--db",
        cli_db,
        "--user",
        "bob",
        "stats",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-22",
        "--json",
    ]
    assert main(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["caller"] == "bob" and list(figures["by_caller"]) == ["bob"]
    assert figures["calls"] == 4


def test_cli_supervisor_table_csv_and_periods(cli_db: str, capsys) -> None:
    base = ["--db", cli_db, "--user", "anne", "stats"]
    assert main([*base, "--period", "lastweek", "--json"]) == 0  # clock: Monday 23rd
    figures = json.loads(capsys.readouterr().out)
    assert figures["calls"] == 10 and set(figures["by_caller"]) == {"alice", "bob"}
    assert figures["period"]["first_day"] == "2026-11-16"

    assert main([*base, "--period", "lastweek", "--caller", "alice", "--by", "hour"]) == 0
    table = capsys.readouterr().out
    assert "caller: alice" in table and "By hour" in table and "Funnel" in table

    assert main([*base, "--from", "2026-11-16", "--to", "2026-11-22", "--csv", "--by", "day"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('"day";"calls";"contacts"')
    assert lines[1].startswith('"2026-11-16";"6";"3"')

    assert main([*base, "--period", "week", "--json"]) == 0  # this week: nothing yet
    assert json.loads(capsys.readouterr().out)["calls"] == 0

    assert main([*base, "--from", "someday"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_stats_queries_walk_the_covering_index(week: Store) -> None:
    from prospect_tui.core.stats.figures import _Where

    where, params = _Where(WEEK, 1, "alice").sql()
    plan = " / ".join(
        row[3]
        for row in week.conn.execute(
            "EXPLAIN QUERY PLAN SELECT substr(started_at, 1, 13), campaign_id, caller, outcome,"
            f" reached, count(*), total(duration_s) FROM calls WHERE {where}"
            " GROUP BY 1, 2, 3, 4, 5",
            params,
        )
    )
    assert "COVERING INDEX calls_stats_hour" in plan
    assert "TEMP B-TREE" not in plan  # already in GROUP BY order: no sort


def test_seed_history_makes_a_valid_history(tmp_path) -> None:
    """scripts/seed_history.py: valid numbers, an intact consent chain, figures that add up."""
    import subprocess
    import sys
    from pathlib import Path

    import phonenumbers

    from prospect_tui.core.consent import verify_chain

    script = Path(__file__).resolve().parents[2] / "scripts" / "seed_history.py"
    path = tmp_path / "seeded.db"
    command = [sys.executable, str(script), "--db", str(path), "--leads", "500", "--calls", "5000"]
    subprocess.run([*command, "--callers", "4", "--seed", "7"], check=True, capture_output=True)
    seeded = Store(path)
    try:
        assert seeded.count_leads() == 500
        assert seeded.scalar("SELECT count(*) FROM calls") == 5000
        assert seeded.scalar("SELECT count(*) FROM calls WHERE undone_at IS NOT NULL") > 0
        assert seeded.scalar("SELECT count(*) FROM pauses") > 0
        phones = [r[0] for r in seeded.conn.execute("SELECT phone_e164 FROM leads")]
        assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones)
        assert verify_chain(seeded)[0]
        f = stats.summary(seeded, PARIS)
        assert f["calls"] == 5000 - seeded.scalar(
            "SELECT count(*) FROM calls WHERE undone_at IS NOT NULL"
        )
        assert len(f["by_caller"]) == 4
        assert 0.07 <= f["opt_ins"] / 500 <= 0.13  # about 10% of the list
        # Calls fall in calling hours, Paris time, on working days.
        assert set(f["by_hour"]) <= {"09", "10", "11", "12", "14", "15", "16", "17", "18"}
        assert f["best_hours"]["weekdays"] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    finally:
        seeded.close()
