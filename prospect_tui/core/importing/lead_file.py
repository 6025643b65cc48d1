"""A lead file as understood before importing: its layout, header row and column mapping.

Only the first rows are read here (the preview); `LeadFile.records()` streams the rest.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from prospect_tui.core import UserError
from prospect_tui.core.importing.columns import choose_mapping, field_for, normal
from prospect_tui.core.importing.layout import (
    ENCODING_NAMES,
    SEPARATOR_NAMES,
    TextRows,
    open_regular,
    shown,
    shown_path,
    text_rows,
)
from prospect_tui.core.importing.spreadsheets import OpenSheet, is_spreadsheet, open_sheet

HEADER_SEARCH_ROWS = 30
# Data rows read to recognise columns by content, and shown in the preview.
SAMPLE_ROWS = 200


def describe_layout(
    encoding: str | None, separator: str | None, sheet: str | None, header_row: int
) -> str:
    """How a file was read, in words: "Windows-1252, semicolon separator, header on line 1"."""
    if sheet is not None:
        return f"sheet {sheet!r}, header on row {header_row}"
    encoding_name = ENCODING_NAMES.get(encoding or "", encoding)
    separator_name = SEPARATOR_NAMES.get(separator or "", repr(separator))
    return f"{encoding_name}, {separator_name} separator, header on line {header_row}"


def _is_blank(row: list[str]) -> bool:
    return not "".join(row).strip()


@dataclass
class LeadFile:
    """A lead file's layout and mapping, with its first data rows; `records()` reads them all."""

    path: Path
    encoding: str | None  # None for spreadsheets
    separator: str | None
    sheet: str | None
    header_row: int  # 1-based line (CSV) or row (spreadsheet) of the header
    columns: list[str]
    mapping: dict[str, int]  # field -> column index
    reasons: dict[str, str]  # field -> why its column was chosen
    sample: list[list[str]] = field(repr=False)  # the first data rows, padded to the header
    complete: bool  # whether `sample` holds every data row
    _text: TextRows | None = field(default=None, repr=False)
    _sheet: OpenSheet | None = field(default=None, repr=False)
    _done: int = field(default=0, repr=False)

    @property
    def name(self) -> str:
        return shown_path(self.path)

    def mapping_names(self) -> dict[str, str]:
        """field -> column name, for reports and the preview."""
        return {name: self.columns[index] for name, index in self.mapping.items()}

    def decisions(self) -> list[dict[str, str]]:
        """Each field's column and why it was chosen, for `--json` and the summary."""
        return [
            {"field": name, "column": self.columns[index], "reason": self.reasons.get(name, "")}
            for name, index in self.mapping.items()
        ]

    def describe(self) -> str:
        return describe_layout(self.encoding, self.separator, self.sheet, self.header_row)

    def progress(self) -> tuple[int, int]:
        """(done, total) of the reading in progress, in bytes or rows."""
        if self._text is not None:
            return self._text.position, max(self.path.stat().st_size, 1)
        total = self._sheet.sheet.height if self._sheet is not None else 1
        return min(self._done, total), max(total, 1)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Every non-blank data row below the header, padded: `(line, cells)`, streamed."""
        width = len(self.columns)
        rows = self._text.rows() if self._text is not None else self._sheet_rows()
        for line, row in rows:
            if line <= self.header_row or _is_blank(row):
                continue
            if len(row) < width:  # a short row: its missing cells are empty
                row.extend([""] * (width - len(row)))
            yield line, row

    def _sheet_rows(self) -> Iterator[tuple[int, list[str]]]:
        assert self._sheet is not None
        for number, row in self._sheet.rows(self.path):
            self._done = number
            yield number, row


class MissingCompany(UserError):
    """No column is surely the company's: the error names the best candidate, if any, and
    the `--map` to type; the import screen offers it in its mapping field."""

    def __init__(self, message: str, column: str | None) -> None:
        super().__init__(message)
        self.column = column

    @property
    def suggested_map(self) -> str | None:
        return None if self.column is None else f"company={self.column}"


def _column_names(row: list[str]) -> list[str]:
    """Header cells as column names: blank ones numbered, repeated ones made unique."""
    names: list[str] = []
    for index, cell in enumerate(row):
        name = cell.strip() or f"column {index + 1}"
        while name in names:
            name = f"{name} ({index + 1})"
        names.append(name)
    return names


def _find_column(columns: list[str], wanted: str) -> int | None:
    for index, column in enumerate(columns):
        if column == wanted:
            return index
    for index, column in enumerate(columns):
        if normal(column) == normal(wanted):
            return index
    return None


def _counted(columns: list[str]) -> str:
    # A count, never the cells: a file that is no lead file (a key, a password file) must
    # not have its first line shown as "the columns seen".
    return f"{len(columns)} column" + ("s" if len(columns) != 1 else "")


def _locate_header(
    name: str, head: list[tuple[int, list[str]]], wanted: dict[str, str]
) -> tuple[int, list[str], dict[str, int]]:
    """The header (title lines and blank rows may sit above it) and the --map columns in it.

    The row naming a phone and most other fields wins, as a person would pick it.
    """
    candidates = [i for i, (_, row) in enumerate(head[:HEADER_SEARCH_ROWS]) if not _is_blank(row)]
    if not candidates:
        raise UserError(f"{name}: the file is empty")
    best: tuple[tuple[bool, int], int, list[str], dict[str, int]] | None = None
    for index in candidates:
        columns = _column_names(head[index][1])
        forced: dict[str, int] = {}
        for field_name, column in wanted.items():
            found = _find_column(columns, column)
            if found is not None:
                forced[field_name] = found
        if len(forced) < len(wanted):
            continue
        named = {field_for(column) for column in columns} | set(forced)
        score = ("phone" in named, len(named - {None}))
        if best is None or score > best[0]:
            best = (score, index, columns, forced)
    if best is None:
        missing = ", ".join(f"{key}={shown(column)!r}" for key, column in wanted.items())
        raise UserError(f"{name}: no header row has the --map columns {missing}")
    _, index, columns, forced = best
    return index, columns, forced


def read_lead_file(
    path: str | Path,
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
    region: str = "FR",
) -> LeadFile:
    """Read a lead file's first rows and detect its layout; an unusable file is a UserError.

    Also what the TUI's import screen previews before the user confirms.
    """
    path = Path(path)
    name = shown_path(path)
    with open_regular(path) as binary:
        head = binary.read(4096)
        if not head.strip() and not binary.read(1):
            raise UserError(f"{name}: the file is empty")
        binary.seek(0)
        text: TextRows | None = None
        opened: OpenSheet | None = None
        if is_spreadsheet(path, head):
            opened = open_sheet(path, binary, sheet)
            rows: Generator[tuple[int, list[str]], None, None] = opened.rows(path)
        else:
            if sheet is not None:
                raise UserError(f"{name}: --sheet applies to spreadsheets, not to a text file")
            text = text_rows(path)
            rows = text.rows()
    first = list(islice(rows, HEADER_SEARCH_ROWS + SAMPLE_ROWS + 1))
    rows.close()  # the text file is read again, whole, by records()
    index, columns, forced = _locate_header(name, first, mapping or {})
    width = len(columns)
    header_line = first[index][0]
    sample: list[list[str]] = []
    for _, row in first[index + 1 :]:
        if not _is_blank(row) and len(sample) < SAMPLE_ROWS:
            sample.append(row + [""] * (width - len(row)))
    complete = len(first) <= HEADER_SEARCH_ROWS + SAMPLE_ROWS and len(sample) < SAMPLE_ROWS
    if not sample:
        where = "row" if opened else "line"
        raise UserError(f"{name}: no data rows below the header ({where} {header_line})")
    samples = [[row[i] for row in sample] for i in range(width)]
    choice = choose_mapping(columns, samples, region, forced)
    fields = choice.mapping
    if "phone" not in fields:
        raise UserError(
            f"{name}: no phone column found among {_counted(columns)} on line {header_line}; "
            'name it with --map phone="COLUMN"'
        )
    if not {"company", "contact_name", "first_name", "last_name"} & set(fields):
        missing = f"{name}: no company column found among {_counted(columns)} on line {header_line}"
        if choice.proposal is None:
            raise MissingCompany(f'{missing}; name it with --map company="COLUMN"', None)
        index, why = choice.proposal
        column = shown(columns[index])
        raise MissingCompany(
            f"{missing}; best candidate {column!r} ({why}): "
            f'if right, import with --map company="{column}"',
            columns[index],
        )
    return LeadFile(
        path=path,
        encoding=text.layout.encoding if text else None,
        separator=text.layout.separator if text else None,
        sheet=opened.name if opened else None,
        header_row=header_line,
        columns=columns,
        mapping=fields,
        reasons=choice.reasons,
        sample=sample,
        complete=complete,
        _text=text,
        _sheet=opened,
    )
