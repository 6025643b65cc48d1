"""The answers out: wide (one row per interviewed lead, columns fixed by the questionnaire
whatever the branching) or long (one row per answer); CSV, xlsx with a codebook, .sav, .dta.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prospect_tui.core import UserError
from prospect_tui.core.clock import parse_iso
from prospect_tui.core.questionnaires.model import (
    MISSING_CODES,
    MISSING_EXPORT,
    MISSING_LABELS,
    Question,
    Questionnaire,
)
from prospect_tui.core.questionnaires.storage import decode, require_version, versions
from prospect_tui.core.questionnaires.survey_files import (
    CaseIds,
    Cell,
    Missing,
    Table,
    Variable,
    key_path,
    lead_keys,
    write_table,
)
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import Store

# Contracts (issue 14): names and order never change; question columns follow them.
WIDE_HEADERS = (
    "company",
    "phone_e164",
    "contact_name",
    "caller",
    "answered_at",
    "outcome",
    "interview",
)
LONG_HEADERS = (
    "campaign",
    "version",
    "company",
    "phone_e164",
    "caller",
    "answered_at",
    "question_id",
    "question",
    "type",
    "choice_code",
    "choice_label",
    "value",
    "missing",
)
CODEBOOK_HEADERS = (
    "question_id", "text", "type", "choices", "show_if", "required", "version",
    "variables", "missing",
)  # fmt: skip

_FLAG_LABELS = {0: "not chosen", 1: "chosen"}
# Lead columns that name or reach a person: left out of a pseudonymised file.
_CONTACTS = ("company", "phone_e164", "contact_name")


# Each interviewed lead with its last answer, the outcome of its latest call and the
# interview's status after it (an undone call leaves the interview as it was before).
_INTERVIEWS_SQL = """
SELECT i.id, l.id AS lead_id, l.company, l.phone_e164, l.contact_name,
    coalesce((SELECT ic.status FROM interview_calls ic JOIN calls c ON c.id = ic.call_id
              WHERE ic.interview_id = i.id AND c.undone_at IS NULL
              ORDER BY c.id DESC LIMIT 1), 'open') AS status,
    (SELECT a.caller FROM answers a WHERE a.interview_id = i.id
     ORDER BY a.answered_at DESC, a.id DESC LIMIT 1) AS caller,
    (SELECT max(a.answered_at) FROM answers a WHERE a.interview_id = i.id) AS answered_at,
    (SELECT c.outcome FROM calls c WHERE c.lead_id = i.lead_id AND c.campaign_id = i.campaign_id
     AND c.undone_at IS NULL ORDER BY c.started_at DESC, c.id DESC LIMIT 1) AS outcome
FROM interviews i JOIN leads l ON l.id = i.lead_id
WHERE i.campaign_id = ? AND EXISTS (SELECT 1 FROM answers a WHERE a.interview_id = i.id)
ORDER BY i.id
"""


def _columns(questionnaire: Questionnaire) -> list[tuple[Question, str | None]]:
    """(question, choice code) per wide column: one per question, one per choice of a multi."""
    columns: list[tuple[Question, str | None]] = []
    for question in questionnaire.questions:
        if not question.answerable:
            continue
        if question.type == "multi":
            columns.extend((question, choice.code) for choice in question.choices)
        else:
            columns.append((question, None))
    return columns


def _variable(question: Question, code: str | None) -> Variable:
    """The column of a question (or of one choice of a multi) and what its cells hold."""
    if code is not None:
        choice = question.choice(code)
        label = f"{question.text}: {choice.label if choice else code}"
        return Variable(f"{question.id}__{code}", label, "flag", labels=_FLAG_LABELS)
    if question.type in ("single", "yesno"):
        codes = {c.code: n for n, c in enumerate(question.choices, 1)}
        labels = {n: c.label for n, c in enumerate(question.choices, 1)}
        return Variable(question.id, question.text, "choice", codes, labels)
    if question.type in ("scale", "number"):
        labels = question.labels if question.type == "scale" else {}
        return Variable(question.id, question.text, question.type, {}, labels, question.max or 0)
    return Variable(question.id, question.text, "text")


def _personal(question: Question) -> bool:
    """A question that shows or writes a lead field (a contact's name, a direct line)."""
    return question.prefill.startswith("lead.") or question.writes.startswith("lead.")


@dataclass
class Identity:
    """How leads are named in a file: an optional key field, or pseudonyms (random case ids)."""

    keys: dict[int, str] | None = None
    key_field: str | None = None
    cases: CaseIds | None = None

    def headers(self) -> list[Variable]:
        if self.cases is not None:
            return [Variable("case_id", "random case id (the key file maps it to the lead)")]
        return [Variable(self.key_field, "case key")] if self.key_field else []

    def cells(self, lead_id: int, company: str, phone: str | None) -> list[Cell]:
        key = None if self.keys is None else self.keys.get(lead_id, "")
        if self.cases is not None:
            return [self.cases.case_id(lead_id, company, phone, key)]
        return [] if key is None else [key]

    def keep(self, header: str) -> bool:
        return self.cases is None or header not in _CONTACTS


def identity(
    store: Store, campaign_id: int, key: str | None, pseudonymise: bool, output: Path | None
) -> Identity:
    if pseudonymise and output is None:
        raise UserError("--pseudonymise needs -o PATH (the key file is written beside it)")
    keys = lead_keys(store, campaign_id, key) if key else None
    return Identity(keys, key, CaseIds(key) if pseudonymise else None)


def wide_table(store: Store, campaign_name: str, who: Identity) -> Table:
    campaign, version = require_version(store, campaign_name)
    columns = [
        (q, code)
        for q, code in _columns(version.questionnaire)
        if who.cases is None or not _personal(q)
    ]
    fixed = [h for h in WIDE_HEADERS if who.keep(h)]
    variables = who.headers() + [
        Variable(h, h.replace("_", " "), "moment" if h == "answered_at" else "text") for h in fixed
    ]
    variables += [_variable(q, code) for q, code in columns]

    def rows() -> Iterator[list[Cell]]:
        for interview in store.rows(_INTERVIEWS_SQL, (campaign["id"],)):
            answers = {
                row[0]: row[1:]
                for row in store.conn.execute(
                    "SELECT question_id, value, number, missing FROM answers"
                    " WHERE interview_id = ?",
                    (interview["id"],),
                )
            }
            at = interview["answered_at"]
            known: dict[str, Cell] = {
                "company": interview["company"],
                "phone_e164": interview["phone_e164"],
                "contact_name": interview["contact_name"],
                "caller": interview["caller"],
                "answered_at": parse_iso(at) if at else None,
                "outcome": interview["outcome"],
                "interview": interview["status"],
            }
            cells = who.cells(interview["lead_id"], interview["company"], interview["phone_e164"])
            cells += [known[h] for h in fixed]
            for question, code in columns:
                cells.append(_wide_cell(question, code, answers.get(question.id)))
            yield cells

    return Table(variables, rows(), "answers")


def _wide_cell(question: Question, code: str | None, stored: tuple[Any, ...] | None) -> Cell:
    if stored is None:
        return None  # not shown, or not reached
    value, number, missing = stored
    if missing:
        return Missing(missing)
    if value is None:
        return None
    if code is not None:
        return 1.0 if code in value.split() else 0.0
    return float(number) if number is not None else str(value)


def long_table(store: Store, campaign_name: str, who: Identity) -> Table:
    campaign, version = require_version(store, campaign_name)
    by_version = {v.number: v.questionnaire for v in versions(store, campaign["id"])}
    order = {q.id: i for i, q in enumerate(version.questionnaire.questions)}
    fixed = [h for h in LONG_HEADERS if who.keep(h)]
    kinds = {"answered_at": "moment", "version": "number"}
    variables = who.headers() + [
        Variable(h, h.replace("_", " "), kinds.get(h, "text")) for h in fixed
    ]

    def rows() -> Iterator[list[Cell]]:
        found = store.conn.execute(
            "SELECT a.interview_id, a.version, l.id, l.company, l.phone_e164, a.caller,"
            " a.answered_at, a.question_id, a.value, a.number, a.missing"
            " FROM answers a JOIN interviews i ON i.id = a.interview_id"
            " JOIN leads l ON l.id = i.lead_id WHERE a.campaign_id = ?"
            " AND (a.value IS NOT NULL OR a.missing IS NOT NULL)",
            (campaign["id"],),
        ).fetchall()
        found.sort(key=lambda r: (r[0], order.get(r[7], len(order)), r[7]))
        cases: dict[int, list[Cell]] = {}
        for _id, number, lead, company, phone, caller, at, qid, value, numeric, missing in found:
            asked = by_version.get(number, version.questionnaire)
            question = asked.question(qid) or version.questionnaire.question(qid)
            if who.cases is not None and question is not None and _personal(question):
                continue
            if lead not in cases:
                cases[lead] = who.cells(lead, company, phone)
            known: dict[str, Cell] = {
                "campaign": campaign_name,
                "version": float(number),
                "company": company,
                "phone_e164": phone,
                "caller": caller,
                "answered_at": parse_iso(at),
                "question_id": qid,
                "question": question.text if question else "",
                "type": question.type if question else "",
            }
            head = cases[lead] + [known[h] for h in fixed[:-4]]
            if missing:
                yield head + [None, None, None, Missing(missing)]
                continue
            decoded = decode(question, value, numeric)
            codes = decoded if isinstance(decoded, tuple) else (value,)
            for code in codes:
                choice = question.choice(code) if question else None
                shown_code, label = (code, choice.label) if choice else ("", "")
                if question and question.type == "scale" and numeric is not None:
                    shown_code, label = code, question.labels.get(int(numeric), "")
                given: Cell = float(numeric) if numeric is not None else str(code)
                yield head + [shown_code, label, given, None]

    return Table(variables, rows(), "answers")


def codebook_rows(store: Store, campaign_name: str) -> list[list[str]]:
    """Every question of every version: its text, type, choices, condition, required, the
    export's variables for it and the missing codes."""
    campaign, _ = require_version(store, campaign_name)
    missing = "; ".join(f"{MISSING_EXPORT[c]} = {MISSING_LABELS[c]}" for c in MISSING_CODES)
    rows: list[list[str]] = []
    for version in versions(store, campaign["id"]):
        for q in version.questionnaire.questions:
            if q.type == "scale":
                choices = f"{int(q.min or 0)}-{int(q.max or 0)}" + "".join(
                    f"; {value} = {label}" for value, label in sorted(q.labels.items())
                )
            else:
                choices = "; ".join(f"{c.code} = {c.label}" for c in q.choices)
            names = [
                _variable(q, code).header for p, code in _columns(version.questionnaire) if p is q
            ]
            rows.append(
                [q.id, q.text, q.type, choices, q.show_if, q.required, str(version.number),
                 ", ".join(names), missing if q.answerable else ""]
            )  # fmt: skip
    return rows


def export_answers(
    store: Store,
    campaign_name: str,
    output: Path | None,
    fmt: str = "csv",
    shape: str = "wide",
    *,
    actor: Actor,
    zone: ZoneInfo,
    key: str | None = None,
    pseudonymise: bool = False,
) -> int:
    """Write the answers (CSV to stdout when `output` is None), times in `zone`; returns the
    rows written.

    `key` names a lead field carried as the first column; `pseudonymise` writes a random
    case id instead of the lead's contacts and the key file NAME-key.csv beside `output`.
    """
    require(actor, "export.answers")
    if shape not in ("wide", "long"):
        raise UserError(f"unknown shape {shape!r} (wide or long)")
    if fmt in ("sav", "dta") and shape == "long":
        raise UserError(f"--format {fmt} writes the wide shape (one variable per question)")
    campaign, _ = require_version(store, campaign_name)
    who = identity(store, campaign["id"], key, pseudonymise, output)
    table = (wide_table if shape == "wide" else long_table)(store, campaign_name, who)
    if fmt == "xlsx":
        table.codebook = (list(CODEBOOK_HEADERS), codebook_rows(store, campaign_name))
    return write_table(table, output, fmt, lambda: write_key(who, output), zone)


def write_key(who: Identity, output: Path | None) -> None:
    """The key file of a pseudonymised export, 0600, written before the export takes its name."""
    if who.cases is not None and output is not None:
        who.cases.write(key_path(output))
