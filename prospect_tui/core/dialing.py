"""One caller working one campaign: the queue (queue.py), outcomes and undo (outcome.py),
why no lead (no_lead.py), this session's calls; screens and scripts start from Dialer."""

from __future__ import annotations

from datetime import datetime

from prospect_tui.core.no_lead import NoLead, no_lead_reason
from prospect_tui.core.outcome import (
    LeadTaken,
    Undone,
    lead_history,
    next_working_morning,
    record_call,
    retry_at,
    undo_call,
)
from prospect_tui.core.queue import SKIP_MINUTES, Queue
from prospect_tui.core.records import CallbackRequest, Campaign, Lead, OptIn, Recorded
from prospect_tui.core.store import Store
from prospect_tui.core.today import Today, callbacks_due_today, today_counters

# The names callers of this module have always imported from it.
__all__ = [
    "SKIP_MINUTES",
    "CallbackRequest",
    "Dialer",
    "LeadTaken",
    "NoLead",
    "OptIn",
    "Recorded",
    "Today",
    "Undone",
    "callbacks_due_today",
    "lead_history",
    "next_working_morning",
    "retry_at",
    "today_counters",
]


class Dialer(Queue):
    """One caller working one campaign: his queue, and the calls this session can undo."""

    def __init__(self, store: Store, caller: str, campaign: Campaign) -> None:
        super().__init__(store, caller, campaign)
        self.history: list[Recorded] = []

    def record(
        self,
        lead_id: int,
        outcome_code: str,
        *,
        started_at: datetime,
        duration_s: float,
        note: str = "",
        opt_in: OptIn | None = None,
        callback: CallbackRequest | None = None,
    ) -> int:
        """Commit one call and its effects in one transaction; returns the call id.

        Refused with LeadTaken (a UserError) when another caller holds the lead.
        """
        recorded = record_call(
            self,
            lead_id,
            outcome_code,
            started_at=started_at,
            duration_s=duration_s,
            note=note,
            opt_in=opt_in,
            callback=callback,
        )
        self.history.append(recorded)
        return recorded.call_id

    def record_and_next(
        self,
        lead_id: int,
        outcome_code: str,
        *,
        started_at: datetime,
        duration_s: float,
        note: str = "",
        opt_in: OptIn | None = None,
        callback: CallbackRequest | None = None,
    ) -> Lead | None:
        """Record an outcome and claim the next lead in one transaction (one disk sync).

        The outcome is committed before the caller sees the next lead, as with record().
        """
        with self.store.write():
            self.record(
                lead_id,
                outcome_code,
                started_at=started_at,
                duration_s=duration_s,
                note=note,
                opt_in=opt_in,
                callback=callback,
            )
            try:
                return self.next_lead()
            except BaseException:
                self.history.pop()  # rolled back with the claim
                raise

    def undo(self) -> Undone | None:
        """Take back this session's last outcome (see outcome.undo_call); None when there is
        nothing to undo."""
        if not self.history:
            return None
        undone = undo_call(self, self.history[-1].call_id)
        self.history.pop()
        return undone

    def no_lead_reason(self) -> NoLead:
        return no_lead_reason(self)

    def why_none(self) -> str:
        """One line telling the caller why no lead is offered now."""
        return self.no_lead_reason().message
