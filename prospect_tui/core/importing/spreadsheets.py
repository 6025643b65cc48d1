"""Spreadsheet lead files (xlsx, xlsm, xls, xlsb, ods), measured before they are read.

The reader allocates the whole area between the first and last cell at once, so a single
cell at XFD1048576 or a zip bomb is refused from the file's own parts (XML, or xlsb's binary
records) before it is opened. An xls (BIFF8) cannot go past 65,536 x 256 cells: at most about
540 MB for a moment, then refused by its area.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, BinaryIO

from prospect_tui.core import UserError
from prospect_tui.core.importing.layout import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    looks_binary,
    shown,
    shown_path,
)

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The reader holds ~32 bytes a cell of the area it spans: 5 million cells is 160 MB.
MAX_SHEET_CELLS = 5_000_000
# Unpacked size of all the parts of an xlsx or ods (an xlsx packs about 10:1; a bomb 1000:1).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_SPREADSHEET_BYTES = 256 * 1024 * 1024
_SCAN_CHUNK = 1024 * 1024
SPLIT_HINT = "split it into smaller files, or save it as CSV (read as a stream, no size limit)"


def is_spreadsheet(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in SPREADSHEET_SUFFIXES or head.startswith((ZIP_MAGIC, OLE_MAGIC))


# Measuring


@dataclass
class _Extent:
    rows: int = 0
    columns: int = 0


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


_XLSX_TAG = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb'\br="([A-Z]*)(\d*)"')
_ODS_TAG = re.compile(rb"<table:(table|table-row|table-cell|covered-table-cell)\b([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')


def _tags(part: IO[bytes], pattern: re.Pattern[bytes]) -> Iterator[re.Match[bytes]]:
    """Every match of `pattern` in a zip part, read in chunks (a tag may span two)."""
    tail = b""
    while chunk := part.read(_SCAN_CHUNK):
        data = tail + chunk
        cut = data.rfind(b"<")
        cut = cut if cut >= 0 else len(data)
        yield from pattern.finditer(data, 0, cut)
        tail = data[cut:]
    yield from pattern.finditer(tail)


def _xlsx_extent(part: IO[bytes]) -> _Extent:
    """The area between A1 and the last cell of a worksheet part, from its cells' references."""
    extent = _Extent()
    row = column = 0
    for match in _tags(part, _XLSX_TAG):
        ref = _REF.search(match.group(2))
        if match.group(1) == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            column = 0
        else:
            letters = ref.group(1).decode() if ref else ""
            column = _column_number(letters) if letters else column + 1
            if ref and ref.group(2):
                row = max(row, int(ref.group(2)))
            extent.rows = max(extent.rows, row)
            extent.columns = max(extent.columns, column)
    return extent


# xlsb (BIFF12) records: a 1-2 byte type and a 1-4 byte size, both 7 bits a byte.
_XLSB_ROW = 0x00  # BrtRowHdr: the row (u32) of the cells that follow
_XLSB_CELLS = frozenset(range(0x01, 0x0C)) | {0x3E}  # BrtCell*, BrtFmla*: column (u32) first
_XLSB_SHORT_CELLS = frozenset(range(0x0C, 0x16))  # BrtShort*: the next column, not written


def _xlsb_records(part: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(type, first 4 bytes of data) of each record, read in chunks; a cut record ends it."""
    data, at = b"", 0
    while True:
        if len(data) - at < 16:  # a header and 4 bytes of data may straddle two chunks
            data, at = data[at:], 0
            while len(data) < 16 and (chunk := part.read(_SCAN_CHUNK)):
                data += chunk
            if not data:
                return
        kind = data[at]
        at += 1
        if kind & 0x80:
            kind = (kind & 0x7F) | (data[at] & 0x7F) << 7 if at < len(data) else -1
            at += 1
        size = shift = 0
        for _ in range(4):
            if at >= len(data):
                return
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        yield kind, data[at : at + 4]
        at += size
        if at > len(data):  # a long record: skip the part of it not yet read
            skipped = at - len(data)
            while skipped > 0 and (chunk := part.read(min(skipped, _SCAN_CHUNK))):
                skipped -= len(chunk)
            data, at = b"", 0


def _xlsb_extent(part: IO[bytes]) -> _Extent:
    """The area between A1 and the last cell of an xlsb worksheet, from its records."""
    extent = _Extent()
    row = column = 0
    for kind, head in _xlsb_records(part):
        if kind == _XLSB_ROW and len(head) == 4:
            row, column = int.from_bytes(head, "little") + 1, 0
        elif kind in _XLSB_CELLS or kind in _XLSB_SHORT_CELLS:
            if kind in _XLSB_CELLS and len(head) == 4:
                column = int.from_bytes(head, "little") + 1
            else:
                column += 1
            extent.rows = max(extent.rows, row)
            extent.columns = max(extent.columns, column)
    return extent


def _ods_extents(part: IO[bytes]) -> Iterator[_Extent]:
    """Each table's area up to its last non-empty cell, repeated rows and columns counted."""
    extent: _Extent | None = None
    row = next_row = column = repeat = 1
    for match in _tags(part, _ODS_TAG):
        kind, attributes, closed = match.groups()
        if kind == b"table":
            if extent is not None:
                yield extent
            extent, next_row = _Extent(), 1
        elif kind == b"table-row":
            repeated = _ROWS_REPEATED.search(attributes)
            repeat = max(int(repeated.group(1)) if repeated else 1, 1)
            row, next_row, column = next_row, next_row + repeat, 1
        elif extent is not None:
            repeated = _COLUMNS_REPEATED.search(attributes)
            width = max(int(repeated.group(1)) if repeated else 1, 1)
            # A self-closing cell without a value is an empty cell (often thousands of them).
            if not closed or b"value-type" in attributes:
                extent.rows = max(extent.rows, row + repeat - 1)
                extent.columns = max(extent.columns, column + width - 1)
            column += width
    if extent is not None:
        yield extent


def _check_extent(name: str, extent: _Extent) -> None:
    cells = extent.rows * extent.columns
    if cells > MAX_SHEET_CELLS or extent.columns > MAX_COLUMNS:
        raise UserError(
            f"{name}: a sheet spans {extent.rows:,} rows x {extent.columns:,} columns; at most "
            f"{MAX_SHEET_CELLS:,} cells and {MAX_COLUMNS:,} columns are read: {SPLIT_HINT}"
        )


def check_spreadsheet(path: Path, binary: BinaryIO) -> None:
    """Refuse a zipped spreadsheet whose unpacked parts or sheet areas exceed the limits."""
    name = shown_path(path)
    unreadable = f"{name}: not a readable {shown(path.suffix.lower() or 'zipped')} spreadsheet"
    try:
        with zipfile.ZipFile(binary) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_UNPACKED_BYTES:
                raise UserError(
                    f"{name}: unpacks to {unpacked / 2**20:,.0f} MB, more than the "
                    f"{MAX_UNPACKED_BYTES // 2**20} MB read: {SPLIT_HINT}"
                )
            for part in parts:
                if re.fullmatch(r"xl/worksheets/[^/]+\.xml", part.filename):
                    with archive.open(part) as stream:
                        _check_extent(name, _xlsx_extent(stream))
                elif re.fullmatch(r"xl/worksheets/[^/]+\.bin", part.filename):
                    with archive.open(part) as stream:
                        _check_extent(name, _xlsb_extent(stream))
                elif part.filename == "content.xml":
                    with archive.open(part) as stream:
                        for extent in _ods_extents(stream):
                            _check_extent(name, extent)
    # A damaged archive fails in many ways: bad headers, bad deflate data, bad CRC.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError,
            ValueError, RuntimeError) as error:  # fmt: skip
        raise UserError(f"{unreadable} ({shown(str(error))})") from None
    except OSError as error:
        raise UserError(f"{unreadable} ({error.strerror or error})") from None


# Reading


@dataclass
class OpenSheet:
    """One sheet of a workbook, ready to be read row by row."""

    name: str
    sheet: Any  # python_calamine.CalamineSheet: holds the cells, not yet as Python objects

    def rows(self, path: Path) -> Generator[tuple[int, list[str]], None, None]:
        """(row number, cells as text), from row 1 so numbers match the sheet's."""
        for number, row in enumerate(self.sheet.iter_rows(), start=1):
            yield number, [_cell_text(path, number, cell) for cell in row]


def open_sheet(path: Path, binary: BinaryIO, sheet: str | None) -> OpenSheet:
    """The chosen sheet (default: the first) of a spreadsheet, checked before it is read."""
    from python_calamine import CalamineWorkbook

    name = shown_path(path)
    suffix = path.suffix.lower() or "spreadsheet"
    head = binary.read(4096)
    binary.seek(0)
    if not head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        kind = "binary data" if looks_binary(head.decode("latin-1")) else "text"
        raise UserError(f"{name}: not a real {shown(suffix)} spreadsheet (it holds {kind})")
    size = os.fstat(binary.fileno()).st_size
    if size > MAX_SPREADSHEET_BYTES:
        raise UserError(
            f"{name}: {size / 2**20:,.0f} MB, more than the {MAX_SPREADSHEET_BYTES // 2**20} MB"
            f" read in a spreadsheet: {SPLIT_HINT}"
        )
    if head.startswith(ZIP_MAGIC):
        check_spreadsheet(path, binary)
        binary.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(binary)
        names = list(workbook.sheet_names)
    except Exception as error:  # calamine raises many kinds (zip, xml, ole, password...)
        raise UserError(
            f"{name}: not a readable {suffix} spreadsheet ({shown(str(error))})"
        ) from None
    if not names:
        raise UserError(f"{name}: the spreadsheet has no sheet")
    if sheet is None:
        chosen = names[0]
    else:
        matches = [n for n in names if n == sheet] or [
            n for n in names if n.casefold() == sheet.casefold()
        ]
        if not matches:
            listed = shown(", ".join(names))
            raise UserError(f"{name}: no sheet named {shown(sheet)!r} (sheets: {listed})")
        chosen = matches[0]
    try:
        opened = workbook.get_sheet_by_name(chosen)
    except Exception as error:  # same variety as above
        raise UserError(
            f"{name}: sheet {shown(chosen)!r} cannot be read ({shown(str(error))})"
        ) from None
    _check_extent(name, _Extent(opened.height, opened.width))
    return OpenSheet(chosen, opened)


def _cell_text(path: Path, row: int, value: Any) -> str:
    """A cell as the text a lead stores (spreadsheets give floats, dates, booleans)."""
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise UserError(
                f"{shown_path(path)}: row {row}: a cell longer than {MAX_CELL_CHARS:,} characters"
            )
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()
