"""The one CSV writer: every CSV the project writes (opt-ins, calls, stats, rejects) goes here.

French Excel's dialect (UTF-8 BOM, `;`, CRLF, every field quoted) or plain RFC 4180 (`,`),
with formula cells neutralised in both, to a private file or to standard output.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO, TypeVar

from prospect_tui.core import UserError
from prospect_tui.core.cells import neutralize_cell
from prospect_tui.core.files import write_private
from prospect_tui.core.text import visible

T = TypeVar("T")

# Plain CSV quotes only what needs it: a separator, a quote, a line break, or a cell that
# was neutralised (so the `'` we added is never mistaken for data by a reader).
_NEEDS_QUOTES = re.compile(r"[,;\t\r\n\"]")


def _needs_quotes(text: str) -> bool:
    """Plain CSV: a separator or quote inside, a neutralised start, or spaces at an edge."""
    if _NEEDS_QUOTES.search(text):
        return True
    return text[:1] in ("'", " ") or text[-1:] == " "


class CsvDialect:
    """How cells are separated, quoted and encoded."""

    def __init__(self, delimiter: str, quote_all: bool, encoding: str) -> None:
        self.delimiter = delimiter
        self.quote_all = quote_all
        self.encoding = encoding

    def line(self, cells: Iterable[object]) -> str:
        return self.delimiter.join(self._field(cell) for cell in cells) + "\r\n"

    def _field(self, cell: object) -> str:
        text = neutralize_cell("" if cell is None else str(cell))
        if self.quote_all or _needs_quotes(text):
            return '"' + text.replace('"', '""') + '"'
        return text


EXCEL = CsvDialect(";", quote_all=True, encoding="utf-8-sig")
PLAIN = CsvDialect(",", quote_all=False, encoding="utf-8")


def dialect(excel: bool) -> CsvDialect:
    return EXCEL if excel else PLAIN


def write_rows(
    stream: TextIO, headers: Iterable[str], rows: Iterable[Iterable[object]], style: CsvDialect
) -> int:
    """Headers then rows to an open text stream (opened with newline=""); the row count."""
    stream.write(style.line(headers))
    count = 0
    for row in rows:
        stream.write(style.line(row))
        count += 1
    return count


def write_csv(
    target: Path | TextIO | None,
    headers: Iterable[str],
    rows: Iterable[Iterable[object]],
    *,
    excel: bool = True,
) -> int:
    """Write a whole CSV to a private file (0600, all or nothing), a stream, or stdout (None).

    A file or stdout gets the dialect's encoding (Excel: UTF-8 with BOM); an open stream
    (opened with newline="") keeps its own. Returns the rows written; a file or device that
    cannot be written is one UserError.
    """
    style = dialect(excel)
    if target is None:
        return to_stdout(lambda out: write_rows(out, headers, rows, style), style.encoding)
    if isinstance(target, Path | str):

        def write(temp: Path) -> int:
            with open(temp, "w", encoding=style.encoding, newline="") as out:
                return write_rows(out, headers, rows, style)

        return write_private(Path(target), write)
    return write_rows(target, headers, rows, style)


def csv_text(headers: Iterable[str], rows: Iterable[Iterable[object]], *, excel: bool) -> str:
    """The CSV as a string (no BOM: that belongs to a file's or stream's encoding)."""
    out = io.StringIO(newline="")
    write_rows(out, headers, rows, dialect(excel))
    return out.getvalue()


def to_stdout(write: Callable[[TextIO], T], encoding: str = "utf-8") -> T:
    """Run `write` on standard output in `encoding`; a full or broken device is one line.

    A closed pipe (`| head`) is left to the caller as BrokenPipeError: it is not an error.
    """
    try:
        sys.stdout.flush()
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="")
        try:
            if sys.stdout.isatty():
                # A terminal would run the ESC sequences a field may hold: it gets them
                # visible (a file or a pipe gets the data as it was).
                held = io.StringIO(newline="")
                result = write(held)
                stream.write(visible(held.getvalue(), lines=True))
                return result
            return write(stream)
        finally:
            try:
                stream.flush()
            finally:
                stream.detach()
    except BrokenPipeError:
        raise
    except OSError as error:
        silence_stdout()
        raise UserError(f"standard output: cannot write ({error.strerror or error})") from None


def flush_stdout() -> None:
    """Flush what a command printed; a full or broken device is one line, not a traceback
    (nor an "Exception ignored" at exit)."""
    to_stdout(lambda out: None)


def silence_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered can't fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
