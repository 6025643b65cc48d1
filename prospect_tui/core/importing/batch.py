"""One import batch written all or nothing: leads, duplicates, do-not-call, rejects file.

Rows stream through in chunks, so memory stays flat with the file's size; the rejects file
is renamed into place only once the batch is committed.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

import phonenumbers

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.cells import restore_cell
from prospect_tui.core.csvout import EXCEL
from prospect_tui.core.files import write_private
from prospect_tui.core.importing.layout import shown_path
from prospect_tui.core.importing.lead_file import LeadFile, describe_layout, read_lead_file
from prospect_tui.core.importing.phone_pool import Parsed, PhonePool
from prospect_tui.core.phones import is_rounded_number
from prospect_tui.core.provenance import provenance
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppressed_hashes, suppression_hash
from prospect_tui.core.text import visible

CHUNK_ROWS = 10_000

# The mapped text fields, as _LeadBuilder reads them from a row.
TEXT_FIELDS = (
    "company", "city", "postcode", "contact_name", "contact_title", "email", "siret", "sector",
    "employees", "website", "first_name", "last_name",
)  # fmt: skip
# What _LeadBuilder.prepare gives for a row, in this order.
LEAD_VALUES = (
    "company", "city", "postcode", "contact_name", "contact_title", "email", "siret", "sector",
    "employees", "website", "extra",
)  # fmt: skip
COMPANY, EMAIL = LEAD_VALUES.index("company"), LEAD_VALUES.index("email")
# One encoder for every row: json.dumps(ensure_ascii=False) builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False)

LEAD_COLUMNS = (
    "campaign_id", "batch_id", "phone_e164", "phone_national", "phone_type", "timezone",
    *LEAD_VALUES, "source", "created_at",
)  # fmt: skip
INSERT_LEAD = (
    f"INSERT INTO leads ({', '.join(LEAD_COLUMNS)}) VALUES ({', '.join('?' for _ in LEAD_COLUMNS)})"
)
REJECTS_HEADER = ["line", "reason", "phone_e164", "existing_company"]


@dataclass
class ImportReport:
    """What an import did, for `--json`, the summary and the TUI."""

    file: str
    campaign: str
    batch_id: int
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid_phone: int = 0
    suppressed: int = 0
    rejects_file: str | None = None
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    header_row: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    columns: list[dict[str, str]] = field(default_factory=list)  # {field, column, reason}
    region: str = "FR"
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "invalid_phone": self.invalid_phone,
            "suppressed": self.suppressed,
            "rejects_file": self.rejects_file,
            "file": self.file,
            "campaign": self.campaign,
            "batch_id": self.batch_id,
            "encoding": self.encoding,
            "separator": self.separator,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "mapping": self.mapping,
            "columns": self.columns,
        }

    @property
    def rejected(self) -> int:
        return self.duplicates + self.invalid_phone + self.suppressed

    def summary(self) -> str:
        layout = describe_layout(self.encoding, self.separator, self.sheet, self.header_row)
        # One line per field with why its column was chosen, as a person would check it.
        columns = "".join(
            f"\n    {pick['field']} <- {pick['column']!r}"
            + (f" ({pick['reason']})" if pick["reason"] else "")
            for pick in self.columns
        )
        lines = [
            f"{self.file} -> campaign {self.campaign!r} (import batch {self.batch_id})",
            f"  read as {layout}",
            f"  columns:{columns}",
            f"  {self.rows_read} rows read: {self.imported} imported, "
            f"{self.duplicates} duplicates, {self.invalid_phone} invalid phone numbers, "
            f"{self.suppressed} on the do-not-call list",
        ]
        if self.rejects_file:
            lines.append(f"  rejected rows: {self.rejects_file}")
        return visible("\n".join(lines), lines=True)


class Progress:
    """A plain-text bar on stderr, shown only once an import has run for a second."""

    def __init__(
        self, label: str, enabled: bool, callback: Callable[[int, int], None] | None
    ) -> None:
        self.label, self.enabled, self.callback = label, enabled, callback
        self.started = time.monotonic()
        self.drawn = False

    def update(self, done: int, total: int) -> None:
        total = max(total, 1)
        done = min(done, total)
        if self.callback is not None:
            self.callback(done, total)
        if self.enabled and time.monotonic() - self.started > 1.0:
            share = done / total
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {share:4.0%}")
            sys.stderr.flush()
            self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _LeadBuilder:
    """A row's values for the leads table; set up once per file, as it runs for every row."""

    def __init__(self, columns: list[str], mapping: dict[str, int], region: str) -> None:
        self.picks = [mapping.get(name) for name in TEXT_FIELDS]
        mapped = set(mapping.values())
        self.extra = [(i, name) for i, name in enumerate(columns) if i not in mapped]
        self.width = len(columns)
        self.french = region == "FR"

    def prepare(self, row: list[str]) -> tuple[str, ...]:
        """The row's lead values but its phone, in LEAD_VALUES order."""
        # Our own exports escape formula-like cells with `'`: read them back as they were.
        texts = [restore_cell(row[i].strip()) if i is not None else "" for i in self.picks]
        (company, city, postcode, contact, title, email, siret, sector, employees, website,
         first_name, last_name) = texts  # fmt: skip
        if not contact:
            contact = f"{first_name} {last_name}".strip()
        if self.french:
            # Spreadsheets store these as numbers and drop the leading zero (01000 -> 1000).
            if len(postcode) == 4 and postcode.isdigit():
                postcode = "0" + postcode
            if len(siret) in (8, 13) and siret.isdigit():
                siret = "0" + siret
        extra = {name: text for i, name in self.extra if (text := row[i].strip())}
        # Cells beyond the header's width are kept too, under their position.
        for i in range(self.width, len(row)):
            if text := row[i].strip():
                extra[f"column {i + 1}"] = text
        return (
            company, city, postcode, contact, title, email, siret, sector, employees, website,
            _JSON.encode(extra) if extra else "{}",
        )  # fmt: skip


def _companies_by_phone(conn: sqlite3.Connection, numbers: set[str]) -> dict[str, str]:
    """The company of every lead already stored under one of these numbers (any campaign)."""
    found: dict[str, str] = {}
    wanted = list(numbers)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(
            conn.execute(
                f"SELECT phone_e164, company FROM leads WHERE phone_e164 IN ({marks})", chunk
            ).fetchall()
        )
    return found


def _chunks(
    records: Iterator[tuple[int, list[str]]],
) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(records, CHUNK_ROWS)):
        yield chunk


def _expected_rows(lead_file: LeadFile) -> int:
    """About how many rows the file holds, from its size and its first rows (for the pool)."""
    if lead_file.complete:
        return len(lead_file.sample)
    done, total = lead_file.progress()
    if lead_file.sheet is not None:
        return total
    row_bytes = sum(len(";".join(row)) + 2 for row in lead_file.sample) / len(lead_file.sample)
    return int(lead_file.path.stat().st_size / max(row_bytes, 1))


@dataclass
class _Batch:
    """The rows of one import being classified and written inside its transaction."""

    conn: sqlite3.Connection
    lead_file: LeadFile
    report: ImportReport
    campaign_id: int
    provenance: str
    now: str

    def __post_init__(self) -> None:
        self.phone_hashes = suppressed_hashes(self.conn, "phone")
        self.email_hashes = suppressed_hashes(self.conn, "email")

    def run(self, pool: PhonePool, rejects: IO[str], bar: Progress) -> None:
        lead_file = self.lead_file
        builder = _LeadBuilder(lead_file.columns, lead_file.mapping, self.report.region)
        phone_column = lead_file.mapping["phone"]
        # The project's one CSV dialect for Excel: formula cells neutralised like every export.
        rejects.write(EXCEL.line((*REJECTS_HEADER, *lead_file.columns)))
        chunks = _chunks(lead_file.records())
        chunk = next(chunks, None)
        if chunk is not None:
            pool.submit([row[phone_column] for _, row in chunk])
        while chunk is not None:
            prepared = [builder.prepare(row) for _, row in chunk]
            phones = pool.result()
            following = next(chunks, None)
            if following is not None:
                # The helpers parse the next chunk while this one is written.
                pool.submit([row[phone_column] for _, row in following])
            self._write(chunk, phones, prepared, rejects)
            bar.update(*lead_file.progress())
            chunk = following

    def _write(
        self,
        chunk: list[tuple[int, list[str]]],
        phones: list[Parsed],
        prepared: list[tuple[str, ...]],
        rejects: IO[str],
    ) -> None:
        report = self.report
        known = _companies_by_phone(self.conn, {p[0] for p in phones if p is not None})
        leads: list[tuple[Any, ...]] = []
        rejected: list[list[Any]] = []
        phone_column = self.lead_file.mapping["phone"]
        for (line, row), phone, values in zip(chunk, phones, prepared, strict=True):
            if phone is None:
                report.invalid_phone += 1
                # 1.4E+08 is a number Excel rounded for display: say so, the vendor can fix it.
                rounded = is_rounded_number(row[phone_column])
                reason = "rounded_phone" if rounded else "invalid_phone"
                rejected.append([line, reason, "", "", *row])
                continue
            e164 = phone[0]
            email = values[EMAIL]
            # Hashing 100,000 numbers costs; most databases have no suppression yet.
            if (self.phone_hashes and suppression_hash("phone", e164) in self.phone_hashes) or (
                self.email_hashes
                and email
                and suppression_hash("email", email) in self.email_hashes
            ):
                report.suppressed += 1
                rejected.append([line, "suppressed", e164, "", *row])
                continue
            if e164 in known:
                report.duplicates += 1
                rejected.append([line, "duplicate", e164, known[e164], *row])
                continue
            known[e164] = values[COMPANY]
            leads.append(
                (self.campaign_id, report.batch_id, *phone[:4], *values, self.provenance, self.now)
            )
        self.conn.executemany(INSERT_LEAD, leads)
        rejects.writelines(EXCEL.line(row) for row in rejected)
        report.rows_read += len(chunk)
        report.imported += len(leads)


def default_campaign(path: Path) -> str:
    """The campaign a file goes to when none is named: its name without the suffix."""
    return shown_path(Path(path).stem)


def _default_rejects_path(store: Store, lead_file: Path, batch_id: int) -> Path:
    return store.path.parent / f"{shown_path(lead_file.stem)}-rejects-{batch_id}.csv"


def import_file(
    store: Store,
    path: str | Path,
    *,
    actor: Actor,
    campaign: str,
    source: str = "",
    region: str | None = None,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    rejects_path: Path | None = None,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a lead file into a campaign (created if needed), in one transaction.

    `progress` draws a bar on stderr; `on_progress(done, total)` is for the TUI's worker.
    """
    require(actor, "import")
    started = time.monotonic()
    path = Path(path)
    existing = store.row("SELECT * FROM campaigns WHERE name = ?", (campaign,))
    region = (region or campaign_settings(existing or {})["region"]).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UserError(f"unknown phone region {region!r} (two letters, e.g. FR, BE, CH)")
    lead_file = read_lead_file(path, sheet=sheet, mapping=mapping, region=region)
    bar = Progress(f"importing {visible(shown_path(path.name))}", progress, on_progress)
    with ExitStack() as stack:
        stack.callback(bar.close)
        pool = stack.enter_context(PhonePool(region, _expected_rows(lead_file)))
        # Unnamed and owner-only: nothing of it is left after a kill.
        spool = stack.enter_context(tempfile.TemporaryFile())
        rejects = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        transaction = stack.enter_context(ExitStack())
        conn = transaction.enter_context(store.write())
        report = _start_batch(conn, store, lead_file, campaign, source, region)
        origin = shown_path(provenance(path.name, source))
        batch = _Batch(conn, lead_file, report, _campaign_id(conn, campaign), origin, store.now())
        batch.run(pool, rejects, bar)
        if not report.rows_read:
            raise UserError(f"{lead_file.name}: no data rows below the header")
        target = None
        if report.rejected or rejects_path is not None:
            target = rejects_path or _default_rejects_path(store, path, report.batch_id)
            report.rejects_file = shown_path(target)
        _finish_batch(conn, report)
        if target is None:
            transaction.close()  # commits
        else:

            def commit_then_rename(temp: Path) -> None:
                rejects.flush()
                spool.seek(0)
                with temp.open("wb") as out:
                    shutil.copyfileobj(spool, out)
                transaction.close()  # commits: write_private renames only after this

            write_private(target, commit_then_rename)
    bar.update(1, 1)
    report.seconds = time.monotonic() - started
    return report


def _campaign_id(conn: sqlite3.Connection, campaign: str) -> int:
    row = conn.execute("SELECT id FROM campaigns WHERE name = ?", (campaign,)).fetchone()
    return int(row[0])


def _start_batch(
    conn: sqlite3.Connection,
    store: Store,
    lead_file: LeadFile,
    campaign: str,
    source: str,
    region: str,
) -> ImportReport:
    now = store.now()
    # The campaign is created inside the import's transaction, so a failed import leaves no
    # empty campaign behind (store.ensure_campaign commits on its own).
    conn.execute(
        "INSERT OR IGNORE INTO campaigns (name, created_at, settings) VALUES (?, ?, '{}')",
        (campaign, now),
    )
    batch_id = conn.execute(
        "INSERT INTO import_batches (campaign_id, file_name, source, imported_at)"
        " VALUES (?, ?, ?, ?)",
        (_campaign_id(conn, campaign), shown_path(lead_file.path.name), source, now),
    ).lastrowid
    assert batch_id is not None
    return ImportReport(
        file=lead_file.name,
        campaign=campaign,
        batch_id=batch_id,
        encoding=lead_file.encoding,
        separator=lead_file.separator,
        sheet=lead_file.sheet,
        header_row=lead_file.header_row,
        mapping=lead_file.mapping_names(),
        columns=lead_file.decisions(),
        region=region,
    )


def _finish_batch(conn: sqlite3.Connection, report: ImportReport) -> None:
    conn.execute(
        "UPDATE import_batches SET rows_read = ?, imported = ?, duplicates = ?,"
        " invalid_phone = ?, suppressed = ?, rejects_file = ? WHERE id = ?",
        (
            report.rows_read,
            report.imported,
            report.duplicates,
            report.invalid_phone,
            report.suppressed,
            report.rejects_file,
            report.batch_id,
        ),
    )
