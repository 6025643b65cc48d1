"""Outside text (lead files, names, notes, file names, errors quoting them) as screens show it.

As written (never read as markup) and with control characters as visible escapes
(`prospect_tui.core.text.visible`): build every such Content or Text through these.
"""

from __future__ import annotations

from rich.style import StyleType
from rich.text import Text
from textual.content import Content

from prospect_tui.core.text import visible


def safe(text: str, lines: bool = False) -> Content:
    """Content showing `text` as written; newlines kept only when `lines` is true."""
    return Content(visible(text, lines))


def safe_text(text: str, style: StyleType = "", lines: bool = False) -> Text:
    """Rich Text showing `text` as written, for tables and hand-built cards."""
    return Text(visible(text, lines), style=style)
