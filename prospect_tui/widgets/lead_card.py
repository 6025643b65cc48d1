"""The lead card: everything a caller needs to read before and during the call.

Built as Rich Text (not markup) so a company called "[Acme]" shows as typed.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual.widgets import Static

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


class LeadCard(Static):
    """Shows one lead; `show(None, ...)` shows why there is none."""

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
        self.update(text)

    def show_message(self, message: str) -> None:
        self.update(Text(message, style="bold"))

    @staticmethod
    def _line(text: Text, label: str, value: str) -> None:
        if value:
            text.append(f"{label}  ", style="dim")
            text.append(f"{value}\n")
