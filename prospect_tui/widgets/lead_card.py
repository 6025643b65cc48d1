"""The lead card: everything a caller needs to read before and during the call.

Built as Rich Text (not markup) so a company called "[Acme]" shows as typed.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from prospect_tui.core.clock import parse_iso
from prospect_tui.core.phones import national


def _local_time(zone: str, now: datetime, home: str) -> str:
    """The callee's local time when his zone differs from ours, e.g. '(06:12 at the callee)'."""
    if not zone or zone == home:
        return ""
    try:
        return f"  ({now.astimezone(ZoneInfo(zone)):%H:%M} at the callee)"
    except ZoneInfoNotFoundError:
        return ""


class LeadCard(Widget):
    """Shows one lead; `show_message` shows why there is none.

    Between two leads, only the lines that differ are redrawn: the card is at least as tall as
    its scroll view (session.tcss), so a lead whose text fits changes no region on screen and
    needs no relayout, and lines that stay the same (labels, the blank end of the card) are
    neither rendered nor sent to the terminal again. Relayout and full redraws were most of
    the time from an outcome key to the next lead.
    """

    DEFAULT_CSS = "LeadCard { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines: list[Text] = []

    def render(self) -> Text:
        return self._text

    def show(self, lead: dict, history: list[dict], now: datetime, home: str) -> None:
        text = Text()
        text.append(f"{lead['company'] or '(no company name)'}\n", style="bold")
        if lead["direct_line_e164"]:
            text.append(f"Direct line  {national(lead['direct_line_e164'])}", style="bold green")
            text.append(f"   switchboard {lead['phone_national']}\n")
        else:
            text.append(f"Phone  {lead['phone_national']}", style="bold green")
            kind = f"  {lead['phone_type']}" if lead["phone_type"] else ""
            text.append(f"{kind}{_local_time(lead['timezone'], now, home)}\n")
        place = " ".join(p for p in (lead["postcode"], lead["city"]) if p)
        self._line(text, "City", place)
        self._line(text, "Sector", " · ".join(p for p in (lead["sector"], lead["employees"]) if p))
        contact = ", ".join(p for p in (lead["contact_name"], lead["contact_title"]) if p)
        self._line(text, "Contact", contact)
        self._line(text, "IT manager", lead["manager_name"])
        self._line(text, "Best time", lead["best_time"])
        self._line(text, "Notes", lead["notes"])
        for name, value in json.loads(lead["extra"] or "{}").items():
            self._line(text, name, str(value))
        self._line(text, "Source", lead["source"])
        text.append(f"Attempts  {lead['attempts']}\n")
        for call in history:
            when = parse_iso(call["started_at"]).astimezone(ZoneInfo(home))
            text.append(f"  {when:%d/%m %H:%M}  {call['caller']:<10} {call['outcome']}\n")
        self._put(text)

    def show_message(self, message: str) -> None:
        self._put(Text(message, style="bold"))

    def _put(self, text: Text) -> None:
        lines = text.split("\n")
        view = self.parent.scrollable_content_region if self.parent else None
        # The card keeps its size when it already fills the view and the new text fits.
        same_size = (
            view is not None
            and self.size.height == view.height
            and len(lines) <= view.height
            and all(cell_len(line.plain) <= self.content_region.width for line in lines)
        )
        old_lines, self._text, self._lines = self._lines, text, lines
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

    @staticmethod
    def _line(text: Text, label: str, value: str) -> None:
        if value:
            text.append(f"{label}  ", style="dim")
            text.append(f"{value}\n")
