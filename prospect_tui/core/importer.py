"""Purchased lead files in: CSV/TXT in any usual encoding and separator, xlsx, xls, ods.

Detects the layout, dedupes on E.164, honours the do-not-call list, and commits all or nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import re
import subprocess
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

import phonenumbers

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.cells import neutralize_cell, restore_cell
from prospect_tui.core.phones import parse_phones
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppressed_hashes, suppression_hash

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
SEPARATORS = (";", ",", "\t", "|")
SEPARATOR_NAMES = {";": "semicolon", ",": "comma", "\t": "tab", "|": "pipe"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Lead fields a column can feed; first_name/last_name are joined into contact_name.
FIELDS = (
    "company", "phone", "city", "postcode", "contact_name", "contact_title", "email", "siret",
    "sector", "employees", "website", "first_name", "last_name",
)  # fmt: skip

# Header names as they come from French and English vendors, compared after _normal().
# fmt: off
ALIASES: dict[str, tuple[str, ...]] = {
    "company": (
        "raison sociale", "societe", "entreprise", "company", "company name", "nom societe",
        "nom de la societe", "nom entreprise", "nom de l entreprise", "denomination",
        "denomination sociale", "etablissement", "enseigne", "nom commercial", "organisation",
        "organization", "account", "account name", "business name",
    ),
    "phone": (
        "telephone", "tel", "tel standard", "telephone standard", "standard", "phone",
        "phone number", "telephone number", "numero de telephone", "num tel", "no tel", "n tel",
        "tel fixe", "telephone fixe", "fixe", "ligne directe",
    ),
    "city": ("ville", "city", "commune", "localite", "town"),
    "postcode": ("cp", "code postal", "zip", "zip code", "postcode", "postal code"),
    "contact_name": (
        "nom du contact", "contact", "contact name", "nom contact", "interlocuteur",
        "dirigeant", "nom du dirigeant", "full name", "nom complet",
    ),
    "contact_title": (
        "fonction", "job title", "title", "poste", "titre", "position", "role",
        "fonction du contact",
    ),
    "email": (
        "e mail", "email", "mail", "courriel", "adresse e mail", "adresse email", "adresse mail",
        "email address", "e mail address",
    ),
    "siret": ("siret", "siren", "n siret", "no siret", "numero siret", "siret siege"),
    "sector": (
        "secteur", "secteur d activite", "industry", "activite", "code naf", "naf",
        "libelle naf", "sector", "code ape", "ape",
    ),
    "employees": (
        "effectif", "effectifs", "employees", "tranche d effectif", "tranche effectif",
        "nombre de salaries", "salaries", "headcount", "number of employees", "company size",
    ),
    "website": ("site web", "site internet", "website", "web", "url", "site"),
    "first_name": ("prenom", "first name", "prenom du contact"),
    "last_name": ("nom", "last name", "surname", "nom de famille"),
}
# fmt: on
# Words that give a longer header away ("Téléphone du standard", "E-mail du DSI"), in the
# order they are tried: an email or phone column often also says "contact".
KEYWORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("email", frozenset({"mail", "email", "courriel"})),
    ("siret", frozenset({"siret", "siren"})),
    ("phone", frozenset({"tel", "telephone", "phone", "standard", "portable", "mobile", "gsm"})),
    ("postcode", frozenset({"cp", "zip", "postal"})),
    ("website", frozenset({"web", "url", "site", "internet"})),
    ("city", frozenset({"ville", "city", "commune"})),
    ("employees", frozenset({"effectif", "effectifs", "salaries", "employees"})),
    ("sector", frozenset({"secteur", "industry", "naf", "activite", "ape"})),
    ("contact_title", frozenset({"fonction", "title", "poste"})),
    ("company", frozenset({"societe", "entreprise", "company", "sociale", "etablissement"})),
    ("contact_name", frozenset({"contact", "interlocuteur", "dirigeant"})),
)
_ALIAS_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

HEADER_SEARCH_ROWS = 30
SNIFF_CHARS = 64 * 1024
# Below this many distinct phone cells, starting a helper process costs more than it saves.
HELPER_MIN_CELLS = 50_000
MAX_HELPERS = 3
# This process's share of the parsing against one helper's: it also prepares the rows.
OWN_WEIGHT = 0.5
PARSE_CHUNK = 5_000
INSERT_CHUNK = 10_000
# Cells that Excel would run as a formula when the rejects file is opened (OWASP CSV injection).

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


def describe_layout(
    encoding: str | None, separator: str | None, sheet: str | None, header_row: int
) -> str:
    """How a file was read, in words: "Windows-1252, semicolon separator, header on line 1"."""
    if sheet is not None:
        return f"sheet {sheet!r}, header on row {header_row}"
    encoding_name = ENCODING_NAMES.get(encoding or "", encoding)
    separator_name = SEPARATOR_NAMES.get(separator or "", repr(separator))
    return f"{encoding_name}, {separator_name} separator, header on line {header_row}"


@dataclass
class LeadFile:
    """A lead file as read: its detected layout and its data rows, before any phone parsing."""

    path: Path
    encoding: str | None  # None for spreadsheets
    separator: str | None
    sheet: str | None
    header_row: int  # 1-based line (CSV) or row (spreadsheet) of the header
    columns: list[str]
    mapping: dict[str, int]  # field -> column index
    rows: list[list[str]] = field(repr=False)  # padded to the header's width
    lines: list[int] = field(repr=False)  # the file line (or sheet row) each data row starts on

    def mapping_names(self) -> dict[str, str]:
        """field -> column name, for reports and the preview."""
        return {name: self.columns[index] for name, index in self.mapping.items()}

    def describe(self) -> str:
        return describe_layout(self.encoding, self.separator, self.sheet, self.header_row)


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
    region: str = "FR"
    seconds: float = 0.0

    def as_json(self) -> dict:
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
        }

    def summary(self) -> str:
        layout = describe_layout(self.encoding, self.separator, self.sheet, self.header_row)
        columns = ", ".join(f"{name} <- {column!r}" for name, column in self.mapping.items())
        lines = [
            f"{self.file} -> campaign {self.campaign!r} (import batch {self.batch_id})",
            f"  read as {layout}",
            f"  columns: {columns}",
            f"  {self.rows_read} rows read: {self.imported} imported, "
            f"{self.duplicates} duplicates, {self.invalid_phone} invalid phone numbers, "
            f"{self.suppressed} on the do-not-call list",
        ]
        if self.rejects_file:
            lines.append(f"  rejected rows: {self.rejects_file}")
        return "\n".join(lines)


def _normal(name: str) -> str:
    """A header as compared: no accents, case or punctuation ("Tél. std" = "tel std")."""
    stripped = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in stripped if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", stripped).split())


def field_for(header: str) -> str | None:
    """The lead field a column header names, or None for a column kept as extra."""
    normal = _normal(header)
    if normal in _ALIAS_FIELD:
        return _ALIAS_FIELD[normal]
    words = set(normal.split())
    for name, keywords in KEYWORDS:
        if words & keywords:
            return name
    return None


def parse_mapping(items: list[str]) -> dict[str, str]:
    """`--map` items (`phone=Tél. standard`) as {field: column}; a bad item is a user error."""
    mapping: dict[str, str] = {}
    for item in items:
        name, equals, column = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        column = column.strip().strip("\"'").strip()
        if not equals or not name or not column:
            raise UserError(f'--map {item!r}: expected FIELD=COLUMN, e.g. phone="Tél. standard"')
        if name not in FIELDS:
            raise UserError(f"--map {item!r}: unknown field {name!r} (fields: {', '.join(FIELDS)})")
        mapping[name] = column
    return mapping


# Reading


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was read with (detected, never asked)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
        encoding = "utf-16"
    else:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            # Windows-1252 is Latin-1 plus printable characters in 0x80-0x9F (€, œ, ’):
            # it reads both unless the file uses one of its five undefined bytes.
            encoding = "cp1252"
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError:
                encoding = "latin-1"
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not readable as {encoding} text ({error.reason})") from None


def _looks_binary(text: str) -> bool:
    sample = text[:SNIFF_CHARS]
    controls = sum(1 for c in sample if c < " " and c not in "\t\r\n\f")
    return "\x00" in sample or controls > len(sample) / 100


def _sniff_separator(sample: str) -> str:
    """The separator that splits most rows into the same, largest number of cells."""
    best, best_score = ";", 0.0
    for separator in SEPARATORS:
        counts = [
            len(row)
            for row in csv.reader(io.StringIO(sample), delimiter=separator)
            if any(cell.strip() for cell in row)
        ]
        if len(counts) > 1:
            counts.pop()  # the sample may cut the last row short
        if not counts:
            continue
        width, hits = Counter(counts).most_common(1)[0]
        score = hits / len(counts) * width if width > 1 else 0.0
        if score > best_score:
            best, best_score = separator, score
    return best


def _read_csv(path: Path, raw: bytes) -> tuple[list[list[str]], list[int], str, str]:
    text, encoding = _decode(path, raw)
    if _looks_binary(text):
        raise UserError(f"{path}: not a text or spreadsheet file (binary content)")
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    separator = _sniff_separator(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[list[str]] = []
    lines: list[int] = []
    previous = 0
    try:
        for row in reader:
            rows.append(row)
            lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error as error:
        raise UserError(f"{path}: line {previous + 1}: not valid CSV ({error})") from None
    return rows, lines, encoding, separator


def _read_spreadsheet(path: Path, raw: bytes, sheet: str | None) -> tuple[list[list[str]], str]:
    from python_calamine import CalamineWorkbook

    suffix = path.suffix.lower() or "spreadsheet"
    if not raw.startswith((ZIP_MAGIC, OLE_MAGIC)):
        kind = "text" if not _looks_binary(raw[:SNIFF_CHARS].decode("latin-1")) else "binary data"
        raise UserError(f"{path}: not a real {suffix} spreadsheet (it holds {kind})")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except Exception as error:  # calamine raises many kinds (zip, xml, ole, password...)
        raise UserError(f"{path}: not a readable {suffix} spreadsheet ({error})") from None
    names = list(workbook.sheet_names)
    if not names:
        raise UserError(f"{path}: the spreadsheet has no sheet")
    if sheet is None:
        chosen = names[0]
    else:
        matches = [n for n in names if n == sheet] or [
            n for n in names if n.casefold() == sheet.casefold()
        ]
        if not matches:
            raise UserError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
        chosen = matches[0]
    try:
        # skip_empty_area=False keeps leading blank rows, so row numbers match the sheet's.
        cells = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception as error:  # same variety as above
        raise UserError(f"{path}: sheet {chosen!r} cannot be read ({error})") from None
    # As text from here on, like a CSV's cells: a float phone cell reads the same as text.
    return [[_cell_text(cell) for cell in row] for row in cells], chosen


def _cell_text(value: Any) -> str:
    """A cell as the text a lead stores (spreadsheets give floats, dates, booleans)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | day_time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def _is_blank(row: list[str]) -> bool:
    return not "".join(row).strip()


def _column_names(row: list[str]) -> list[str]:
    """Header cells as column names: blank ones numbered, repeated ones made unique."""
    names: list[str] = []
    for index, cell in enumerate(row):
        name = cell.strip() or f"column {index + 1}"
        while name in names:
            name = f"{name} ({index + 1})"
        names.append(name)
    return names


def _auto_mapping(columns: list[str], taken: dict[str, int]) -> dict[str, int]:
    """Fields recognised by name: exact aliases first, then keywords, first column wins."""
    mapping = dict(taken)
    used = set(taken.values())
    for exact in (True, False):
        for index, column in enumerate(columns):
            if index in used:
                continue
            normal = _normal(column)
            name = _ALIAS_FIELD.get(normal) if exact else field_for(column)
            if name and name not in mapping:
                mapping[name] = index
                used.add(index)
    # A lone "Nom" with no company column is the company's name, not a person's.
    if "company" not in mapping and "last_name" in mapping and "first_name" not in mapping:
        mapping["company"] = mapping.pop("last_name")
    return mapping


def _find_column(columns: list[str], wanted: str) -> int | None:
    for index, column in enumerate(columns):
        if column == wanted:
            return index
    for index, column in enumerate(columns):
        if _normal(column) == _normal(wanted):
            return index
    return None


def _locate_header(
    path: Path, rows: list[list[Any]], lines: list[int], wanted: dict[str, str]
) -> tuple[int, list[str], dict[str, int]]:
    """The header row (title lines and blank rows may sit above it) and its field mapping."""
    candidates = [i for i in range(min(len(rows), HEADER_SEARCH_ROWS)) if not _is_blank(rows[i])]
    if not candidates:
        raise UserError(f"{path}: the file is empty")
    best: tuple[tuple[int, int], int, list[str], dict[str, int]] | None = None
    for index in candidates:
        columns = _column_names(rows[index])
        taken: dict[str, int] = {}
        for name, column in wanted.items():
            found = _find_column(columns, column)
            if found is not None:
                taken[name] = found
        if len(taken) < len(wanted):
            continue
        mapping = _auto_mapping(columns, taken)
        score = ("phone" in mapping, len(mapping))
        if best is None or score > best[0]:
            best = (score, index, columns, mapping)
    if best is None:
        seen = ", ".join(_column_names(rows[candidates[0]]))
        missing = ", ".join(f"{name}={column!r}" for name, column in wanted.items())
        raise UserError(
            f"{path}: no header row has the --map columns {missing} (first row: {seen})"
        )
    _, index, columns, mapping = best
    if "phone" not in mapping:
        raise UserError(
            f"{path}: no phone column found (columns seen on line {lines[index]}: "
            f'{", ".join(columns)}); name it with --map phone="COLUMN"'
        )
    return index, columns, mapping


def read_lead_file(
    path: str | Path, *, sheet: str | None = None, mapping: dict[str, str] | None = None
) -> LeadFile:
    """Read a lead file and detect its layout; a file that cannot be used is a UserError.

    Also what the TUI's import screen previews before the user confirms.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a lead file") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror})") from None
    if not raw.strip():
        raise UserError(f"{path}: the file is empty")
    spreadsheet = path.suffix.lower() in SPREADSHEET_SUFFIXES or raw.startswith(
        (ZIP_MAGIC, OLE_MAGIC)
    )
    encoding = separator = chosen_sheet = None
    if spreadsheet:
        rows, chosen_sheet = _read_spreadsheet(path, raw, sheet)
        lines = list(range(1, len(rows) + 1))
    else:
        if sheet is not None:
            raise UserError(f"{path}: --sheet applies to spreadsheets, not to a text file")
        rows, lines, encoding, separator = _read_csv(path, raw)
    header, columns, fields = _locate_header(path, rows, lines, mapping or {})
    width = len(columns)
    data_rows: list[list[str]] = []
    data_lines: list[int] = []
    for row, line in zip(rows[header + 1 :], lines[header + 1 :], strict=True):
        if not _is_blank(row):
            if len(row) < width:  # a short row: its missing cells are empty
                row.extend([""] * (width - len(row)))
            data_rows.append(row)
            data_lines.append(line)
    if not data_rows:
        where = "row" if spreadsheet else "line"
        raise UserError(f"{path}: no data rows below the header ({where} {lines[header]})")
    return LeadFile(
        path=path,
        encoding=encoding,
        separator=separator,
        sheet=chosen_sheet,
        header_row=lines[header],
        columns=columns,
        mapping=fields,
        rows=data_rows,
        lines=data_lines,
    )


# Phones


class _PhoneHelper:
    """A process parsing a share of the phone cells (python -m prospect_tui.core.phones).

    A plain subprocess rather than multiprocessing: spawn re-runs the caller's main
    script, and fork from the TUI's worker thread can deadlock the child.
    """

    def __init__(self, cells: list[Any], region: str) -> None:
        self.cells, self.region = cells, region
        self.answer = b""
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            self.process: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-m", "prospect_tui.core.phones"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            self.process = None
            return
        payload = pickle.dumps((cells, region), protocol=pickle.HIGHEST_PROTOCOL)
        # A thread feeds the pipe so this process can parse its own share meanwhile.
        self.feeder = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self.feeder.start()

    def _talk(self, payload: bytes) -> None:
        assert self.process is not None
        self.answer = self.process.communicate(payload)[0]

    def result(self) -> list[tuple[str, ...] | None]:
        if self.process is not None:
            self.feeder.join()
            if self.process.returncode == 0:
                try:
                    parsed = pickle.loads(self.answer)
                except (pickle.UnpicklingError, EOFError, ValueError):
                    parsed = []
                if len(parsed) == len(self.cells):
                    return parsed
        # The helper could not run here (no interpreter, killed...): same work, this process.
        return parse_phones(self.cells, self.region)


def _parse_cells(
    cells: list[Any],
    region: str,
    advance: Callable[[int], None],
    meanwhile: Callable[[], None] = lambda: None,
) -> list[tuple[str, ...] | None]:
    """Every phone cell parsed once (vendor files repeat numbers), on every core for big files.

    `advance(n)` reports that about n of the cells are done; `meanwhile` is this process's
    other work, done while the helper processes parse.
    """
    distinct = list(dict.fromkeys(cells))
    helpers = (
        min((os.cpu_count() or 1) - 1, MAX_HELPERS) if len(distinct) >= HELPER_MIN_CELLS else 0
    )
    # This process also runs `meanwhile`, so it keeps a smaller share than a helper's.
    own = distinct[: round(len(distinct) * OWN_WEIGHT / (helpers + OWN_WEIGHT))]
    rest = distinct[len(own) :]
    size = -(-len(rest) // helpers) if helpers else 1
    started = [_PhoneHelper(rest[i : i + size], region) for i in range(0, len(rest), size)]
    # Helpers report nothing until done: this process's pace stands for theirs.
    scale = len(cells) / max(len(own), 1)
    parsed: list[tuple[str, ...] | None] = []
    for start in range(0, len(own), PARSE_CHUNK):
        parsed.extend(parse_phones(own[start : start + PARSE_CHUNK], region))
        advance(int(len(parsed) * scale))
    meanwhile()
    for helper in started:
        parsed.extend(helper.result())
    advance(len(cells))
    found = dict(zip(distinct, parsed, strict=True))
    return [found[cell] for cell in cells]


# Writing


def _excel_safe(value: str | int) -> str:
    return neutralize_cell(str(value))


def _default_rejects_path(store: Store, lead_file: Path, batch_id: int) -> Path:
    return store.path.parent / f"{lead_file.stem}-rejects-{batch_id}.csv"


def _write_rejects(target: Path, columns: list[str], rejects: Iterable[list[Any]]) -> None:
    """The rejected rows as a CSV that French Excel opens right (UTF-8 BOM, ;, CRLF, quoted)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only, like the database: the rows hold people's names and numbers.
        descriptor = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerow(["line", "reason", "phone_e164", "existing_company", *columns])
            writer.writerows([_excel_safe(cell) for cell in row] for row in rejects)
    except OSError as error:
        raise UserError(f"{target}: cannot write the rejects file ({error.strerror})") from None


class _Progress:
    """A plain-text bar on stderr, shown only once an import has run for a second."""

    def __init__(
        self, label: str, total: int, enabled: bool, callback: Callable[[int, int], None] | None
    ) -> None:
        self.label, self.total, self.enabled, self.callback = (
            label,
            max(total, 1),
            enabled,
            callback,
        )
        self.done = 0
        self.started = time.monotonic()
        self.drawn = False

    def advance(self, done: int) -> None:
        self.done = min(self.total, max(self.done, done))
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.enabled and time.monotonic() - self.started > 1.0:
            share = self.done / self.total
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {share:4.0%}")
            sys.stderr.flush()
            self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def import_file(
    store: Store,
    path: str | Path,
    *,
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
    started = time.monotonic()
    path = Path(path)
    lead_file = read_lead_file(path, sheet=sheet, mapping=mapping)
    existing = store.row("SELECT * FROM campaigns WHERE name = ?", (campaign,))
    region = (region or campaign_settings(existing or {})["region"]).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UserError(f"unknown phone region {region!r} (two letters, e.g. FR, BE, CH)")

    rows = lead_file.rows
    builder = _LeadBuilder(lead_file.columns, lead_file.mapping, region)
    prepared: list[tuple] = []
    bar = _Progress(f"importing {path.name}", 2 * len(rows), progress, on_progress)
    try:
        phone_column = lead_file.mapping["phone"]
        phones = _parse_cells(
            [row[phone_column] for row in rows],
            region,
            bar.advance,
            meanwhile=lambda: prepared.extend(map(builder.prepare, rows)),
        )
        report = _store_leads(
            store, lead_file, phones, prepared, campaign, source, region, rejects_path, bar
        )
    finally:
        bar.close()
    report.seconds = time.monotonic() - started
    return report


def _store_leads(
    store: Store,
    lead_file: LeadFile,
    phones: list[tuple[str, ...] | None],
    prepared: list[tuple],
    campaign: str,
    source: str,
    region: str,
    rejects_path: Path | None,
    bar: _Progress,
) -> ImportReport:
    """Classify every row and write the batch, its leads and its rejects file, all or nothing."""
    path, rows, columns = lead_file.path, lead_file.rows, lead_file.columns
    now = store.now()
    provenance = f"{path.name} ({source})" if source else path.name
    written: Path | None = None
    try:
        with store.write() as conn:
            # The campaign is created inside the import's transaction, so a failed import
            # leaves no empty campaign behind (store.ensure_campaign commits on its own).
            conn.execute(
                "INSERT OR IGNORE INTO campaigns (name, created_at, settings) VALUES (?, ?, '{}')",
                (campaign, now),
            )
            campaign_id = conn.execute(
                "SELECT id FROM campaigns WHERE name = ?", (campaign,)
            ).fetchone()[0]
            batch_id = conn.execute(
                "INSERT INTO import_batches (campaign_id, file_name, source, imported_at)"
                " VALUES (?, ?, ?, ?)",
                (campaign_id, path.name, source, now),
            ).lastrowid
            report = ImportReport(
                file=str(path),
                campaign=campaign,
                batch_id=batch_id,
                rows_read=len(rows),
                encoding=lead_file.encoding,
                separator=lead_file.separator,
                sheet=lead_file.sheet,
                header_row=lead_file.header_row,
                mapping=lead_file.mapping_names(),
                region=region,
            )
            known = _companies_by_phone(conn, {p[0] for p in phones if p is not None})
            phone_hashes = suppressed_hashes(conn, "phone")
            email_hashes = suppressed_hashes(conn, "email")
            leads: list[tuple] = []
            rejects: list[list[Any]] = []
            rows_and_phones = zip(rows, lead_file.lines, phones, strict=True)
            for index, (row, line, phone) in enumerate(rows_and_phones):
                if phone is None:
                    report.invalid_phone += 1
                    rejects.append([line, "invalid_phone", "", "", *row])
                    continue
                e164 = phone[0]
                values = prepared[index]
                email = values[EMAIL]
                # Hashing 100,000 numbers costs; most databases have no suppression yet.
                if (phone_hashes and suppression_hash("phone", e164) in phone_hashes) or (
                    email_hashes and email and suppression_hash("email", email) in email_hashes
                ):
                    report.suppressed += 1
                    rejects.append([line, "suppressed", e164, "", *row])
                    continue
                if e164 in known:
                    report.duplicates += 1
                    rejects.append([line, "duplicate", e164, known[e164], *row])
                    continue
                known[e164] = values[COMPANY]
                leads.append((campaign_id, batch_id, *phone[:4], *values, provenance, now))
            for start in range(0, len(leads), INSERT_CHUNK):
                chunk = leads[start : start + INSERT_CHUNK]
                conn.executemany(INSERT_LEAD, chunk)
                bar.advance(len(rows) + (start + len(chunk)) * len(rows) // len(leads))
            report.imported = len(leads)
            if rejects or rejects_path is not None:
                target = rejects_path or _default_rejects_path(store, path, batch_id)
                _write_rejects(target, columns, rejects)
                written = target
                report.rejects_file = str(written)
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
                    batch_id,
                ),
            )
    except BaseException:
        # Rolled back: a rejects file would describe an import that never happened.
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    bar.advance(2 * len(rows))
    return report


def _companies_by_phone(conn: Any, numbers: set[str]) -> dict[str, str]:
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


class _LeadBuilder:
    """A row's values for the leads table; set up once per file, as it runs for every row."""

    def __init__(self, columns: list[str], mapping: dict[str, int], region: str) -> None:
        self.picks = [mapping.get(name) for name in TEXT_FIELDS]
        mapped = set(mapping.values())
        self.extra = [(i, name) for i, name in enumerate(columns) if i not in mapped]
        self.width = len(columns)
        self.french = region == "FR"

    def prepare(self, row: list[str]) -> tuple:
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
