"""Spreadsheet lead files (xlsx, xlsm, xls, xlsb, ods), measured before they are read.

The reader allocates the whole area between the first and last cell at once, so a single
cell at XFD1048576, an ods row repeated a million times or a zip bomb is refused from the
file's own parts (sheet_measure.py) before the reader opens it.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from prospect_tui.core import UserError
from prospect_tui.core.importing.layout import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    looks_binary,
    shown,
    shown_path,
)
from prospect_tui.core.importing.sheet_measure import Extent, xls_extents, zip_extents

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The reader holds ~32 bytes a cell of the area it spans: 5 million cells is 160 MB, and
# their texts besides (1,000,000 short texts measured: 96 MB from an xlsx, 146 MB from an ods).
MAX_SHEET_CELLS = 5_000_000
# Unpacked size of all the parts of an xlsx or ods (an xlsx packs about 10:1; a bomb 1000:1).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_SPREADSHEET_BYTES = 256 * 1024 * 1024
SPLIT_HINT = "split it into smaller files, or save it as CSV (read as a stream, no size limit)"


def is_spreadsheet(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in SPREADSHEET_SUFFIXES or head.startswith((ZIP_MAGIC, OLE_MAGIC))


# Measuring


def _check_extent(name: str, extent: Extent) -> None:
    cells = extent.rows * extent.columns
    if cells > MAX_SHEET_CELLS or extent.columns > MAX_COLUMNS:
        raise UserError(
            f"{name}: a sheet spans {extent.rows:,} rows x {extent.columns:,} columns; at most "
            f"{MAX_SHEET_CELLS:,} cells and {MAX_COLUMNS:,} columns are read: {SPLIT_HINT}"
        )
    if extent.cell_chars > MAX_CELL_CHARS:
        raise UserError(f"{name}: a cell longer than {MAX_CELL_CHARS:,} characters")
    if extent.chars > MAX_UNPACKED_BYTES:
        raise UserError(
            f"{name}: its repeated cells expand to {extent.chars / 2**20:,.0f} MB of text, more "
            f"than the {MAX_UNPACKED_BYTES // 2**20} MB read: {SPLIT_HINT}"
        )


def check_spreadsheet(path: Path, binary: BinaryIO) -> None:
    """Refuse a spreadsheet whose unpacked parts or sheet areas exceed the limits, from every
    sheet the reader would open: it tries xls, then a zip (found from the file's end), so a
    file can be both and both are measured."""
    name = shown_path(path)
    suffix = f"{shown(path.suffix.lower())} " if path.suffix else ""
    unreadable = f"{name}: not a readable {suffix}spreadsheet"
    binary.seek(0)
    try:
        if binary.read(len(OLE_MAGIC)) == OLE_MAGIC:
            for extent in xls_extents(binary):
                _check_extent(name, extent)
        if zipfile.is_zipfile(binary):
            with zipfile.ZipFile(binary) as archive:
                unpacked = sum(part.file_size for part in archive.infolist())
                if unpacked > MAX_UNPACKED_BYTES:
                    raise UserError(
                        f"{name}: unpacks to {unpacked / 2**20:,.0f} MB, more than the "
                        f"{MAX_UNPACKED_BYTES // 2**20} MB read: {SPLIT_HINT}"
                    )
                for extent in zip_extents(archive):
                    _check_extent(name, extent)
    # A damaged archive fails in many ways: bad headers, bad deflate data, bad CRC.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, EOFError,
            ValueError, RuntimeError, struct.error) as error:  # fmt: skip
        raise UserError(f"{unreadable} ({shown(str(error))})") from None
    except OSError as error:
        raise UserError(f"{unreadable} ({error.strerror or error})") from None
    finally:
        binary.seek(0)


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
    check_spreadsheet(path, binary)
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
    _check_extent(name, Extent(opened.height, opened.width))
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
