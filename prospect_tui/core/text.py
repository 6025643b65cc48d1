"""Outside text made safe to show on a terminal: every control character becomes visible.

A lead file, a login name or a file name may hold ESC sequences (a window title, a clipboard
write, leaving the alternate screen): a terminal would run them. Files keep the data as it was.
"""

from __future__ import annotations

import re

from prospect_tui.core import printable

# C0 controls as their Control Pictures (ESC is ␛, NUL ␀), DEL as ␡: one cell each, so
# columns stay aligned; C1 controls as the escape Python and JSON write (\u009b).
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)}
_PICTURES |= {0x09: " ", 0x7F: "\u2421"}
_PICTURES |= {code: f"\\u{code:04x}" for code in range(0x80, 0xA0)}
_LINES = _PICTURES | {0x0A: "\n"}
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def visible(text: str, lines: bool = False) -> str:
    """`text` as a terminal may show it: controls as visible escapes (`␛]0;…␇`), a tab as a
    space, bytes of a non-UTF-8 name as `\\xNN`; newlines kept only when `lines` is true
    (a CRLF then counts as one newline)."""
    if not _UNSAFE.search(text):
        return text
    if lines:
        text = text.replace("\r\n", "\n")
    return printable(text).translate(_LINES if lines else _PICTURES)
