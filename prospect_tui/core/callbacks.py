"""Callbacks: when to call back, typed the way a caller says it, and the list of those due.

Times are read in the caller's zone (Europe/Paris by default) and stored in UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prospect_tui.core import UserError
from prospect_tui.core.store import Store

MORNING = time(9, 0)
QUICK_CHOICES = {
    "1": "in 1 hour",
    "2": "tomorrow morning (09:00)",
    "3": "next week (Monday 09:00)",
}
_TIME = re.compile(r"^(\d{1,2})(?:[:hH](\d{2})?)?$")
_DATE_TIME = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\s+(.+)$")


def _next_weekday(day: datetime) -> datetime:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _clock_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        raise UserError(f"{text.strip()!r} is not a time (try 14:30 or 9h)")
    return time(int(match.group(1)), int(match.group(2) or 0))


def parse_when(text: str, now: datetime, zone: str) -> datetime:
    """'1', '2', '3' (the quick choices), '14:30' (today), '25/11 9h', '25/11/2026 14:30',
    read on the clock of `zone` (the team's `home_timezone`)."""
    local_now = now.astimezone(ZoneInfo(zone))
    text = text.strip().lower()
    if text == "1":
        return now + timedelta(hours=1)
    if text == "2":
        day = _next_weekday(local_now + timedelta(days=1))
        return datetime.combine(day.date(), MORNING, day.tzinfo)
    if text == "3":
        day = local_now + timedelta(days=7 - local_now.weekday())
        return datetime.combine(day.date(), MORNING, day.tzinfo)
    dated = _DATE_TIME.match(text)
    if dated:
        day_n, month_n, year_text, clock_text = dated.groups()
        year = int(year_text) if year_text else local_now.year
        year += 2000 if year < 100 else 0
        try:
            due = datetime.combine(
                datetime(year, int(month_n), int(day_n)).date(),
                _clock_time(clock_text),
                local_now.tzinfo,
            )
        except ValueError:
            raise UserError(f"{text!r} is not a date") from None
        if not year_text and due < local_now:
            due = due.replace(year=year + 1)
    else:
        due = datetime.combine(local_now.date(), _clock_time(text), local_now.tzinfo)
    if due <= local_now:
        raise UserError(f"{due:%d/%m %H:%M} is already past")
    return due


def pending_callbacks(store: Store, campaign_id: int, caller: str) -> list[dict[str, Any]]:
    """Callbacks not yet made that this caller may take (his own and anyone's), soonest first."""
    return store.rows(
        "SELECT c.id, c.lead_id, c.due_at, c.owner, c.asked_by, c.created_by, l.company,"
        " l.phone_national, l.manager_name FROM callbacks c JOIN leads l ON l.id = c.lead_id"
        " WHERE c.campaign_id = ? AND c.done_at IS NULL AND (c.owner IS NULL OR c.owner = ?)"
        " ORDER BY c.due_at",
        (campaign_id, caller),
    )
