"""Survey files as an analyst opens them: typed columns (text, numbers, coded answers with
labels, missing codes, moments) written as CSV, xlsx, SPSS .sav or Stata .dta; case keys.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prospect_tui.core import UserError
from prospect_tui.core.cells import RISKY
from prospect_tui.core.clock import iso
from prospect_tui.core.csvout import dialect, write_csv
from prospect_tui.core.files import write_private
from prospect_tui.core.questionnaires.model import MISSING_CODES, MISSING_EXPORT, MISSING_LABELS
from prospect_tui.core.store import Store

FORMATS = ("csv", "xlsx", "sav", "dta")
# Control characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Stata's extended missing values for the three missing codes; "." stays "not asked".
STATA_MISSING = dict(zip(MISSING_CODES, "abc", strict=True))
# SPSS measures per kind of column.
_MEASURE = {"scale": "ordinal", "number": "scale", "moment": "scale"}
# Words SPSS or Stata keep for themselves: never a variable name.
_RESERVED = {
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
    "byte", "double", "float", "if", "in", "int", "long", "str", "strl", "using", "_n", "_all",
}  # fmt: skip
# Stata allows 32-character names but not for a value label set, which pyreadstat names after
# its variable; SPSS allows 64.
_NAME_LENGTH = 31


@dataclass(frozen=True)
class Missing:
    """A missing code given as the answer (not applicable, don't know, refused)."""

    code: str


Cell = str | float | Missing | datetime | None


@dataclass(frozen=True)
class Variable:
    """One column: its CSV header, its label, and what its cells hold.

    kind: text, number, scale (ordinal), choice (a code per answer), flag (0/1) or moment.
    """

    header: str
    label: str = ""
    kind: str = "text"
    codes: dict[str, int] = field(default_factory=dict)  # choice code -> number in .sav/.dta
    labels: dict[int, str] = field(default_factory=dict)  # number -> value label
    highest: float = 0  # the largest value the questionnaire allows (a scale's max)

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "scale", "choice", "flag")


@dataclass
class Table:
    variables: list[Variable]
    rows: Iterable[list[Cell]]
    sheet: str  # the xlsx sheet's name
    codebook: tuple[list[str], list[list[str]]] | None = None  # headers, rows (xlsx sheet)


def csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Missing):
        return MISSING_EXPORT[cell.code]
    if isinstance(cell, datetime):
        return iso(cell)
    if isinstance(cell, float):
        return str(int(cell)) if cell == int(cell) else repr(cell)
    return cell


def write_table(
    table: Table, output: Path | None, fmt: str, after: Callable[[], None], zone: ZoneInfo
) -> int:
    """Write `table` to `output` (CSV to stdout when None), its moments as days and times of
    `zone`; `after` runs once the rows are written, before the file takes its name, so a
    failure there leaves nothing behind."""
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r} ({', '.join(FORMATS)})")
    if output is None:
        if fmt != "csv":
            raise UserError(f"--format {fmt} needs -o PATH (it cannot go to stdout)")
        return write_csv(None, *_csv_rows(table))
    writer = {"csv": _write_csv, "xlsx": _write_xlsx, "sav": _write_sav, "dta": _write_dta}[fmt]

    def write(temp: Path) -> int:
        count = writer(temp, table, zone)
        after()
        return count

    return write_private(output, write)


def _csv_rows(table: Table) -> tuple[list[str], Iterator[list[str]]]:
    """Headers and text rows for the project's one CSV writer (French Excel's dialect,
    formula-like cells neutralised)."""
    return [v.header for v in table.variables], ([csv_cell(c) for c in row] for row in table.rows)


def _write_csv(path: Path, table: Table, zone: ZoneInfo) -> int:
    with open(path, "w", encoding=dialect(True).encoding, newline="") as out:
        return write_csv(out, *_csv_rows(table))


# --- xlsx ---------------------------------------------------------------------------------


def _write_xlsx(path: Path, table: Table, zone: ZoneInfo) -> int:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = table.sheet
    count = fill_sheet(sheet, [v.header for v in table.variables], table.rows, zone)
    if table.codebook is not None:
        fill_sheet(book.create_sheet("codebook"), *table.codebook, zone)
    book.save(path)
    return count


def fill_sheet(sheet: Any, headers: list[str], rows: Iterable[list[Any]], zone: ZoneInfo) -> int:
    """Numbers as numbers, moments as dates in `zone` (the team's), text as text (a value like
    `=1+1` is set as a string, never a formula, and quoted); a frozen header, an autofilter."""
    from openpyxl.utils import get_column_letter

    sheet.append(headers)
    sheet.freeze_panes = "A2"
    count = 0
    for number, row in enumerate(rows, 2):
        for column, value in enumerate(row, 1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, float):
                cell.value = int(value) if value == int(value) else value
            elif isinstance(value, datetime):
                cell.value = value.astimezone(zone).replace(tzinfo=None)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            else:
                cell.value = text = _ILLEGAL_XML.sub("", csv_cell(value))
                cell.data_type = "s"
                if RISKY.match(text):
                    cell.quotePrefix = True
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


# --- SPSS and Stata -------------------------------------------------------------------------


def variable_names(headers: Iterable[str]) -> list[str]:
    """Names SPSS and Stata accept: letters, digits and _, a letter first, at most 31
    characters, no reserved word, each unique (case-insensitively, as SPSS compares)."""
    names: list[str] = []
    taken: set[str] = set()
    for header in headers:
        name = re.sub(r"[^A-Za-z0-9_]", "_", header.encode("ascii", "ignore").decode() or "v")
        if not name[0].isalpha():
            name = "v" + name
        if name.lower() in _RESERVED:
            name += "_"
        name = name[:_NAME_LENGTH]
        unique, suffix = name, 1
        while unique.lower() in taken:
            suffix += 1
            unique = f"{name[: _NAME_LENGTH - len(str(suffix)) - 1]}_{suffix}"
        taken.add(unique.lower())
        names.append(unique)
    return names


def _missing_numbers(variable: Variable, values: Iterable[float]) -> dict[str, float]:
    """SPSS codes for the missing codes: 97/98/99, or 997/998/999... above every valid value."""
    highest = max([variable.highest, *variable.labels, *variable.codes.values(), *values])
    top = 100
    while top - 3 <= highest:
        top *= 10
    return {code: float(top - 3 + i) for i, code in enumerate(MISSING_CODES)}


def _fit(text: str, size: int) -> str:
    """`text` cut to SPSS's limit in bytes, never inside a character."""
    return text.encode()[:size].decode(errors="ignore")


def _columns(
    table: Table, stata: bool, zone: ZoneInfo
) -> tuple[list[str], list[list[Any]], dict[str, Any]]:
    """Names, the column values, and pyreadstat's keyword arguments, for .sav or .dta."""
    rows = list(table.rows)
    names = variable_names(v.header for v in table.variables)
    columns: list[list[Any]] = []
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    for index, (name, variable) in enumerate(zip(names, table.variables, strict=True)):
        cells = [row[index] for row in rows]
        labels[name] = variable.label[:80] if stata else _fit(variable.label, 256)
        measure[name] = _MEASURE.get(variable.kind, "nominal")
        if variable.kind == "moment":
            columns.append(
                [c.astimezone(zone).replace(tzinfo=None) if isinstance(c, datetime) else None
                 for c in cells]
            )  # fmt: skip
            continue
        if not variable.numeric:
            columns.append(["" if c is None else csv_cell(c) for c in cells])
            if not stata and any(isinstance(c, Missing) for c in cells):
                missing[name] = [MISSING_EXPORT[code] for code in MISSING_CODES]
            continue
        codes = dict(variable.codes)
        numbers: list[Any] = []
        for cell in cells:
            if isinstance(cell, str):  # a choice code; one from an older version gets a number
                numbers.append(float(codes.setdefault(cell, max(codes.values(), default=0) + 1)))
            else:
                numbers.append(cell)
        shown = {n: c for c, n in codes.items()} | variable.labels
        if stata:
            column = [
                STATA_MISSING[c.code] if isinstance(c, Missing) else math.nan if c is None else c
                for c in numbers
            ]
            value_labels[name] = {int(k): v for k, v in shown.items()}
            if any(isinstance(c, str) for c in column):
                missing[name] = list(STATA_MISSING.values())
                value_labels[name] |= {STATA_MISSING[c]: MISSING_LABELS[c] for c in MISSING_CODES}
        else:
            floats = [c for c in numbers if isinstance(c, float)]
            codes_of = _missing_numbers(variable, floats)
            column = [
                codes_of[c.code] if isinstance(c, Missing) else math.nan if c is None else c
                for c in numbers
            ]
            missing[name] = list(codes_of.values())
            value_labels[name] = {float(k): _fit(v, 120) for k, v in shown.items()} | {
                codes_of[code]: MISSING_LABELS[code] for code in MISSING_CODES
            }
        columns.append(column)
    settings: dict[str, Any] = {"column_labels": labels, "variable_value_labels": value_labels}
    if stata:
        settings["missing_user_values"] = missing
    else:
        settings |= {"missing_ranges": missing, "variable_measure": measure}
    return names, columns, settings


def _frame(table: Table, names: list[str], columns: list[list[Any]]) -> Any:
    """A pandas frame whose column types follow the variables, even when no row says it."""
    import pandas  # type: ignore[import-untyped]

    series = {}
    for variable, name, column in zip(table.variables, names, columns, strict=True):
        if variable.kind == "moment":
            series[name] = pandas.Series(pandas.to_datetime(column), dtype="datetime64[us]")
        elif variable.numeric and not any(isinstance(c, str) for c in column):
            series[name] = pandas.Series(column, dtype="float64")
        else:  # text, or numbers with Stata's .a/.b/.c
            series[name] = pandas.Series(column, dtype=object)
    return pandas.DataFrame(series)


def _write_sav(path: Path, table: Table, zone: ZoneInfo) -> int:
    import pyreadstat

    names, columns, settings = _columns(table, stata=False, zone=zone)
    frame = _frame(table, names, columns)
    pyreadstat.write_sav(frame, path, **settings)
    return len(frame)


def _write_dta(path: Path, table: Table, zone: ZoneInfo) -> int:
    import pyreadstat

    names, columns, settings = _columns(table, stata=True, zone=zone)
    frame = _frame(table, names, columns)
    pyreadstat.write_dta(frame, path, **settings)
    return len(frame)


# --- case keys and pseudonyms --------------------------------------------------------------


def lead_keys(store: Store, campaign_id: int, name: str) -> dict[int, str]:
    """Each lead of the campaign -> its field `name`: a lead column or an imported extra one."""
    columns = {row[1] for row in store.conn.execute("PRAGMA table_info(leads)")} - {"extra"}
    if name in columns:
        found = store.conn.execute(
            f"SELECT id, {name} FROM leads WHERE campaign_id = ?", (campaign_id,)
        )
        return {lead: "" if value is None else str(value) for lead, value in found}
    keys: dict[int, str] = {}
    for lead, extra in store.conn.execute(
        "SELECT id, extra FROM leads WHERE campaign_id = ?", (campaign_id,)
    ):
        value = json.loads(extra or "{}").get(name)
        if value is not None:
            keys[lead] = str(value)
    if not keys:
        raise UserError(f"--key {name}: no lead of the campaign has a field {name!r}")
    return keys


def key_path(output: Path) -> Path:
    """The key file beside a pseudonymised export: NAME-key.csv."""
    return output.with_name(f"{output.stem}-key.csv")


class CaseIds:
    """Random case ids standing for leads in a shared file, and the key that maps them back."""

    def __init__(self, key_field: str | None) -> None:
        self.headers = ["case_id", "lead_id", "company", "phone_e164"]
        if key_field:
            self.headers.append(key_field)
        self.rows: list[list[str]] = []
        self._given: set[str] = set()

    def case_id(self, lead_id: int, company: str, phone: str | None, key: str | None) -> str:
        case = secrets.token_hex(5).upper()
        while case in self._given:
            case = secrets.token_hex(5).upper()
        self._given.add(case)
        row = [case, str(lead_id), company, phone or ""]
        self.rows.append(row + ([key or ""] if len(self.headers) > 4 else []))
        return case

    def write(self, path: Path) -> None:
        write_csv(path, self.headers, self.rows)
