"""The answers out: wide (one row per interviewed lead, columns fixed by the questionnaire
whatever the branching) or long (one row per answer), CSV or xlsx with a codebook sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from prospect_tui.core import UserError
from prospect_tui.core.cells import RISKY
from prospect_tui.core.csvout import write_csv
from prospect_tui.core.files import write_private
from prospect_tui.core.questionnaires.model import MISSING_EXPORT, Question, Questionnaire
from prospect_tui.core.questionnaires.storage import decode, require_version, versions
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
# Control characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CODEBOOK_HEADERS = ("question_id", "text", "type", "choices", "show_if", "required", "version")

# Each interviewed lead with its last answer, the outcome of its latest call and the
# interview's status after it (an undone call leaves the interview as it was before).
_INTERVIEWS_SQL = """
SELECT i.id, l.company, l.phone_e164, l.contact_name,
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


def wide_rows(store: Store, campaign_name: str) -> tuple[list[str], Iterator[list[str]]]:
    campaign, version = require_version(store, campaign_name)
    columns = _columns(version.questionnaire)
    headers = list(WIDE_HEADERS) + [
        q.id if code is None else f"{q.id}__{code}" for q, code in columns
    ]

    def rows() -> Iterator[list[str]]:
        for interview in store.rows(_INTERVIEWS_SQL, (campaign["id"],)):
            answers = {
                row[0]: row[1:]
                for row in store.conn.execute(
                    "SELECT question_id, value, number, missing FROM answers"
                    " WHERE interview_id = ?",
                    (interview["id"],),
                )
            }
            cells = [
                interview["company"],
                interview["phone_e164"] or "",
                interview["contact_name"],
                interview["caller"] or "",
                interview["answered_at"] or "",
                interview["outcome"] or "",
                interview["status"],
            ]
            for question, code in columns:
                cells.append(_wide_cell(question, code, answers.get(question.id)))
            yield cells

    return headers, rows()


def _wide_cell(question: Question, code: str | None, stored: tuple[Any, ...] | None) -> str:
    if stored is None:
        return ""  # not shown, or not reached
    value, _number, missing = stored
    if missing:
        return MISSING_EXPORT[missing]
    if value is None:
        return ""
    if code is not None:
        return "1" if code in value.split() else "0"
    return str(value)


def long_rows(store: Store, campaign_name: str) -> tuple[list[str], Iterator[list[str]]]:
    campaign, version = require_version(store, campaign_name)
    by_version = {v.number: v.questionnaire for v in versions(store, campaign["id"])}
    order = {q.id: i for i, q in enumerate(version.questionnaire.questions)}

    def rows() -> Iterator[list[str]]:
        found = store.conn.execute(
            "SELECT a.interview_id, a.version, l.company, l.phone_e164, a.caller,"
            " a.answered_at, a.question_id, a.value, a.number, a.missing"
            " FROM answers a JOIN interviews i ON i.id = a.interview_id"
            " JOIN leads l ON l.id = i.lead_id WHERE a.campaign_id = ?"
            " AND (a.value IS NOT NULL OR a.missing IS NOT NULL)",
            (campaign["id"],),
        ).fetchall()
        found.sort(key=lambda r: (r[0], order.get(r[6], len(order)), r[6]))
        for _id, number, company, phone, caller, at, qid, value, numeric, missing in found:
            asked = by_version.get(number, version.questionnaire)
            question = asked.question(qid) or version.questionnaire.question(qid)
            head = [campaign_name, str(number), company, phone or "", caller, at, qid]
            head += [question.text, question.type] if question else ["", ""]
            if missing:
                yield head + ["", "", "", MISSING_EXPORT[missing]]
                continue
            decoded = decode(question, value, numeric)
            codes = decoded if isinstance(decoded, tuple) else (value,)
            for code in codes:
                choice = question.choice(code) if question else None
                shown_code, label = (code, choice.label) if choice else ("", "")
                if question and question.type == "scale" and numeric is not None:
                    shown_code, label = code, question.labels.get(int(numeric), "")
                yield head + [shown_code, label, str(code), ""]

    return list(LONG_HEADERS), rows()


def codebook_rows(store: Store, campaign_name: str) -> list[list[str]]:
    """Every question of every version: its text, type, choices, condition, required."""
    campaign, _ = require_version(store, campaign_name)
    rows: list[list[str]] = []
    for version in versions(store, campaign["id"]):
        for q in version.questionnaire.questions:
            if q.type == "scale":
                choices = f"{int(q.min or 0)}-{int(q.max or 0)}" + "".join(
                    f"; {value} = {label}" for value, label in sorted(q.labels.items())
                )
            else:
                choices = "; ".join(f"{c.code} = {c.label}" for c in q.choices)
            rows.append([q.id, q.text, q.type, choices, q.show_if, q.required, str(version.number)])
    return rows


def export_answers(
    store: Store,
    campaign_name: str,
    output: Path | None,
    fmt: str = "csv",
    shape: str = "wide",
    *,
    actor: Actor,
) -> int:
    """Write the answers (CSV to stdout when `output` is None); returns the rows written."""
    require(actor, "export.answers")
    if shape not in ("wide", "long"):
        raise UserError(f"unknown shape {shape!r} (wide or long)")
    headers, rows = (wide_rows if shape == "wide" else long_rows)(store, campaign_name)
    if fmt == "xlsx":
        if output is None:
            raise UserError("--format xlsx needs -o PATH (a spreadsheet cannot go to stdout)")
        codebook = codebook_rows(store, campaign_name)
        return write_private(output, lambda temp: _write_xlsx(temp, headers, rows, codebook))
    if fmt != "csv":
        raise UserError(f"unknown export format {fmt!r} (csv or xlsx)")
    # The project's one CSV writer: French Excel's dialect, formula cells neutralised.
    return write_csv(output, headers, rows)


def _write_xlsx(
    path: Path, headers: list[str], rows: Iterable[list[str]], codebook: list[list[str]]
) -> int:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "answers"
    count = _fill(sheet, headers, rows)
    _fill(book.create_sheet("codebook"), list(CODEBOOK_HEADERS), codebook)
    book.save(path)
    return count


def _fill(sheet: Any, headers: list[str], rows: Iterable[list[str]]) -> int:
    """Text cells only: a value like `=1+1` is set as a string (never a formula) and quoted."""
    sheet.append(headers)
    sheet.freeze_panes = "A2"
    count = 0
    for number, row in enumerate(rows, 2):
        for column, value in enumerate(row, 1):
            if value == "":
                continue
            cell = sheet.cell(row=number, column=column)
            cell.value = value = _ILLEGAL_XML.sub("", value)
            cell.data_type = "s"
            if RISKY.match(value):
                cell.quotePrefix = True
        count += 1
    return count
