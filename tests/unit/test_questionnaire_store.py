"""Answers in a real SQLite file: one row per question with its version, missing codes apart,
removed answers audited, lead fields written with old -> new, a resume, new versions."""

from __future__ import annotations

import pytest

from prospect_tui.core.dialing import Dialer
from prospect_tui.core.questionnaires.engine import next_question
from prospect_tui.core.questionnaires.model import Answer
from prospect_tui.core.questionnaires.parse import parse_questionnaire
from prospect_tui.core.questionnaires.storage import (
    attach_text,
    close_interview,
    give_answer,
    load_interview,
)
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR, add_leads
from tests.unit.questionnaire_data import SMALL


def answer(store, interview, qid, value=None, missing=None):
    question = interview.version.questionnaire.question(qid)
    return give_answer(store, interview, question, Answer(value, missing), "alice")


@pytest.fixture
def campaign(store):
    row = add_leads(store, "sat", 3)
    attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
    return row


def test_each_answer_is_one_row_with_its_version_and_missing_codes_apart(store, campaign):
    lead = Dialer(store, "alice", campaign).next_lead()
    interview = load_interview(store, lead["id"], campaign["id"])
    answer(store, interview, "accueil", missing="dont_know")
    answer(store, interview, "projet", "yes")
    answer(store, interview, "projet_type", ("postes", "serveur"))
    rows = store.rows(
        "SELECT question_id, version, value, number, missing FROM answers ORDER BY id"
    )
    assert rows == [
        {"question_id": "accueil", "version": 1, "value": None, "number": None,
         "missing": "dont_know"},
        {"question_id": "projet", "version": 1, "value": "yes", "number": None, "missing": None},
        {"question_id": "projet_type", "version": 1, "value": "postes serveur", "number": None,
         "missing": None},
    ]  # fmt: skip


def test_changing_an_answer_removes_the_hidden_ones_into_the_audit(store, campaign):
    lead = Dialer(store, "alice", campaign).next_lead()
    interview = load_interview(store, lead["id"], campaign["id"])
    answer(store, interview, "accueil", 4.0)
    answer(store, interview, "projet", "yes")
    answer(store, interview, "projet_type", ("serveur",))
    removed = answer(store, interview, "projet", "no")
    assert removed == ["projet_type"]
    assert store.scalar("SELECT count(*) FROM answers WHERE question_id = 'projet_type'") == 0
    audit = store.rows("SELECT question_id, value, event FROM answer_audit ORDER BY id")
    assert audit == [
        {"question_id": "projet", "value": "yes", "event": "changed"},
        {"question_id": "projet_type", "value": "serveur", "event": "removed"},
    ]
    assert next_question(interview.version.questionnaire, interview.answers).id == "contact"


def test_an_answer_writes_the_lead_and_keeps_old_new_who_when_which_call(store, campaign, clock):
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    interview = load_interview(store, lead["id"], campaign["id"])
    for qid, value in (("accueil", 5.0), ("projet", "no"), ("contact", "Mme Roy")):
        answer(store, interview, qid, value)
    call_id = dialer.record(lead["id"], "completed", started_at=clock(), duration_s=90)
    assert close_interview(store, interview, call_id) == "completed"
    assert store.lead(lead["id"])["contact_name"] == "Mme Roy"
    change = store.row("SELECT field, old_value, new_value, caller, at, call_id FROM lead_changes")
    assert change == {
        "field": "lead.contact_name",
        "old_value": lead["contact_name"],
        "new_value": "Mme Roy",
        "caller": "alice",
        "at": store.now(),
        "call_id": call_id,
    }
    assert store.lead(lead["id"])["final_outcome"] == "completed"


def test_a_quit_loses_nothing_and_the_next_call_resumes(store, campaign, tmp_path, clock):
    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    interview = load_interview(store, lead["id"], campaign["id"])
    answer(store, interview, "accueil", 3.0)
    call_id = dialer.record(lead["id"], "callback", started_at=clock(), duration_s=20)
    assert close_interview(store, interview, call_id) == "partial"
    store.close()
    again = Store(tmp_path / "prospect.db", clock)
    resumed = load_interview(again, lead["id"], campaign["id"])
    assert resumed.answers == {"accueil": Answer(3.0)}
    assert next_question(resumed.version.questionnaire, resumed.answers).id == "projet"


def test_a_changed_questionnaire_with_answers_is_a_new_version(store, campaign):
    changed = parse_questionnaire(SMALL.replace("Lesquels ?", "Quels projets ?"))
    lead = Dialer(store, "alice", campaign).next_lead()
    interview = load_interview(store, lead["id"], campaign["id"])
    answer(store, interview, "accueil", 2.0)
    assert attach_text(store, "sat", changed, "v2.toml", A_SUPERVISOR).outcome == "new_version"
    assert attach_text(store, "sat", changed, "v2.toml", A_SUPERVISOR).outcome == "unchanged"
    interview = load_interview(store, lead["id"], campaign["id"])
    assert interview.version.number == 2 and interview.answers == {"accueil": Answer(2.0)}
    answer(store, interview, "projet", "no")
    versions = store.rows("SELECT question_id, version FROM answers ORDER BY id")
    assert [(v["question_id"], v["version"]) for v in versions] == [("accueil", 1), ("projet", 2)]


def test_a_changed_questionnaire_without_answers_replaces_it(store, campaign):
    changed = parse_questionnaire(SMALL.replace("Lesquels ?", "Quels projets ?"))
    assert attach_text(store, "sat", changed, "v2.toml", A_SUPERVISOR).outcome == "replaced"
    assert store.scalar("SELECT count(*) FROM questionnaires") == 1


def test_an_undone_completed_call_leaves_the_interview_open_in_the_export(store, campaign, clock):
    from prospect_tui.core.questionnaires.export import Identity, wide_table

    dialer = Dialer(store, "alice", campaign)
    lead = dialer.next_lead()
    interview = load_interview(store, lead["id"], campaign["id"])
    for qid, value in (("accueil", 5.0), ("projet", "no"), ("contact", "Mme Roy")):
        answer(store, interview, qid, value)
    close_interview(store, interview, dialer.record(lead["id"], "completed", started_at=clock(),
                                                    duration_s=90))  # fmt: skip
    found = [row[5:7] for row in wide_table(store, "sat", Identity()).rows]
    assert found == [["completed", "completed"]]
    dialer.undo()
    assert [row[5:7] for row in wide_table(store, "sat", Identity()).rows] == [[None, "open"]]
