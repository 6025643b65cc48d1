"""The lead card: everything a caller needs to read before and during the call.

Built as Rich Text (not markup) so a company called "[Acme]" shows as typed, and every value
from the lead file through `visible` so an ESC in it is shown, never sent to the terminal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual, visualize
from textual.widget import Widget

from prospect_tui.core.clock import parse_iso
from prospect_tui.core.phones import national
from prospect_tui.core.text import visible
from prospect_tui.widgets.safe import safe_text


def _local_time(zone: str, now: datetime, home: str) -> str:
    """The callee's local time when his zone differs from ours, e.g. '(06:12 at the callee)'."""
    if not zone or zone == home:
        return ""
    try:
        return f"  ({now.astimezone(ZoneInfo(zone)):%H:%M} at the callee)"
    except ZoneInfoNotFoundError:
        return ""


def _line(text: Text, label: str, value: str) -> None:
    if value:
        text.append(f"{label}  ", style="dim")
        text.append(f"{visible(value)}\n")


def lead_text(lead: dict, history: list[dict], now: datetime, home: str) -> Text:
    """The card's text for `lead`, its latest calls and the time `now` (zone `home` is ours)."""
    text = Text()
    text.append(f"{visible(lead['company']) or '(no company name)'}\n", style="bold")
    if lead["direct_line_e164"]:
        text.append(f"Direct line  {national(lead['direct_line_e164'])}", style="bold green")
        text.append(f"   switchboard {visible(lead['phone_national'])}\n")
    else:
        text.append(f"Phone  {visible(lead['phone_national'])}", style="bold green")
        kind = f"  {lead['phone_type']}" if lead["phone_type"] else ""
        text.append(f"{kind}{_local_time(lead['timezone'], now, home)}\n")
    _line(text, "City", " ".join(p for p in (lead["postcode"], lead["city"]) if p))
    _line(text, "Sector", " · ".join(p for p in (lead["sector"], lead["employees"]) if p))
    _line(text, "Contact", ", ".join(p for p in (lead["contact_name"], lead["contact_title"]) if p))
    _line(text, "IT manager", lead["manager_name"])
    _line(text, "Best time", lead["best_time"])
    _line(text, "Notes", lead["notes"])
    for name, value in json.loads(lead["extra"] or "{}").items():
        _line(text, visible(name), str(value))
    _line(text, "Source", lead["source"])
    text.append(f"Attempts  {lead['attempts']}\n")
    for call in history:
        when = parse_iso(call["started_at"]).astimezone(ZoneInfo(home))
        text.append(f"  {when:%d/%m %H:%M}  {visible(call['caller']):<10} {call['outcome']}\n")
    return text


@dataclass(frozen=True)
class Rendered:
    """A card's text drawn ahead of time for one card size (see LeadCard.render_ahead)."""

    text: Text
    lines: list[Text]
    widest: int  # cells in the longest line
    size: Size
    style: VisualStyle  # the card's colours then (a theme may change before it is shown)
    strips: list[Strip]


class LeadCard(Widget):
    """Shows one lead; `show_message` shows why there is none.

    Between two leads only the lines that differ are redrawn: the card is at least as tall as
    its scroll view (session.tcss), so a lead whose text fits changes no region on screen and
    needs no relayout, and lines that stay the same (labels, the blank end of the card) are
    neither rendered nor sent to the terminal again. The next lead's card can also be drawn
    ahead of time (`render_ahead`), while the caller is still talking.
    """

    DEFAULT_CSS = "LeadCard { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines: list[Text] = []
        self._drawn: Rendered | None = None  # the text on show, drawn at the card's size

    def render(self) -> Text:
        return self._text

    def show(self, lead: dict, history: list[dict], now: datetime, home: str) -> None:
        self.put(lead_text(lead, history, now, home))

    def show_message(self, message: str) -> None:
        self.put(safe_text(message, style="bold"))

    def render_ahead(self, text: Text) -> Rendered:
        """`text` drawn at the card's current size, for a later `put`."""
        size, style = self.size, self.visual_style
        visual = visualize(self, text, markup=False)
        strips = Visual.to_strips(self, visual, size.width, size.height, style)
        lines = text.split("\n")
        widest = max((cell_len(line.plain) for line in lines), default=0)
        return Rendered(text, lines, widest, size, style, strips)

    def put(self, text: Text, drawn: Rendered | None = None) -> None:
        """Show `text` (drawn ahead as `drawn` when given), redrawing only what changed."""
        drawn = drawn if drawn is not None and drawn.text is text else None
        if drawn is None:
            lines = text.split("\n")
            widest = max((cell_len(line.plain) for line in lines), default=0)
        else:
            lines, widest = drawn.lines, drawn.widest
        view = self.parent.scrollable_content_region if self.parent else None
        # The card keeps its size when it already fills the view and the new text fits.
        same_size = (
            view is not None
            and self.size.height == view.height
            and len(lines) <= view.height
            and widest <= self.content_region.width
        )
        old_lines, self._text, self._lines = self._lines, text, lines
        self._drawn = drawn
        if not same_size:
            self.refresh(layout=True)
            return
        width = self.size.width
        changed = [
            Region(0, y, width, 1)
            for y in range(max(len(lines), len(old_lines)))
            if y >= len(lines) or y >= len(old_lines) or lines[y] != old_lines[y]
        ]
        if changed:
            self.refresh(*changed)

    def render_line(self, y: int) -> Strip:
        # A selection is drawn over the text: that is Textual's own rendering.
        if self.text_selection is not None:
            self._drawn = None
            return super().render_line(y)
        drawn = self._drawn
        if (
            drawn is None
            or drawn.text is not self._text
            or drawn.size != self.size
            or drawn.style != self.visual_style
        ):
            drawn = self._drawn = self.render_ahead(self._text)
        if y < len(drawn.strips):
            return drawn.strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)
