"""Spreadsheet cells that must never run as formulas (OWASP CSV injection), both ways.

Exports prefix risky cells with `'`; imports take the prefix off, so a round trip is lossless.
"""

from __future__ import annotations

import re

# A cell starting with one of = + - @ tab CR LF may be run as a formula. Values that already
# start with apostrophes before one of them get one more, so `restore_cell` is the exact
# inverse of `neutralize_cell`.
RISKY = re.compile(r"^'*[=+\-@\t\r\n]")


def neutralize_cell(value: str) -> str:
    """`=1+1` -> `'=1+1`, `+33142685300` -> `'+33142685300`: shown as text, never evaluated."""
    return "'" + value if RISKY.match(value) else value


def restore_cell(value: str) -> str:
    """The inverse of `neutralize_cell`, for the importer reading an exported file back."""
    return value[1:] if value.startswith("'") and RISKY.match(value[1:]) else value
