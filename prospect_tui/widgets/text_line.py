"""One line of plain text drawn straight to the screen, for figures redrawn on every call.

A Static parses and lays out its content on every update; this widget writes its one line
as a single styled segment, a few microseconds instead of a third of a millisecond.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from prospect_tui.core.text import visible
from prospect_tui.widgets.safe import safe_text


class TextLine(Widget):
    DEFAULT_CSS = "TextLine { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = ""

    def set(self, text: str) -> None:
        """Show `text` (taken as typed: no markup, controls visible); redrawn only when it
        changed."""
        text = visible(text)
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        return safe_text(self._text)

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        width = self.size.width
        if y or not self._text:
            return Strip.blank(width, style)
        return Strip([Segment(self._text, style)]).adjust_cell_length(width, style)
