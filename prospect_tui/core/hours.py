"""Calling hours and French public holidays, judged in the callee's time zone.

A campaign's `calling_hours` text becomes a Schedule; a CallingPolicy adds holidays and the
consumer guard and answers "is this zone open now, and if not, when does it open?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prospect_tui.core import UserError
from prospect_tui.core.config import user_config

if TYPE_CHECKING:
    from holidays import HolidayBase

DEFAULT_HOURS = "mon-fri 09:00-12:30,14:00-18:30"
# Décret 2022-1313 (consumer calls): weekdays 10:00-13:00 and 14:00-20:00, callee's time.
CONSUMER_HOURS = "mon-fri 10:00-13:00,14:00-20:00"
CONSUMER_MAX_ATTEMPTS = 4
CONSUMER_ATTEMPT_DAYS = 30
CONSUMER_REFUSAL_PAUSE_DAYS = 60
# With calling hours off there is no "start of calling hours": a switchboard retry then
# goes to this time on the next working day.
WORKING_MORNING_MINUTES = 9 * 60

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# French abbreviations are accepted too: people type what they say.
_DAY_INDEX = {name: i for i, name in enumerate(DAY_NAMES)} | {
    name: i for i, name in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Overseas departments have holidays of their own (e.g. 20 December in Réunion): a callee
# there gets them whatever the campaign's `holidays_subdiv`, which is for mainland leads.
ZONE_SUBDIVS = {
    "America/Guadeloupe": "971",
    "America/Martinique": "972",
    "America/Cayenne": "973",
    "Indian/Reunion": "974",
    "Indian/Mayotte": "976",
    "America/St_Barthelemy": "BL",
    "America/Marigot": "MF",
    "America/Miquelon": "PM",
}

_TIME = r"(\d{1,2})(?:[:h](\d{2})?)?"
_WINDOW = re.compile(rf"^{_TIME}\s*-\s*{_TIME}$")
_EXAMPLE = '(expected e.g. "mon-fri 09:00-12:30,14:00-18:30" or "off")'

Window = tuple[int, int]  # minutes since local midnight, [start, end)


@dataclass(frozen=True)
class Schedule:
    """Open windows for each weekday (Monday first); `always` means no restriction at all."""

    days: tuple[tuple[Window, ...], ...]
    always: bool = False

    def is_open_at(self, local: datetime) -> bool:
        if self.always:
            return True
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.days[local.weekday()])

    def intersect(self, other: Schedule) -> Schedule:
        """Open only when both are: the consumer guard narrows a campaign's hours."""
        if self.always:
            return other
        if other.always:
            return self
        days = tuple(
            tuple(
                (max(a0, b0), min(a1, b1))
                for a0, a1 in mine
                for b0, b1 in theirs
                if max(a0, b0) < min(a1, b1)
            )
            for mine, theirs in zip(self.days, other.days, strict=True)
        )
        return Schedule(days)

    @property
    def text(self) -> str:
        """The canonical text form, as `parse_hours` reads it back."""
        if self.always:
            return "off"
        groups: dict[tuple[Window, ...], list[int]] = {}
        for index, windows in enumerate(self.days):
            if windows:
                groups.setdefault(windows, []).append(index)
        if not groups:
            return "never"
        return "; ".join(
            f"{_days_text(indexes)} {','.join(_window_text(w) for w in windows)}"
            for windows, indexes in groups.items()
        )


ALWAYS = Schedule(days=(((0, 1440),),) * 7, always=True)


def _minutes(hours: str, minutes: str | None, text: str) -> int:
    value = int(hours) * 60 + int(minutes or 0)
    if int(minutes or 0) >= 60 or value > 1440:
        raise UserError(f"calling_hours: bad time in {text!r} {_EXAMPLE}")
    return value


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _window_text(window: Window) -> str:
    return f"{_clock_text(window[0])}-{_clock_text(window[1])}"


def _days_text(indexes: list[int]) -> str:
    runs: list[list[int]] = []
    for index in indexes:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return ",".join(
        DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
        for run in runs
    )


def _parse_days(spec: str, text: str) -> list[int]:
    found: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        try:
            start = _DAY_INDEX[first.strip()[:3]]
            end = _DAY_INDEX[last.strip()[:3]] if last else start
        except KeyError:
            raise UserError(f"calling_hours: unknown day in {text!r} {_EXAMPLE}") from None
        # A range may wrap over the week end ("sat-mon").
        found.extend((start + step) % 7 for step in range((end - start) % 7 + 1))
    return found


def _parse_window(spec: str, text: str) -> Window:
    match = _WINDOW.match(spec.strip())
    if match is None:
        raise UserError(f"calling_hours: bad time range {spec.strip()!r} {_EXAMPLE}")
    start = _minutes(match[1], match[2], text)
    end = _minutes(match[3], match[4], text)
    if end <= start:
        raise UserError(f"calling_hours: {spec.strip()!r} ends before it starts {_EXAMPLE}")
    return start, end


@lru_cache(maxsize=64)
def parse_hours(text: str) -> Schedule:
    """Read "mon-fri 09:00-12:30,14:00-18:30" (groups separated by ";"), or "off"."""
    cleaned = " ".join(str(text).lower().split())
    if cleaned in ("off", "none", "any", "always"):
        return ALWAYS
    if not cleaned:
        raise UserError(f"calling_hours: empty value {_EXAMPLE}")
    days: list[list[Window]] = [[] for _ in DAY_NAMES]
    for group in cleaned.split(";"):
        # The days are everything before the first digit: "mon, wed 9h-12h" reads too.
        split = re.match(r"^([^\d]*?)\s*(\d.*)?$", group.strip())
        spec, windows = (split[1], split[2] or "") if split else ("", "")
        if not spec or not windows.strip():
            raise UserError(f"calling_hours: {group.strip()!r} needs days and times {_EXAMPLE}")
        parsed = [_parse_window(w, cleaned) for w in windows.split(",") if w.strip()]
        for index in _parse_days(spec, cleaned):
            days[index].extend(parsed)
    for index, windows in enumerate(days):
        windows.sort()
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            if start < end:
                raise UserError(
                    f"calling_hours: overlapping times on {DAY_NAMES[index]} in {cleaned!r}"
                )
    return Schedule(tuple(tuple(w) for w in days))


@lru_cache(maxsize=512)
def callee_zone(name: str | None) -> ZoneInfo:
    """The lead's time zone; an empty or unknown name falls back to the team's."""
    # The queue is not handed the config: the fallback reads it, once per zone name.
    try:
        return ZoneInfo(name) if name else user_config().home_zone
    except (ZoneInfoNotFoundError, ValueError):
        return user_config().home_zone


def zone_label(name: str | None) -> str:
    return callee_zone(name).key


@lru_cache(maxsize=32)
def _calendar(subdiv: str) -> HolidayBase:
    # Imported on first use: `holidays` loads every country (~0.2 s), which a campaign with
    # calling hours off, and every CLI command but this one, never needs.
    from holidays.countries.france import France

    # French names: they are the ones a caller in France recognises on a calendar.
    calendar: HolidayBase = France(subdiv=subdiv or None, language="fr")  # type: ignore[no-untyped-call]
    return calendar


def check_subdiv(value: str) -> str:
    """A France subdivision code for `holidays` ("57", "6AE", "974"...), or "" for none."""
    from holidays.countries.france import France

    text = value.strip()
    if text.lower() in ("", "none", "off"):
        return ""
    aliases = {k.lower(): v for k, v in France.subdivisions_aliases.items()}
    code = text if text in France.subdivisions else aliases.get(text.lower())
    if code is None:
        known = ", ".join(France.subdivisions)
        raise UserError(f"holidays_subdiv: unknown subdivision {value!r} (known: {known})")
    return code


def holiday_name(day: date, zone: str | None, subdiv: str = "") -> str | None:
    """The French public holiday on this local date, if any."""
    return _calendar(ZONE_SUBDIVS.get(zone_label(zone), subdiv)).get(day)


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    # Wall-clock arithmetic in the callee's zone; converting to UTC settles DST.
    local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


@dataclass(frozen=True)
class CallingPolicy:
    """When a callee may be called: the campaign's hours, holidays, and the consumer guard."""

    schedule: Schedule
    skip_holidays: bool
    subdiv: str = ""
    guard: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any], overridden: bool = False) -> CallingPolicy:
        """The policy a campaign asks for; an override lifts the hours but never the guard."""
        guard = bool(settings.get("consumer_guard"))
        hours = ALWAYS if overridden else parse_hours(settings.get("calling_hours") or "off")
        schedule = hours.intersect(parse_hours(CONSUMER_HOURS)) if guard else hours
        return cls(
            schedule=schedule,
            # "off" means any time, holidays included (the demo works on 25 December).
            skip_holidays=guard or not schedule.always,
            subdiv=str(settings.get("holidays_subdiv") or ""),
            guard=guard,
        )

    @property
    def unrestricted(self) -> bool:
        return self.schedule.always and not self.skip_holidays

    def holiday(self, zone: str | None, now: datetime) -> str | None:
        """The holiday that closes this zone today, if holidays apply."""
        if not self.skip_holidays:
            return None
        return holiday_name(now.astimezone(callee_zone(zone)).date(), zone, self.subdiv)

    def is_open(self, zone: str | None, now: datetime) -> bool:
        if self.unrestricted:
            return True
        local = now.astimezone(callee_zone(zone))
        if not self.schedule.is_open_at(local):
            return False
        return self.holiday(zone, now) is None

    def open_zones(self, zones: list[str], now: datetime) -> list[str]:
        return [zone for zone in zones if self.is_open(zone, now)]

    def _open_day(self, day: date, zone: str | None) -> bool:
        return not (self.skip_holidays and holiday_name(day, zone, self.subdiv))

    def next_opening(self, zone: str | None, now: datetime) -> datetime | None:
        """`now` when open, else the next moment this zone opens (UTC); None if never."""
        if self.is_open(zone, now):
            return now
        tz = callee_zone(zone)
        local = now.astimezone(tz)
        # A year and a week covers any schedule with at least one open day.
        for offset in range(372):
            day = local.date() + timedelta(days=offset)
            if not self._open_day(day, zone):
                continue
            for start, end in self.schedule.days[day.weekday()]:
                if _at(day, end, tz) > now:
                    return max(_at(day, start, tz), now)
        return None

    def next_working_start(self, zone: str | None, now: datetime) -> datetime:
        """The start of calling hours on the callee's next working day after today."""
        tz = callee_zone(zone)
        today = now.astimezone(tz).date()
        for offset in range(1, 372):
            day = today + timedelta(days=offset)
            if self.schedule.always:
                # No hours to start from: a weekday that is not a public holiday, 09:00.
                if day.weekday() < 5 and not holiday_name(day, zone, self.subdiv):
                    return _at(day, WORKING_MORNING_MINUTES, tz)
            elif self._open_day(day, zone) and self.schedule.days[day.weekday()]:
                return _at(day, self.schedule.days[day.weekday()][0][0], tz)
        return now + timedelta(days=1)


def moment_text(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'14:05' today, 'Tue 09:00' within the week, else 'Tue 24 Nov 09:00' (local to `zone`)."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if local.date() == today:
        return clock
    day = DAY_NAMES[local.weekday()].capitalize()
    if 0 < (local.date() - today).days < 7:
        return f"{day} {clock}"
    return f"{day} {local.day} {_MONTHS[local.month - 1]} {clock}"
