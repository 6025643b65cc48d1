"""The roles table walked through the core functions, as a caller and as a supervisor: each
refused action raises Refused and writes nothing, each allowed one is done; the CLI's refusals
are one line, exit 2; the README's table is the table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.cli import main
from prospect_tui.core import users
from prospect_tui.core.campaigns import campaign_settings, set_setting
from prospect_tui.core.consent import forget, optout_lead, purge, purge_candidates
from prospect_tui.core.dialing import Dialer
from prospect_tui.core.exporter import export_calls, export_optins
from prospect_tui.core.importing import import_file
from prospect_tui.core.questionnaires.derive import campaign_from
from prospect_tui.core.questionnaires.export import export_answers
from prospect_tui.core.questionnaires.sample import export_sample
from prospect_tui.core.questionnaires.storage import attach_questionnaire
from prospect_tui.core.records import OptIn
from prospect_tui.core.report import write_report
from prospect_tui.core.roles import ACTIONS, CALLER, SUPERVISOR, Actor, Refused
from prospect_tui.core.stats import caller_filter
from prospect_tui.core.store import Store
from tests.helpers import A_CALLER, A_SUPERVISOR, add_leads
from tests.unit.questionnaire_data import SMALL

PARIS = ZoneInfo("Europe/Paris")  # the default home_timezone

README = Path(__file__).resolve().parents[2] / "README.md"
EVERY_HOUR = "mon-sun 00:00-23:59"


@dataclass
class World:
    """A campaign with an opt-in by the caller ann, a questionnaire, a lead file to import,
    a user, and a folder for exported files."""

    store: Store
    campaign: dict
    lead: int
    lead_file: Path
    questionnaire: Path
    out: Path


@pytest.fixture
def world(store: Store, tmp_path: Path, clock) -> World:
    campaign = add_leads(store, "spring", 4)
    leads = [row["id"] for row in store.rows("SELECT id FROM leads ORDER BY id")]
    Dialer(store, A_CALLER.name, campaign).record(
        leads[0], "opt_in", started_at=clock(), duration_s=60,
        opt_in=OptIn("dsi@example.fr", "Jean Dupont"),
    )  # fmt: skip
    questionnaire = tmp_path / "sat.toml"
    questionnaire.write_text(SMALL, encoding="utf-8")
    attach_questionnaire(store, "spring", questionnaire, A_SUPERVISOR)
    with store.write() as conn:  # no argon2 here: fifty worlds are built
        conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            ("bob", CALLER, "$argon2id$not-a-real-hash", store.now()),
        )
    lead_file = tmp_path / "leads.csv"
    lead_file.write_text("Société;Téléphone\nAlpha;01 42 68 53 00\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    return World(store, campaign, leads[1], lead_file, questionnaire, out)


def same(found: object, expected: object) -> object:
    assert found == expected
    return found


# Every guarded core function, under the action it does: (action, what, the call).
Walk = Callable[[World, Actor], object]
WALKS: list[tuple[str, str, Walk]] = [
    ("call", "record an outcome", lambda w, a: Dialer(w.store, a.name, w.campaign).record(
        w.lead, "no_answer", started_at=w.store.clock(), duration_s=5)),
    ("optout", "opt a lead out", lambda w, a: optout_lead(w.store, w.lead, a.name)),
    ("figures.own", "own figures", lambda w, a: same(caller_filter(a, a.name), a.name)),
    ("figures.others", "bob's figures", lambda w, a: caller_filter(a, "bob")),
    ("campaign.settings", "calling hours", lambda w, a: set_setting(
        w.store, "spring", "calling_hours", EVERY_HOUR, actor=a)),
    ("campaign.create", "campaign new", lambda w, a: campaign_from(
        w.store, "relance", "spring", outcomes=["opt_in"], actor=a, zone=PARIS)),
    ("import", "import a file", lambda w, a: import_file(
        w.store, w.lead_file, actor=a, campaign="spring")),
    ("questionnaire.attach", "attach", lambda w, a: attach_questionnaire(
        w.store, "spring", w.questionnaire, a)),
    ("export.own", "own opt-ins", lambda w, a: export_optins(
        w.store, w.out / "own.csv", caller=a.name, actor=a)),
    ("export.own", "own calls", lambda w, a: export_calls(
        w.store, w.out / "own-calls.csv", caller=a.name, actor=a)),
    ("export.optins", "every opt-in", lambda w, a: same(export_optins(
        w.store, w.out / "optins.csv", actor=a), 1)),
    ("export.optins", "another's opt-ins", lambda w, a: export_optins(
        w.store, w.out / "bob.csv", caller="bob", actor=a)),
    ("export.calls", "every call", lambda w, a: export_calls(w.store, w.out / "calls.csv",
                                                             actor=a)),
    ("export.answers", "answers", lambda w, a: export_answers(
        w.store, "spring", w.out / "answers.csv", actor=a, zone=PARIS)),
    ("export.sample", "whole sample", lambda w, a: export_sample(
        w.store, "spring", w.out / "sample.csv", actor=a, zone=PARIS)),
    ("report", "weekly report", lambda w, a: write_report(
        w.store, w.out / "week.html", date(2026, 11, 23), actor=a, zone=PARIS)),
    ("users.admin", "user add", lambda w, a: users.add_user(
        w.store, "zoe", "zoe-password", actor=a)),
    ("users.admin", "user passwd", lambda w, a: users.set_password(
        w.store, "bob", "new-password", actor=a)),
    ("users.admin", "user disable", lambda w, a: users.disable_user(w.store, "bob", actor=a)),
    ("users.admin", "user remove", lambda w, a: users.remove_user(w.store, "bob", actor=a)),
    ("users.admin", "user list", lambda w, a: users.list_users(w.store, actor=a)),
    ("users.admin", "user log", lambda w, a: users.access_log(w.store, actor=a)),
    ("purge", "purge", lambda w, a: purge(w.store, "1d", actor=a)),
    ("purge", "purge dry run", lambda w, a: purge_candidates(w.store, "1d", actor=a)),
    ("erase", "forget", lambda w, a: forget(w.store, "dsi@example.fr", actor=a)),
]  # fmt: skip


def test_every_action_of_the_table_is_walked():
    # `consent seal` (#17 item 2) is checked by its own tests.
    assert {action for action, _, _ in WALKS} | {"consent.seal"} == set(ACTIONS)


def test_a_caller_may_only_call_opt_out_and_see_or_export_his_own_work():
    callers = {action for action, (roles, _) in ACTIONS.items() if CALLER in roles}
    assert callers == {"call", "optout", "figures.own", "export.own"}
    assert all(SUPERVISOR in roles for roles, _ in ACTIONS.values())


def database(store: Store) -> list[str]:
    return list(store.conn.iterdump())


@pytest.mark.parametrize("actor", [A_CALLER, A_SUPERVISOR], ids=lambda a: a.role)
@pytest.mark.parametrize(("action", "what", "walk"), WALKS, ids=[w for _, w, _ in WALKS])
def test_the_core_checks_the_role(world, actor, action, what, walk):
    if actor.role in ACTIONS[action][0]:
        walk(world, actor)
        return
    before = database(world.store)
    with pytest.raises(Refused) as refused:
        walk(world, actor)
    assert str(refused.value) == (
        f"refused: only a supervisor may {ACTIONS[action][1]} ('ann' is a caller)"
    )
    assert database(world.store) == before
    assert list(world.out.iterdir()) == []


# In a terminal: --user and the config's supervisors list.


@pytest.fixture
def terminal(world, tmp_path, monkeypatch) -> World:
    config = tmp_path / "config.toml"
    config.write_text('supervisors = ["sue"]\n', encoding="utf-8")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    return world


@pytest.mark.parametrize(
    "command",
    [
        ["campaign", "set", "spring", "calling_hours", EVERY_HOUR],
        ["import", "{lead_file}", "--campaign", "spring"],
        ["user", "add", "zoe", "--password-stdin"],
        ["user", "log"],
        ["purge", "--older-than", "1d"],
        ["forget", "dsi@example.fr"],
        ["export", "answers", "--campaign", "spring"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_the_cli_refuses_a_caller_in_one_line(terminal, command, capsys):
    command = [part.format(lead_file=terminal.lead_file) for part in command]
    before = database(terminal.store)
    assert main(["--db", str(terminal.store.path), "--user", "ann", *command]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.fullmatch(
        r"prospect: error: refused: only a supervisor may [^\n]+ \('ann' is a caller\)\n",
        captured.err,
    )
    assert database(terminal.store) == before


def test_the_cli_lets_a_supervisor_change_calling_hours(terminal, capsys):
    db = str(terminal.store.path)
    assert main(["--db", db, "--user", "sue", "campaign", "set", "spring", "calling_hours",
                 EVERY_HOUR]) == 0  # fmt: skip
    assert campaign_settings(terminal.store.campaign("spring"))["calling_hours"] == EVERY_HOUR


def test_a_caller_exports_his_own_calls_from_the_cli(terminal, capsys):
    db = str(terminal.store.path)
    assert main(["--db", db, "--user", "ann", "export", "calls"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 2 and '"ann"' in rows[1]
    assert main(["--db", db, "--user", "ann", "export", "calls", "--caller", "bob"]) == 2


# The README's table is the table.


def readme_roles() -> dict[str, tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Who may do what") :]
    rows = re.findall(r"^\| `([a-z.]+)` \| ([a-z, ]+) \| (.+) \|$", section, re.MULTILINE)
    return {action: (roles, what) for action, roles, what in rows}


def test_the_readme_table_is_the_roles_table():
    documented = readme_roles()
    assert list(documented) == list(ACTIONS)
    for action, (roles, what) in ACTIONS.items():
        assert documented[action][0] == ", ".join(sorted(roles)), action
        assert documented[action][1].startswith(what), action


# Who the session's app acts as.


@pytest.fixture
def started(monkeypatch) -> list[Actor]:
    from prospect_tui.app import ProspectApp

    seen: list[Actor] = []
    monkeypatch.setattr(ProspectApp, "run", lambda app: seen.append(app.actor))
    return seen


def test_a_served_app_acts_with_the_user_records_role(world, tmp_path, monkeypatch, started):
    config = tmp_path / "config.toml"
    config.write_text('supervisors = ["bob"]\n', encoding="utf-8")  # not what counts served
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    db = str(world.store.path)
    assert main(["--db", db, "--caller", "bob", "--campaign", "spring", "--served"]) == 0
    assert main(["--db", db, "--caller", "bob", "--campaign", "spring"]) == 0
    assert started == [Actor("bob", CALLER), Actor("bob", SUPERVISOR)]
