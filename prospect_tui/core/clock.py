"""Time as the store writes it: UTC, ISO 8601, second precision, sortable as text.

Every core function takes `now` from a Clock so tests can control time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# The test hook that pins the clock of a whole process (CLI, app, subprocess under tmux):
# PROSPECT_NOW=2026-11-23T10:00:00Z starts the process's clock at that instant, and it
# then runs forward at the real pace, so timers and retry delays still move.
NOW_VARIABLE = "PROSPECT_NOW"


def system_clock() -> datetime:
    return datetime.now(UTC)


def pinned_clock(start: datetime) -> Clock:
    """A clock that reads `start` now and moves on with the monotonic clock."""
    origin = time.monotonic()

    def now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - origin)

    return now


def default_clock() -> Clock:
    """The process's clock: the system's, unless PROSPECT_NOW pins it (tests only)."""
    pinned = os.environ.get(NOW_VARIABLE)
    if not pinned:
        return system_clock
    try:
        return pinned_clock(parse_iso(pinned))
    except ValueError:
        from prospect_tui.core import UserError

        raise UserError(f"{NOW_VARIABLE}={pinned[:40]!r}: expected 2026-11-23T10:00:00Z") from None


def iso(moment: datetime) -> str:
    """The text form stored in every *_at column (fixed width, so text order is time order)."""
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=UTC)
