"""Durations and shares as people read them: one formatter for the CLI, the report and screens.

A missing value (no calls, so no rate) is shown as an en dash, never as 0.
"""

from __future__ import annotations

MISSING = "–"


def duration(seconds: float | None) -> str:
    """`3m07s` under an hour, `154h05` beyond (a month of talk time is hundreds of hours)."""
    if seconds is None:
        return MISSING
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}h{minute:02d}" if hours else f"{minute}m{second:02d}s"


def percent(share: float | None, digits: int = 1) -> str:
    """0.1234 -> `12.3%` (a share, not a percentage, goes in)."""
    if share is None:
        return MISSING
    return f"{share * 100:.{digits}f}%"
