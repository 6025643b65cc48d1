"""Qualified files out: the opt-in contacts for the mailing and the call log, for Excel.

CSV in French Excel's dialect by default (UTF-8 BOM, `;`, CRLF, every field quoted) or plain
RFC 4180; xlsx with text cells. Formula injection is neutralised in every format.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from prospect_tui.core import UserError
from prospect_tui.core.cells import RISKY, neutralize_cell, restore_cell  # noqa: F401
from prospect_tui.core.clock import iso
from prospect_tui.core.consent import check_chain
from prospect_tui.core.csvout import write_csv
from prospect_tui.core.files import write_private
from prospect_tui.core.roles import Actor, require_whose
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppressed_hashes, suppression_hash

# Contracts (issue 2): names and order never change.
OPTIN_HEADERS = (
    "company",
    "contact_name",
    "email",
    "phone_e164",
    "phone_national",
    "city",
    "campaign",
    "consent_at",
    "caller",
    "consent_text",
)
CALL_HEADERS = (
    "called_at",
    "caller",
    "campaign",
    "company",
    "phone_e164",
    "outcome",
    "duration_s",
    "note",
    # Added after the first eight (scripts read those by position): the lead's direct line,
    # as the switchboard gave it; phone_e164 stays the number this call was dialled on.
    "direct_line_e164",
)

# Control characters XML 1.0 cannot hold (openpyxl refuses them too).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_XML = "xl/worksheets/sheet1.xml"


def _since(value: str | date | datetime | None) -> str | None:
    """The stored text form of a --since bound (a date means its midnight, UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise UserError(f"--since {value!r}: write a date like 2026-11-01") from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return iso(value)


# The latest consent event of each lead decides: a later withdrawal removes the contact.
_OPTINS_SQL = """
SELECT l.company, e.contact_name, e.email, l.phone_e164, l.phone_national, l.city,
       p.name AS campaign, e.at AS consent_at, e.caller, e.consent_text,
       e.phone_e164 AS dialled
FROM consent_events e
JOIN (SELECT lead_id, max(id) AS id FROM consent_events WHERE lead_id IS NOT NULL
      GROUP BY lead_id) last ON last.id = e.id
JOIN leads l ON l.id = e.lead_id
JOIN campaigns p ON p.id = e.campaign_id
WHERE e.event = 'granted' AND e.erased_at IS NULL {filters}
ORDER BY e.id
"""


def optin_rows(
    store: Store,
    campaign: str | None = None,
    *,
    since: str | date | datetime | None = None,
    caller: str | None = None,
) -> list[tuple[str, ...]]:
    """The opt-in file's rows (OPTIN_HEADERS order), suppressed contacts left out."""
    filters, params = [], []
    if campaign:
        filters.append("AND e.campaign_id = ?")
        params.append(store.campaign(campaign)["id"])
    bound = _since(since)
    if bound:
        filters.append("AND e.at >= ?")
        params.append(bound)
    if caller:
        filters.append("AND e.caller = ?")
        params.append(caller)
    emails = suppressed_hashes(store.conn, "email")
    phones = suppressed_hashes(store.conn, "phone")
    rows = []
    for row in store.conn.execute(_OPTINS_SQL.format(filters=" ".join(filters)), params):
        *fields, dialled = row
        email, phone = fields[2], fields[3]
        if suppression_hash("email", email) in emails:
            continue
        if any(n and suppression_hash("phone", n) in phones for n in (phone, dialled)):
            continue
        rows.append(tuple("" if v is None else str(v) for v in fields))
    return rows


def call_rows(
    store: Store, campaign: str | None = None, caller: str | None = None
) -> Iterator[tuple[str, ...]]:
    """Every call not undone (of `caller` when given), oldest first, streamed (a history
    may hold millions)."""
    sql = (
        "SELECT c.started_at, c.caller, p.name, l.company,"
        " COALESCE(NULLIF(c.dialled_e164, ''), l.phone_e164, ''), c.outcome, c.duration_s, c.note,"
        " l.direct_line_e164"
        " FROM calls c JOIN leads l ON l.id = c.lead_id JOIN campaigns p ON p.id = c.campaign_id"
        " WHERE c.undone_at IS NULL"
    )
    params: list[int | str] = []
    if campaign:
        sql += " AND c.campaign_id = ?"
        params.append(store.campaign(campaign)["id"])
    if caller:
        sql += " AND c.caller = ?"
        params.append(caller)
    for row in store.conn.execute(sql + " ORDER BY c.started_at, c.id", params):
        values = ["" if v is None else str(v) for v in row]
        # Whole seconds: French Excel reads "42.5" as a date or text, never as 42,5.
        values[6] = str(round(row[6] or 0))
        yield tuple(values)


def _write_xlsx(path: Path, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> int:
    """openpyxl writes the package (styles, frozen header, filter, widths); rows go in after.

    openpyxl serialises ~100,000 cells in about a second; the rows are text cells only, so
    they are written straight into the sheet's XML, the same markup openpyxl writes.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    widths = [len(h) for h in headers]
    for row in rows[:200]:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    letters = [get_column_letter(i) for i in range(1, len(headers) + 1)]
    for letter, width in zip(letters, widths, strict=True):
        sheet.column_dimensions[letter].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{letters[-1]}{len(rows) + 1}"
    sheet.append(headers)
    # A string cell is never evaluated; the quote prefix (what Excel records when one types
    # '=1+1) also keeps it text when someone edits the cell, and is not displayed.
    marker = WriteOnlyCell(sheet, value="")
    marker.quotePrefix = True
    quoted = marker.style_id
    book.save(path)
    _insert_rows(path, _sheet_rows_xml(rows, letters, quoted))
    return len(rows)


def _sheet_rows_xml(rows: list[tuple[str, ...]], letters: list[str], quoted: int) -> bytes:
    parts = []
    for number, row in enumerate(rows, 2):
        parts.append(f'<row r="{number}">')
        for letter, value in zip(letters, row, strict=True):
            if not value:
                continue
            value = _ILLEGAL_XML.sub("", value)
            style = f' s="{quoted}"' if RISKY.match(value) else ""
            space = ' xml:space="preserve"' if value != value.strip() else ""
            parts.append(
                f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{space}>'
                f"{xml_escape(value)}</t></is></c>"
            )
        parts.append("</row>")
    return "".join(parts).encode()


def _insert_rows(path: Path, rows_xml: bytes) -> None:
    with zipfile.ZipFile(path) as package:
        entries = [(info, package.read(info)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in entries:
            if info.filename == _SHEET_XML:
                if data.count(b"</sheetData>") != 1:
                    raise RuntimeError("unexpected sheet markup from openpyxl")
                data = data.replace(b"</sheetData>", rows_xml + b"</sheetData>")
            package.writestr(info, data)


def _export(
    output: Path | None,
    fmt: str,
    headers: tuple[str, ...],
    rows: Iterable[tuple[str, ...]],
    excel_dialect: bool,
) -> int:
    if fmt == "xlsx":
        if output is None:
            raise UserError("xlsx needs an output file (-o PATH)")
        return write_private(output, lambda path: _write_xlsx(path, headers, list(rows)))
    if fmt != "csv":
        raise UserError(f"unknown export format {fmt!r} (csv or xlsx)")
    # Same dialect to stdout as to a file, so `prospect export optins > file.csv` opens right.
    return write_csv(output, headers, rows, excel=excel_dialect)


def consent_gate(store: Store, *, unverified: bool, exported_by: str) -> str | None:
    """Check the consent log before opt-ins leave the database.

    A log that fails `consent verify` stops the export (UserError) unless `unverified`:
    then the export is recorded (who, when, what was wrong) and the problem returned.
    """
    report = check_chain(store)
    if report.ok:
        return None
    if not unverified:
        raise UserError(
            f"the consent log fails verification ({report.message}): no opt-in exported;"
            " see `prospect consent verify`, or pass --unverified to export anyway"
        )
    try:
        with store.write() as conn:
            conn.execute(
                "INSERT INTO unverified_exports (at, exported_by, problem) VALUES (?, ?, ?)",
                (store.now(), exported_by, report.message),
            )
    except sqlite3.OperationalError as error:
        raise UserError(f"cannot record the unverified export ({error})") from None
    return report.message


def export_optins(
    store: Store,
    output: Path | None,
    fmt: str = "csv",
    campaign: str | None = None,
    *,
    actor: Actor,
    since: str | date | datetime | None = None,
    caller: str | None = None,
    excel_dialect: bool = True,
    unverified: bool = False,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Write the opt-in file (CSV to stdout when `output` is None); returns the rows written.

    Everybody's opt-ins (`caller` None) or another caller's need a supervisor. Only from a
    consent log that verifies, unless `unverified` (see `consent_gate`); `warn` then hears
    what was wrong.
    """
    require_whose(actor, "export.optins", caller, "export.own")
    problem = consent_gate(store, unverified=unverified, exported_by=actor.name)
    if problem is not None and warn is not None:
        warn(problem)
    rows = optin_rows(store, campaign, since=since, caller=caller)
    return _export(output, fmt, OPTIN_HEADERS, rows, excel_dialect)


def export_calls(
    store: Store,
    output: Path | None,
    campaign: str | None = None,
    *,
    actor: Actor,
    caller: str | None = None,
    excel_dialect: bool = True,
) -> int:
    """Write every call, or `caller`'s (CSV to stdout when `output` is None); returns the
    rows written. Everybody's calls or another caller's need a supervisor."""
    require_whose(actor, "export.calls", caller, "export.own")
    rows = call_rows(store, campaign, caller)
    return _export(output, "csv", CALL_HEADERS, rows, excel_dialect)
