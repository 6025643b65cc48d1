"""Time as the store writes it: UTC, ISO 8601, second precision, sortable as text.

Every core function takes `now` from a Clock so tests can control time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def system_clock() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """The text form stored in every *_at column (fixed width, so text order is time order)."""
    return moment.astimezone(UTC).strftime(ISO_FORMAT)


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, ISO_FORMAT).replace(tzinfo=UTC)
