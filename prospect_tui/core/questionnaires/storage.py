"""Questionnaires and answers in the store: versions per campaign, one row per answer.

Every answer is committed when given; a change that hides later questions removes their
answers into the audit log; an answer that `writes` a lead field logs old -> new.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from prospect_tui.core import UserError
from prospect_tui.core.questionnaires.engine import hidden_answers, interview_status
from prospect_tui.core.questionnaires.model import (
    EXTRA_PREFIX,
    MISSING_CODES,
    Answer,
    Question,
    Questionnaire,
)
from prospect_tui.core.questionnaires.parse import parse_questionnaire, read_questionnaire
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import Store


@dataclass(frozen=True)
class Version:
    """One attached version of a campaign's questionnaire."""

    id: int
    campaign_id: int
    number: int
    questionnaire: Questionnaire
    attached_at: str


@dataclass
class Interview:
    """One lead's interview on one campaign; `id` is None until its first answer."""

    lead_id: int
    campaign_id: int
    version: Version
    id: int | None = None
    status: str = "open"
    answers: dict[str, Answer] = field(default_factory=dict)


@dataclass(frozen=True)
class Attached:
    campaign: str
    version: int
    title: str
    questions: int
    outcome: str  # attached, replaced, new_version or unchanged

    def summary(self) -> str:
        said = {
            "attached": "attached",
            "replaced": "replaced (no answers yet)",
            "new_version": "attached as a new version (answers keep theirs)",
            "unchanged": "unchanged",
        }[self.outcome]
        return (
            f"{self.campaign}: questionnaire {self.title!r}, {self.questions} questions,"
            f" version {self.version} {said}"
        )


@lru_cache(maxsize=32)
def _parsed(source: str) -> Questionnaire:
    return parse_questionnaire(source)


def _version(row: dict[str, Any]) -> Version:
    return Version(
        row["id"], row["campaign_id"], row["version"], _parsed(row["source"]), row["attached_at"]
    )


def current_version(store: Store, campaign_id: int) -> Version | None:
    """The questionnaire in force on a campaign (its latest version), or None."""
    row = store.row(
        "SELECT * FROM questionnaires WHERE campaign_id = ? ORDER BY version DESC LIMIT 1",
        (campaign_id,),
    )
    return None if row is None else _version(row)


def versions(store: Store, campaign_id: int) -> list[Version]:
    rows = store.rows(
        "SELECT * FROM questionnaires WHERE campaign_id = ? ORDER BY version", (campaign_id,)
    )
    return [_version(row) for row in rows]


def require_version(store: Store, campaign_name: str) -> tuple[dict[str, Any], Version]:
    campaign = store.campaign(campaign_name)
    version = current_version(store, campaign["id"])
    if version is None:
        raise UserError(
            f"campaign {campaign_name!r} has no questionnaire"
            f" (attach one: prospect campaign questionnaire {campaign_name} FILE)"
        )
    return campaign, version


def attach_questionnaire(store: Store, campaign_name: str, path: Path, actor: Actor) -> Attached:
    """Validate `path` and make it the campaign's questionnaire; nothing changes on an error.

    A changed questionnaire on a campaign with answers becomes a new version; without
    answers it replaces the current one.
    """
    require(actor, "questionnaire.attach")
    questionnaire = read_questionnaire(path)
    return attach_text(store, campaign_name, questionnaire, Path(path).name, actor)


def attach_text(
    store: Store, campaign_name: str, questionnaire: Questionnaire, file_name: str, actor: Actor
) -> Attached:
    """Attach a parsed questionnaire, recorded as attached by the actor."""
    require(actor, "questionnaire.attach")
    campaign = store.campaign(campaign_name)
    digest = hashlib.sha256(questionnaire.source.encode()).hexdigest()
    with store.write() as conn:
        current = conn.execute(
            "SELECT id, version, digest FROM questionnaires WHERE campaign_id = ?"
            " ORDER BY version DESC LIMIT 1",
            (campaign["id"],),
        ).fetchone()
        values = (
            questionnaire.title,
            questionnaire.source,
            digest,
            file_name,
            actor.name,
            store.now(),
        )
        if current is None:
            outcome, number = "attached", 1
        elif current[2] == digest:
            outcome, number = "unchanged", current[1]
        elif conn.execute(
            "SELECT 1 FROM answers WHERE campaign_id = ? AND version = ? LIMIT 1",
            (campaign["id"], current[1]),
        ).fetchone():
            outcome, number = "new_version", current[1] + 1
        else:
            outcome, number = "replaced", current[1]
            conn.execute(
                "UPDATE questionnaires SET title = ?, source = ?, digest = ?, file_name = ?,"
                " attached_by = ?, attached_at = ? WHERE id = ?",
                (*values, current[0]),
            )
        if outcome in ("attached", "new_version"):
            conn.execute(
                "INSERT INTO questionnaires (campaign_id, version, title, source, digest,"
                " file_name, attached_by, attached_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (campaign["id"], number, *values),
            )
    return Attached(
        campaign_name, number, questionnaire.title, len(questionnaire.questions), outcome
    )


# Answers as stored: the value column is text (codes of a multi joined by spaces), numbers
# are also in `number` for the figures.


def encode(answer: Answer) -> tuple[str | None, float | None]:
    value = answer.value
    if value is None:
        return None, None
    if isinstance(value, tuple):
        return " ".join(value), None
    if isinstance(value, float):
        return (str(int(value)) if value == int(value) else repr(value)), value
    return value, None


def decode(question: Question | None, value: str | None, number: float | None) -> Any:
    if value is None:
        return None
    if number is not None:
        return float(number)
    if question is not None and question.type == "multi":
        return tuple(value.split())
    return value


def load_interview(store: Store, lead_id: int, campaign_id: int) -> Interview | None:
    """The lead's interview on the campaign, answers included; None without a questionnaire."""
    version = current_version(store, campaign_id)
    if version is None:
        return None
    interview = Interview(lead_id, campaign_id, version)
    row = store.row(
        "SELECT id, status FROM interviews WHERE campaign_id = ? AND lead_id = ?",
        (campaign_id, lead_id),
    )
    if row is None:
        return interview
    interview.id, interview.status = row["id"], row["status"]
    questionnaire = version.questionnaire
    for answer in store.rows(
        "SELECT question_id, value, number, missing FROM answers WHERE interview_id = ?",
        (interview.id,),
    ):
        question = questionnaire.question(answer["question_id"])
        if question is None:
            continue  # asked under an older version only: kept, not part of this interview
        interview.answers[question.id] = Answer(
            decode(question, answer["value"], answer["number"]), answer["missing"]
        )
    return interview


def give_answer(
    store: Store, interview: Interview, question: Question, answer: Answer, caller: str
) -> list[str]:
    """Commit one answer (and the lead field it writes); returns the answers it removed.

    A changed answer is logged before it is replaced; answers to questions no longer shown
    are deleted and logged as removed, all in the same transaction.
    """
    if answer.missing is not None and answer.missing not in MISSING_CODES:
        raise UserError(f"unknown missing code {answer.missing!r}")
    now = store.now()
    number = interview.version.number
    value, numeric = encode(answer)
    with store.write() as conn:
        if interview.id is None:
            interview.id = conn.execute(
                "INSERT INTO interviews (campaign_id, lead_id, caller, started_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (campaign_id, lead_id)"
                " DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
                (interview.campaign_id, interview.lead_id, caller, now, now),
            ).fetchone()[0]
        else:
            conn.execute("UPDATE interviews SET updated_at = ? WHERE id = ?", (now, interview.id))
        if question.id in interview.answers:
            _audit(conn, interview.id, question.id, "changed", caller, now)
        conn.execute(
            "INSERT INTO answers (interview_id, campaign_id, question_id, version, value, number,"
            " missing, caller, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (interview_id, question_id) DO UPDATE SET version = excluded.version,"
            " value = excluded.value, number = excluded.number, missing = excluded.missing,"
            " caller = excluded.caller, answered_at = excluded.answered_at",
            (
                interview.id,
                interview.campaign_id,
                question.id,
                number,
                value,
                numeric,
                answer.missing,
                caller,
                now,
            ),
        )
        answers = {**interview.answers, question.id: answer}
        removed = hidden_answers(interview.version.questionnaire, answers)
        for qid in removed:
            _audit(conn, interview.id, qid, "removed", caller, now, f"hidden after {question.id}")
            conn.execute(
                "DELETE FROM answers WHERE interview_id = ? AND question_id = ?",
                (interview.id, qid),
            )
            answers.pop(qid)
        if question.writes and answer.substantive and value is not None:
            _write_lead(conn, interview, question.writes, value, caller, now)
    interview.answers = answers
    return removed


def _audit(
    conn: sqlite3.Connection,
    interview_id: int,
    question_id: str,
    event: str,
    caller: str,
    at: str,
    reason: str = "",
) -> None:
    conn.execute(
        "INSERT INTO answer_audit (interview_id, question_id, version, value, missing, event,"
        " reason, caller, at) SELECT interview_id, question_id, version, value, missing, ?, ?,"
        " ?, ? FROM answers WHERE interview_id = ? AND question_id = ?",
        (event, reason, caller, at, interview_id, question_id),
    )


_LEAD_COLUMNS = {
    "lead.contact_name": "contact_name",
    "lead.contact_title": "contact_title",
    "lead.direct_line": "direct_line_e164",
}


def lead_field(lead: dict[str, Any], name: str) -> str:
    """The current value of a `prefill`/`writes` field on a lead (empty when unset)."""
    if name in _LEAD_COLUMNS:
        return str(lead.get(_LEAD_COLUMNS[name]) or "")
    if name.startswith(EXTRA_PREFIX):
        try:
            extra = json.loads(lead.get("extra") or "{}")
        except ValueError:
            return ""
        found = extra.get(name[len(EXTRA_PREFIX) :], "") if isinstance(extra, dict) else ""
        return str(found)
    return ""


def _write_lead(
    conn: sqlite3.Connection, interview: Interview, name: str, value: str, caller: str, at: str
) -> None:
    row = conn.execute("SELECT * FROM leads WHERE id = ?", (interview.lead_id,))
    names = [column[0] for column in row.description]
    lead = dict(zip(names, row.fetchone(), strict=True))
    old = lead_field(lead, name)
    if old == value:
        return
    if name in _LEAD_COLUMNS:
        conn.execute(
            f"UPDATE leads SET {_LEAD_COLUMNS[name]} = ? WHERE id = ?", (value, interview.lead_id)
        )
    else:
        conn.execute(
            "UPDATE leads SET extra = json_set(CASE WHEN json_valid(extra) THEN extra"
            " ELSE '{}' END, ?, ?) WHERE id = ?",
            (f'$."{name[len(EXTRA_PREFIX) :]}"', value, interview.lead_id),
        )
    conn.execute(
        "INSERT INTO lead_changes (lead_id, field, old_value, new_value, caller, at,"
        " interview_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (interview.lead_id, name, old, value, caller, at, interview.id),
    )


def close_interview(store: Store, interview: Interview, call_id: int) -> str | None:
    """Tie the call that ended to the interview: completed, partial or breakoff after it.

    Call it inside the transaction that records the call. Returns the status (None when the
    interview has no answer yet: nothing to tie).
    """
    if interview.id is None:
        return None
    status = interview_status(interview.version.questionnaire, interview.answers)
    with store.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO interview_calls (call_id, interview_id, status)"
            " VALUES (?, ?, ?)",
            (call_id, interview.id, status),
        )
        conn.execute("UPDATE interviews SET status = ? WHERE id = ?", (status, interview.id))
        conn.execute(
            "UPDATE lead_changes SET call_id = ? WHERE interview_id = ? AND call_id IS NULL",
            (call_id, interview.id),
        )
    interview.status = status
    return status
