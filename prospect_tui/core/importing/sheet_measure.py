"""The area of every sheet a spreadsheet reader would open, measured from the file's own parts.

Follows the paths python-calamine follows (workbook relationships, content.xml, the OLE2
Workbook stream) and reads them as it would, but streamed and bounded, so nothing is allocated.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, BinaryIO
from xml.parsers import expat

# The reader caps an ods row's repeats at the sheet's last row, and a row's cells at the last
# column (the caps a LibreOffice file's trailing "1,048,000 empty rows" relies on).
ODS_MAX_ROWS = 1_048_576
ODS_MAX_COLUMNS = 16_384
_SCAN_CHUNK = 1024 * 1024


class Unreadable(ValueError):
    """A part the reader would fail on, loop on or allocate without bound: refused first."""


@dataclass
class Extent:
    """The area between A1 and a sheet's last cell, and the text its cells expand to."""

    rows: int = 0
    columns: int = 0
    cell_chars: int = 0  # the longest cell the reader builds (ods: spaces written as counts)
    chars: int = 0  # all the text it builds (ods: each repeat is a copy)


# Zipped workbooks (xlsx, xlsm, xlsb, ods)


class _Package:
    """The entries of a zip found as the reader finds them: without case (and `\\` read as `/`),
    else by the exact name; a name held twice gives both, as either may be the one read."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.folded: dict[str, list[zipfile.ZipInfo]] = {}
        self.exact: dict[str, list[zipfile.ZipInfo]] = {}
        for info in archive.infolist():
            self.folded.setdefault(info.filename.replace("\\", "/").lower(), []).append(info)
            self.exact.setdefault(info.filename, []).append(info)

    def parts(self, paths: Iterable[str], exact: bool = False) -> list[zipfile.ZipInfo]:
        """The entries for `paths`, each once however many paths lead to it."""
        found = {}
        for path in paths:
            infos = self.exact.get(path, []) if exact else self.folded.get(path.lower())
            for info in infos or self.exact.get(path, []):
                found[info.header_offset] = info
        return [found[offset] for offset in sorted(found)]


def _no_entities(*args: object) -> None:
    raise Unreadable("an XML entity declaration")  # a billion laughs, or a file fetched


def _parse(part: IO[bytes], start: Callable[..., None], end: Callable[..., None] | None = None,
           text: Callable[[str], None] | None = None) -> None:  # fmt: skip
    """Stream an XML part through expat, names as written (the reader matches them so)."""
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.EntityDeclHandler = _no_entities
    try:
        while chunk := part.read(_SCAN_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise Unreadable(f"XML: {error}") from None


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _relationships(package: _Package, paths: Iterable[str], exact: bool) -> list[dict[str, str]]:
    """The Relationship elements of .rels parts (all of them: the reader may keep any)."""
    found: list[dict[str, str]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if (name if exact else _local(name)) == "Relationship":
            found.append(attributes)

    for info in package.parts(paths, exact):
        with package.archive.open(info) as stream:
            _parse(stream, start)
    return found


_SHEET_TYPES = frozenset({"worksheet", "chartsheet", "dialogsheet"})


def _xlsx_sheets(package: _Package) -> list[zipfile.ZipInfo]:
    """Where the workbook's sheets are stored, resolved from its relationships as the reader
    does: the office document's folder, then each sheet's target in that folder or absolute."""
    folders: dict[str, str] = {}  # one per folder however its case is written: found alike
    for document in _relationships(package, ["_rels/.rels"], exact=False):
        if document.get("Type", "").endswith("/relationships/officeDocument"):
            target = document.get("Target", "")
            folder = target[: target.rfind("/") + 1].removeprefix("/")
            folders.setdefault(folder.lower(), folder)
    paths = []
    for folder in folders.values():
        for sheet in _relationships(package, [f"{folder}_rels/workbook.xml.rels"], exact=False):
            if sheet.get("Type", "").rpartition("/")[2] in _SHEET_TYPES:
                target = sheet.get("Target", "")
                paths.append(target[1:] if target.startswith("/") else folder + target)
    return package.parts(paths)


def _xlsb_sheets(package: _Package) -> list[zipfile.ZipInfo]:
    """An xlsb's sheets: `xl/` + each relationship's target, in a folder the reader accepts."""
    paths = []
    for sheet in _relationships(package, ["xl/_rels/workbook.bin.rels"], exact=True):
        path = "xl/" + sheet.get("Target", "")
        if path.split("/")[1] in {"worksheets", "chartsheets", "dialogsheets"}:
            paths.append(path)
    return package.parts(paths)


@lru_cache(maxsize=4096)
def _column(letters: str) -> int:
    """`XFD` -> 16384; 0 when these are not only ASCII letters."""
    if not (letters.isascii() and letters.isalpha()):
        return 0
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return column


def _reference(text: str, column_needed: bool) -> tuple[int, int]:
    """(row, column) of `XFD1048576`, both from 1 (column 0: none), as the reader reads it:
    letters of either case, then digits; anything else is an error there too."""
    letters = text.rstrip("0123456789")
    digits = text[len(letters) :]
    column = _column(letters)
    if not digits or not int(digits) or not (column or not column_needed and not letters):
        raise Unreadable(f"a cell reference {text[:20]!r}")
    return int(digits), column


def xlsx_extent(part: IO[bytes]) -> Extent:
    """A worksheet's area: the larger of its declared dimension and its cells' references.

    Positions follow the reader: a row's `r` sets the row, the end of a row moves to the next;
    a cell's `r` gives its place, a cell without one is right of the previous. Any prefix."""
    declared = Extent()
    rows = columns = 0  # the extent of the cells, from 1
    row = column = 0  # the reader's position: row from 0, column as counted so far
    row_digits = ""  # the open row's `r`: a cell's `r` usually ends with it (a quick path)
    depth = 0  # inside sheetData: rows and cells elsewhere are not read

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal rows, columns, row, column, row_digits, depth
        local = _local(name) if ":" in name else name  # most files use no prefix: faster
        if local == "c" and depth:
            reference = attributes.get("r")
            if reference is None:
                column += 1
                cell_row = row + 1
            elif (
                row_digits
                and reference.endswith(row_digits)
                and (letters_column := _column(reference[: -len(row_digits)]))
            ):
                cell_row, column = row + 1, letters_column
            else:
                cell_row, column = _reference(reference, column_needed=True)
            if cell_row > rows:
                rows = cell_row
            if column > columns:
                columns = column
        elif local == "row" and depth and "r" in attributes:
            row_digits = attributes["r"]
            row = _reference(row_digits, column_needed=False)[0] - 1
        elif local == "sheetData":
            depth += 1
        elif local == "dimension" and "ref" in attributes:
            for corner in attributes["ref"].split(":"):
                corner_row, corner_column = _reference(corner, column_needed=True)
                declared.rows = max(declared.rows, corner_row)
                declared.columns = max(declared.columns, corner_column)

    def end(name: str) -> None:
        nonlocal row, column, row_digits, depth
        local = _local(name) if ":" in name else name
        if local == "row" and depth:
            row, column, row_digits = row + 1, 0, ""
        elif local == "sheetData":
            depth -= 1

    _parse(part, start, end)
    return Extent(max(rows, declared.rows), max(columns, declared.columns))


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


def xlsb_extent(part: IO[bytes]) -> Extent:
    """The area between A1 and the last cell of an xlsb worksheet, from its records."""
    extent = Extent()
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


_ODS_VALUES = frozenset({"office:value", "office:string-value", "office:date-value",
                         "office:time-value", "office:boolean-value", "office:value-type",
                         "table:formula"})  # fmt: skip
_ODS_CELLS = frozenset({"table:table-cell", "table:covered-table-cell"})


def _repeat(text: str | None) -> int:
    """A repeat count as the reader parses it (unsigned digits; anything else fails there)."""
    return int(text) if text and re.fullmatch(r"\+?[0-9]+", text) else 1


class _OdsTables:
    """What the reader builds from content.xml: each named table's rows, as it expands them.

    A row's cells are stored up to its last cell holding something, repeats included (an
    empty cell repeated 1,000 times at the end costs nothing); the sheet spans its rows up to
    the last one holding something, each repeated as written. Rows of empty cells repeated a
    million times at the end, as LibreOffice writes, are not built, so they do not count."""

    def __init__(self) -> None:
        self.extents: list[Extent] = []
        self.table: Extent | None = None
        self.rows = 0  # rows so far in the table, with their repeats (capped as the reader does)
        self.row_repeat = 1
        self.row_width = 0  # columns so far in the row
        self.row_filled = 0  # columns up to the row's last non-empty cell
        self.row_chars = 0
        self.cell: tuple[int, int] | None = None  # (repeat, depth) of the open cell
        self.cell_filled = False
        self.cell_chars = 0
        self.depth = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        if self.cell is not None:
            self.cell_filled = True  # a paragraph, a space run, an annotation
            if name == "text:s":
                self.cell_chars += _repeat(attributes.get("text:c"))
        elif name == "table:table" and self.table is None and "table:name" in attributes:
            self.table, self.rows = Extent(), 0
        elif self.table is None:
            return
        elif name == "table:table-row":
            repeat = min(_repeat(attributes.get("table:number-rows-repeated")),
                         ODS_MAX_ROWS - self.rows)  # fmt: skip
            # The reader stores a row's cells once even when it repeats it 0 times (or past
            # the cap), so every row counts for at least one.
            self.row_repeat = max(repeat, 1)
            self.rows += self.row_repeat
            self.row_width, self.row_filled, self.row_chars = 0, 0, 0
        elif name in _ODS_CELLS:
            repeat = _repeat(attributes.get("table:number-columns-repeated"))
            self.cell = (repeat, self.depth)
            self.cell_filled = not _ODS_VALUES.isdisjoint(attributes)
            self.cell_chars = sum(len(v) for k, v in attributes.items() if k in _ODS_VALUES)

    def text(self, data: str) -> None:
        if self.cell is not None:
            self.cell_chars += len(data)

    def end(self, name: str) -> None:
        if self.cell is not None and self.depth == self.cell[1]:
            repeat = min(self.cell[0], ODS_MAX_COLUMNS - self.row_width)
            self.row_width += repeat
            if self.cell_filled:
                self.row_filled = self.row_width
                self.row_chars += self.cell_chars * repeat
                if self.table is not None:
                    self.table.cell_chars = max(self.table.cell_chars, self.cell_chars)
            self.cell = None
        elif self.table is not None and name == "table:table-row" and self.row_filled:
            self.table.rows = self.rows
            self.table.columns = max(self.table.columns, self.row_filled)
            self.table.chars += self.row_chars * self.row_repeat
        elif self.table is not None and name == "table:table":
            self.extents.append(self.table)
            self.table = None
        self.depth -= 1


def ods_extents(part: IO[bytes]) -> list[Extent]:
    tables = _OdsTables()
    _parse(part, tables.start, tables.end, tables.text)
    if tables.table is not None:
        tables.extents.append(tables.table)
    return tables.extents


def zip_extents(archive: zipfile.ZipFile) -> Iterator[Extent]:
    """Every sheet the reader may open in a zipped workbook, whichever format it takes it for
    (it tries xlsx, then xlsb, then ods, on the same archive)."""
    package = _Package(archive)
    for info in _xlsx_sheets(package):
        with archive.open(info) as stream:
            yield xlsx_extent(stream)
    for info in _xlsb_sheets(package):
        with archive.open(info) as stream:
            yield xlsb_extent(stream)
    for info in package.parts(["content.xml"], exact=True):
        with archive.open(info) as stream:
            yield from ods_extents(stream)


# xls: BIFF records in the Workbook stream of an OLE2 compound file

_END_OF_CHAIN = 0xFFFFFFFE
_RESERVED = 0xFFFFFFFA
_WORKBOOK_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")  # the reader's order
_MINI_STREAM_BELOW = 4096  # the reader's fixed cutoff (it ignores the header's)


class _Compound:
    """An OLE2 compound file read as the reader reads it, every chain checked to end: the
    reader follows them without a bound, so a loop would grow its buffers until memory ends."""

    def __init__(self, binary: BinaryIO) -> None:
        binary.seek(0)
        self.data = binary.read()
        header = self.data[:512]
        if len(header) < 512 or struct.unpack_from("<H", header, 30)[0] not in (9, 12):
            raise Unreadable("not an OLE2 compound file")
        self.size = 1 << struct.unpack_from("<H", header, 30)[0]
        self.sectors = max(len(self.data) // self.size - 1, 0)
        difat = list(struct.unpack_from("<109I", header, 76))
        sector = struct.unpack_from("<I", header, 68)[0]
        seen: set[int] = set()
        while sector < _RESERVED:
            if sector in seen or len(seen) > self.sectors:
                raise Unreadable("a DIFAT chain loops")
            seen.add(sector)
            difat.extend(self._u32s(self._sector(sector)))
            sector = difat.pop()
        self.fat = [
            entry for sector in difat if sector < 0xFFFFFFFC
            for entry in self._u32s(self._sector(sector))
        ]  # fmt: skip
        directory = self._chain(struct.unpack_from("<I", header, 48)[0], self.fat, self.size)
        self.entries = [directory[at : at + 128] for at in range(0, len(directory), 128)]
        if not self.entries:
            raise Unreadable("no directory")
        self.mini, self.mini_fat = b"", []
        if struct.unpack_from("<I", header, 64)[0]:
            root = self.entries[0]
            self.mini = self._chain(
                struct.unpack_from("<I", root, 116)[0], self.fat, self.size, self._length(root)
            )
            self.mini_fat = list(self._u32s(
                self._chain(struct.unpack_from("<I", header, 60)[0], self.fat, self.size)
            ))  # fmt: skip

    @staticmethod
    def _u32s(data: bytes) -> Iterator[int]:
        return (value for (value,) in struct.iter_unpack("<I", data[: len(data) // 4 * 4]))

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self.size
        return self.data[start : start + self.size]

    def _length(self, entry: bytes) -> int:
        return int(struct.unpack_from("<I" if self.size == 512 else "<Q", entry.ljust(128, b"\0"),
                                      120)[0])  # fmt: skip

    def _chain(self, sector: int, fat: list[int], size: int, length: int | None = None) -> bytes:
        """The bytes of a chain, up to `length`; a loop or a sector beyond the table refused."""
        pieces, seen, total = [], set(), 0
        while sector != _END_OF_CHAIN and (length is None or total < length):
            if sector in seen or sector >= len(fat):
                raise Unreadable("a sector chain loops or leaves the file")
            seen.add(sector)
            piece = self._sector(sector) if size == self.size else self._mini_sector(sector)
            pieces.append(piece)
            total += len(piece)
            sector = fat[sector]
        return b"".join(pieces)[:length]

    def _mini_sector(self, number: int) -> bytes:
        return self.mini[number * 64 : number * 64 + 64]

    def stream(self, wanted: str) -> bytes | None:
        for entry in self.entries:
            name = entry[:64].decode("utf-16-le", "replace").split("\0")[0]
            if name == wanted:
                start, length = struct.unpack_from("<I", entry, 116)[0], self._length(entry)
                if length < _MINI_STREAM_BELOW:
                    return self._chain(start, self.mini_fat, 64, length)
                return self._chain(start, self.fat, self.size, length)
        return None


_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _MULRK = 0x0809, 0x000A, 0x0085, 0x0200, 0x00BD
# Records the reader turns into cells, each starting with its row and column (u16 each).
_XLS_CELLS = frozenset({0x0006, 0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD})


def _biff_records(stream: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        yield kind, stream[at + 4 : at + 4 + size]
        at += 4 + size


def _dimension_cells(data: bytes) -> Extent:
    """The area the reader reserves from a DIMENSIONS record, with its arithmetic (32 bits)."""
    if len(data) == 14:
        first_row, last_row, first_column, last_column = struct.unpack_from("<IIHH", data)
    elif len(data) == 10:
        first_row, last_row, first_column, last_column = struct.unpack_from("<HHHH", data)
    else:
        raise Unreadable("a DIMENSIONS record of the wrong size")
    if first_column > 0xFF or last_column < first_column:
        first_column = 0
    if last_row < 1 or last_column < 1:
        return Extent(1, 1)
    return Extent((last_row - first_row) % 2**32, last_column - first_column)


def xls_extents(binary: BinaryIO) -> Iterator[Extent]:
    """Each sheet of an xls: the area its DIMENSIONS record reserves, and the area between A1
    and its last cell record, read before the reader loads the workbook (it loads every sheet)."""
    compound = _Compound(binary)
    stream = next(filter(None, map(compound.stream, _WORKBOOK_NAMES)), None)
    if stream is None:  # not a workbook (an encrypted xlsx, a .doc): the reader says so
        return
    offsets = []
    for kind, data in _biff_records(stream, 0):
        if kind == _BOUNDSHEET:
            if len(data) < 6:
                raise Unreadable("a BOUNDSHEET record of the wrong size")
            offsets.append(struct.unpack_from("<I", data)[0])
        elif kind == _EOF:
            break
    for offset in offsets:
        if offset > len(stream):
            raise Unreadable("a sheet beyond the Workbook stream")
        cells, depth = Extent(), 0
        for kind, data in _biff_records(stream, offset):
            if kind == _BOF:
                depth += 1
            elif kind == _EOF:
                depth -= 1
                if depth <= 0:
                    break
            elif kind == _DIMENSIONS:
                yield _dimension_cells(data)
            elif (kind in _XLS_CELLS or kind == _MULRK) and len(data) >= 4:
                row, column = struct.unpack_from("<HH", data)
                if kind == _MULRK and len(data) >= 6:
                    last = struct.unpack_from("<H", data, len(data) - 2)[0]
                    column = max(column, last, column + (len(data) - 6) // 6 - 1)
                cells.rows, cells.columns = max(cells.rows, row + 1), max(cells.columns, column + 1)
        yield cells
