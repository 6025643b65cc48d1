"""Text lead files as a person reads them: any usual encoding, separator and line ending.

Only regular files are opened; rows are read as a stream, each line and cell of bounded size.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from prospect_tui.core import UserError, files, printable

SEPARATORS = (";", ",", "\t", "|")
SEPARATOR_NAMES = {";": "semicolon", ",": "comma", "\t": "tab", "|": "pipe"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
SNIFF_BYTES = 64 * 1024
# csv's own field limit; Excel holds at most 32,767 characters in a cell.
MAX_CELL_CHARS = csv.field_size_limit()
# A line longer than this is no lead list (a file with no line breaks, a runaway quote).
MAX_LINE_CHARS = 1024 * 1024
MAX_COLUMNS = 1000
SHOWN_CHARS = 100
# Windows-1252 leaves these five bytes undefined: a file using them is Latin-1.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


def shown(text: str) -> str:
    """Outside text as an error message may quote it: one line, at most 100 characters."""
    line = " ".join(text.split()) if "\n" in text or "\r" in text else text
    line = "".join(c if c.isprintable() else "?" for c in line)
    return line if len(line) <= SHOWN_CHARS else line[: SHOWN_CHARS - 1] + "…"


def shown_path(path: Path | str) -> str:
    """A file name as it can be printed, even when it is not valid UTF-8."""
    return printable(os.fspath(path))


def _fallback(error: UnicodeError) -> tuple[str, int]:
    """Bytes that do not decode: read as Windows-1252 (Latin-1 for its holes), never dropped.

    A UTF-8 file edited once in an old editor, or cut inside a multi-byte character, stays
    readable: only the damaged characters look odd.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(
        chr(byte) if byte in _CP1252_HOLES else bytes([byte]).decode("cp1252") for byte in bad
    )
    return text, error.end


codecs.register_error("prospect-lead-file", _fallback)


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading, refused unless it is a regular file (FIFOs and devices never
    block or stream forever)."""
    return files.open_regular(path, "lead file")


def detect_encoding(sample: bytes) -> str:
    """The encoding a file's first bytes were written in (detected, never asked)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export, tab-separated
    try:
        # Not final: the sample may end inside a character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 is Latin-1 plus printable characters in 0x80-0x9F (€, œ, ’).
        return "latin-1" if _CP1252_HOLES.intersection(sample) else "cp1252"


def looks_binary(text: str) -> bool:
    """Mostly control characters: an image, an archive, a database; a stray NUL is not."""
    controls = sum(1 for c in text if c < " " and c not in "\t\r\n\f")
    return controls > len(text) / 100 + 8


def sniff_separator(sample: str) -> str:
    """The separator that splits most rows into the same, largest number of cells."""
    best, best_score = ";", 0.0
    for separator in SEPARATORS:
        counts = [
            len(row)
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=separator)
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


@dataclass(frozen=True)
class TextLayout:
    """How a text file is written: its encoding and separator."""

    encoding: str
    separator: str

    def describe(self) -> str:
        encoding = ENCODING_NAMES.get(self.encoding, self.encoding)
        return f"{encoding}, {SEPARATOR_NAMES.get(self.separator, repr(self.separator))} separator"


def detect_layout(path: Path) -> TextLayout:
    """Encoding and separator of a text file, from its first 64 KB."""
    with open_regular(path) as binary:
        raw = binary.read(SNIFF_BYTES)
    if not raw.strip():
        raise UserError(f"{shown_path(path)}: the file is empty")
    encoding = detect_encoding(raw)
    text = codecs.getincrementaldecoder(encoding)(errors="prospect-lead-file").decode(raw)
    if looks_binary(text):
        raise UserError(f"{shown_path(path)}: not a text or spreadsheet file (binary content)")
    text = _clean(text)
    if len(raw) == SNIFF_BYTES:
        ends = [text.rfind(end) for end in "\r\n"]
        if max(ends) > 0:
            text = text[: max(ends)]
    return TextLayout(encoding, sniff_separator(text))


def _clean(line: str) -> str:
    # NULs and byte order marks in the middle (files pasted together) are no one's data.
    if "\x00" in line or "\ufeff" in line:
        return line.replace("\x00", "").replace("\ufeff", "")
    return line


@dataclass
class TextRows:
    """The rows of a text file, read as a stream: `(line, cells)` with the line each starts on.

    `position` is how far the stream has read, in bytes, for a progress bar.
    """

    path: Path
    layout: TextLayout

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return self.rows()

    def __post_init__(self) -> None:
        self._binary: BinaryIO | None = None

    @property
    def position(self) -> int:
        return self._binary.tell() if self._binary is not None else 0

    def _lines(self, text: io.TextIOWrapper) -> Iterator[str]:
        number = 0
        for line in iter(partial(text.readline, MAX_LINE_CHARS), ""):
            number += 1
            if len(line) == MAX_LINE_CHARS and line[-1] not in "\r\n":
                raise UserError(
                    f"{shown_path(self.path)}: line {number}: longer than "
                    f"{MAX_LINE_CHARS:,} characters (a file without line breaks?)"
                )
            yield _clean(line)

    def rows(self) -> Generator[tuple[int, list[str]], None, None]:
        name = shown_path(self.path)
        with open_regular(self.path) as binary:
            self._binary = binary
            # newline="": CR, LF and CRLF all end a line, and a CR inside quotes is kept.
            text = io.TextIOWrapper(
                binary, encoding=self.layout.encoding, errors="prospect-lead-file", newline=""
            )
            reader = csv.reader(self._lines(text), delimiter=self.layout.separator)
            previous = 0
            try:
                for row in reader:
                    if len(row) > MAX_COLUMNS:
                        raise UserError(
                            f"{name}: line {previous + 1}: {len(row):,} cells, more than "
                            f"{MAX_COLUMNS:,} columns; keep only the columns you need"
                        )
                    yield previous + 1, row
                    previous = reader.line_num
            except csv.Error as error:
                problem = str(error)
                if "field larger than field limit" in problem:
                    problem = (
                        f"a cell longer than {MAX_CELL_CHARS:,} characters (a quote never closed?)"
                    )
                raise UserError(f"{name}: line {previous + 1}: not valid CSV ({problem})") from None
            finally:
                self._binary = None


def text_rows(path: Path) -> TextRows:
    """The rows of any text file a person calls a CSV, streamed (also for opt-out lists)."""
    return TextRows(path, detect_layout(path))
