"""Periods of the supervisor's figures: whole local days, named (today, week...) or typed.

Days, weeks and "best hours" are wall-clock time where the team calls (`home_timezone`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from prospect_tui.core import UserError
from prospect_tui.core.clock import iso

PERIODS = ("today", "week", "lastweek", "month")
# Bounds that every stored ISO time sorts between: the "all time" period.
_LOWEST, _HIGHEST = "", "9999"


class PeriodJson(TypedDict):
    """A period as `prospect stats --json` prints it."""

    name: str
    label: str
    first_day: str | None
    last_day: str | None
    start: str | None
    end: str | None
    time_zone: str


@dataclass(frozen=True)
class Period:
    """Whole local days of `zone` (the team's `home_timezone`) from `first` to `last`
    inclusive; None ends mean unbounded."""

    name: str
    first: date | None
    last: date | None
    zone: ZoneInfo

    @classmethod
    def named(cls, name: str, now: datetime, zone: ZoneInfo) -> Period:
        """today, week (Monday to Sunday), lastweek or month, around `now` in `zone`."""
        today = now.astimezone(zone).date()
        monday = today - timedelta(days=today.weekday())
        if name == "today":
            return cls(name, today, today, zone)
        if name == "week":
            return cls(name, monday, monday + timedelta(days=6), zone)
        if name == "lastweek":
            return cls(name, monday - timedelta(days=7), monday - timedelta(days=1), zone)
        if name == "month":
            following = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
            return cls(name, today.replace(day=1), following - timedelta(days=1), zone)
        raise UserError(f"unknown period {name!r} (choose from {', '.join(PERIODS)})")

    @classmethod
    def between(cls, first: date, last: date, zone: ZoneInfo) -> Period:
        if last < first:
            raise UserError(f"the period ends ({last}) before it starts ({first})")
        return cls("range", first, last, zone)

    @classmethod
    def week_of(cls, day: date, zone: ZoneInfo) -> Period:
        monday = day - timedelta(days=day.weekday())
        return cls("range", monday, monday + timedelta(days=6), zone)

    @classmethod
    def all_time(cls, zone: ZoneInfo) -> Period:
        return cls("all", None, None, zone)

    def previous(self) -> Period:
        """The period of the same length just before this one (the report's comparison)."""
        if self.first is None or self.last is None:
            return self
        length = self.last - self.first + timedelta(days=1)
        return Period("range", self.first - length, self.first - timedelta(days=1), self.zone)

    @property
    def start_iso(self) -> str:
        return iso(local_midnight(self.first, self.zone)) if self.first else _LOWEST

    @property
    def end_iso(self) -> str:
        """Exclusive: the midnight after the last day."""
        if self.last is None:
            return _HIGHEST
        return iso(local_midnight(self.last + timedelta(days=1), self.zone))

    @property
    def label(self) -> str:
        if self.first is None or self.last is None:
            return "all time"
        days = str(self.first) if self.first == self.last else f"{self.first} to {self.last}"
        names = {"today": "today", "week": "this week", "lastweek": "last week"}
        names["month"] = "this month"
        return f"{names[self.name]}, {days}" if self.name in names else days

    def as_json(self) -> PeriodJson:
        return {
            "name": self.name,
            "label": self.label,
            "first_day": self.first.isoformat() if self.first else None,
            "last_day": self.last.isoformat() if self.last else None,
            "start": self.start_iso or None,
            "end": None if self.end_iso == _HIGHEST else self.end_iso,
            "time_zone": self.zone.key,
        }


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def parse_day(text: str) -> date:
    """A day as typed on the command line: 2026-11-23 or 23/11/2026."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise UserError(f"not a date: {text!r} (use YYYY-MM-DD or DD/MM/YYYY)")


def period_from_options(
    name: str | None, date_from: str | None, date_to: str | None, now: datetime, zone: ZoneInfo
) -> Period:
    """The CLI's --period / --from / --to, in days of `zone`; nothing at all means all time."""
    if name and (date_from or date_to):
        raise UserError("use either --period or --from/--to, not both")
    if date_to and not date_from:
        raise UserError("--to needs --from")
    if date_from:
        last = parse_day(date_to) if date_to else now.astimezone(zone).date()
        return Period.between(parse_day(date_from), last, zone)
    if name:
        return Period.named(name, now, zone)
    return Period.all_time(zone)
