"""Spreadsheet cells that must never run as formulas (OWASP CSV injection), both ways.

Exports prefix risky cells with `'`; imports take the prefix off, so a round trip is lossless.
"""

from __future__ import annotations

import re

# A cell starting with one of = + - @ tab CR LF may be run as a formula. Values that already
# start with apostrophes before one of them get one more, so `restore_cell` is the exact
# inverse of `neutralize_cell`.
RISKY = re.compile(r"^'*[=+\-@\t\r\n]")
# The same after any separator a reader may split on (`,` `;` tab, whatever the file's own)
# or a line break: `Acme;=1+1` read with the wrong separator, or split naively, is two cells.
_INNER_RISKY = re.compile(r"(?<=[,;\t\r\n])(?='*[=+\-@\t\r\n])")
_ANY_INNER_RISK = re.compile(r"[,;\t\r\n]'*[=+\-@\t\r\n]")  # a quick test before the edit
_INNER_MARK = re.compile(r"(?<=[,;\t\r\n])'(?='*[=+\-@\t\r\n])")


def neutralize_cell(value: str) -> str:
    """`=1+1` -> `'=1+1`, `+33142685300` -> `'+33142685300`, `Acme;=1+1` -> `Acme;'=1+1`:
    shown as text, never evaluated, however the line is split."""
    if RISKY.match(value):
        value = "'" + value
    return _INNER_RISKY.sub("'", value) if _ANY_INNER_RISK.search(value) else value


def restore_cell(value: str) -> str:
    """The inverse of `neutralize_cell`, for the importer reading an exported file back."""
    if _ANY_INNER_RISK.search(value):
        value = _INNER_MARK.sub("", value)
    return value[1:] if value.startswith("'") and RISKY.match(value[1:]) else value
