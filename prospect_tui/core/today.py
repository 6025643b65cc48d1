"""The caller's counters for today, always on screen: calls, managers reached, opt-ins,
callbacks due and talk time; read once, then counted on after each call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from prospect_tui.core.clock import iso
from prospect_tui.core.records import Recorded
from prospect_tui.core.store import Store


@dataclass
class Today:
    """The caller's counters for today (since `since`)."""

    calls: int = 0
    managers: int = 0
    opt_ins: int = 0
    callbacks_due: int = 0
    talk_s: float = 0.0
    since: str = ""

    @property
    def opt_in_rate(self) -> float:
        return self.opt_ins / self.calls if self.calls else 0.0

    def count(self, call: Recorded) -> None:
        """Add a call just recorded, as today_counters would count it, without its query.

        That query reads every call of the day: it grows to most of the time an outcome key
        takes by the end of a day.
        """
        if call.started_at >= self.since:
            self.calls += 1
            self.managers += call.reached == "manager"
            self.opt_ins += call.outcome == "opt_in"
            self.talk_s += call.duration_s


def today_counters(store: Store, caller: str, campaign_id: int, day_start: datetime) -> Today:
    """Calls, managers reached, opt-ins and talk time since `day_start`; callbacks due today."""
    since = iso(day_start)
    row = store.row(
        "SELECT count(*) AS calls, coalesce(sum(reached = 'manager'), 0) AS managers,"
        " coalesce(sum(outcome = 'opt_in'), 0) AS opt_ins,"
        " coalesce(sum(duration_s), 0) AS talk_s"
        " FROM calls WHERE caller = ? AND started_at >= ? AND undone_at IS NULL",
        (caller, since),
    )
    assert row is not None
    due = callbacks_due_today(store, caller, campaign_id, day_start)
    return Today(row["calls"], row["managers"], row["opt_ins"], due, row["talk_s"], since)


def callbacks_due_today(store: Store, caller: str, campaign_id: int, day_start: datetime) -> int:
    """Callbacks for this caller (his own or anyone's) due before the end of the day."""
    due: int = store.scalar(
        "SELECT count(*) FROM callbacks WHERE campaign_id = ? AND done_at IS NULL"
        " AND due_at < ? AND (owner IS NULL OR owner = ?)",
        (campaign_id, iso(day_start + timedelta(days=1)), caller),
    )
    return due
