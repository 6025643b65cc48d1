"""Outside text (lead files, names, notes, file names, errors quoting them) as screens show it.

As written (never read as markup) and with control characters as visible escapes
(`prospect_tui.core.text.visible`): build every such Content, Text or Input through these.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text
from textual.content import Content
from textual.widgets import Input

from prospect_tui.core.text import visible

# One character for one, so the cursor and the selection stay where they are in the value:
# C0 as their Control Pictures, DEL as ␡, C1 (no pictures exist) as the replacement sign.
_ONE_FOR_ONE = {code: chr(0x2400 + code) for code in range(0x20) if code != 0x09}
_ONE_FOR_ONE |= {0x7F: "\u2421"} | {code: "\ufffd" for code in range(0x80, 0xA0)}


def safe(text: str, lines: bool = False) -> Content:
    """Content showing `text` as written; newlines kept only when `lines` is true."""
    return Content(visible(text, lines))


def safe_text(text: str, style: StyleType = "", lines: bool = False) -> Text:
    """Rich Text showing `text` as written, for tables and hand-built cards."""
    return Text(visible(text, lines), style=style)


class SafeInput(Input):
    """The project's Input: its value may come from outside (a lead's field, a campaign's
    name, a pasted text), so its control characters are drawn visible while the value itself
    stays as it is (an unchanged field saves what it was given)."""

    @property
    def _value(self) -> Text:
        # Input's own drawing (Text(self.value)) sends ESC through and drops BEL, which
        # also moves the cursor off its character.
        if self.password:
            return super()._value
        text = Text(self.value.translate(_ONE_FOR_ONE), no_wrap=True, overflow="ignore", end="")
        return text if self.highlighter is None else self.highlighter(text)
