"""Why no lead is offered now, in one line for the caller: hours, a holiday, retries to wait
for, callbacks pending, leads with colleagues, the consumer guard, or the end of the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prospect_tui.core.clock import iso, parse_iso
from prospect_tui.core.hours import callee_zone, moment_text, zone_label
from prospect_tui.core.queue import Queue

# The campaign's open leads per time zone, and the callbacks still pending.
_WAITING_SQL = """
SELECT timezone,
    coalesce(sum(next_call_at IS NULL OR next_call_at <= :now), 0) AS ready,
    coalesce(sum((next_call_at IS NULL OR next_call_at <= :now)
        AND claimed_until >= :now AND claimed_by != :caller), 0) AS taken,
    coalesce(sum(next_call_at > :now), 0) AS waiting,
    min(CASE WHEN next_call_at > :now THEN next_call_at END) AS next_retry
FROM leads WHERE campaign_id = :campaign AND status = 'open' GROUP BY timezone
"""
_PENDING_CALLBACKS_SQL = """
SELECT coalesce(sum(c.owner IS NULL OR c.owner = :caller), 0) AS mine,
    min(CASE WHEN c.owner IS NULL OR c.owner = :caller THEN c.due_at END) AS next_due,
    coalesce(sum(c.owner IS NOT NULL AND c.owner != :caller), 0) AS others
FROM callbacks c JOIN leads l ON l.id = c.lead_id
WHERE c.campaign_id = :campaign AND c.done_at IS NULL AND l.status = 'callback'
"""


@dataclass(frozen=True)
class NoLead:
    """Why next_lead() offered nothing: a kind for the screen, a line for the caller.

    kind: empty, finished, hours, holiday, waiting, taken or guard. `next_at` is when a lead
    should become callable (None when nothing will), so a screen can look again then.
    """

    kind: str
    message: str
    next_at: datetime | None = None


def no_lead_reason(queue: Queue) -> NoLead:
    """Why next_lead() returned None: hours, a holiday, retries to wait for, or the end."""
    store, policy = queue.store, queue.policy
    now = store.clock()
    # Read the zones again: a new import may have brought leads.
    zones = queue.campaign_zones(now, fresh=True)
    open_zones = None if policy.unrestricted else policy.open_zones(zones, now)
    params = {"campaign": queue.campaign["id"], "caller": queue.caller, "now": iso(now)}
    ready_open = taken = waiting = 0
    closed: list[str] = []
    retry_times: list[datetime] = []
    for row in store.rows(_WAITING_SQL, params):
        free = row["ready"] - row["taken"]
        taken += row["taken"]
        if free and (open_zones is None or row["timezone"] in open_zones):
            ready_open += free
        elif free:
            closed.append(row["timezone"])
        if row["next_retry"]:
            waiting += row["waiting"]
            # A retry whose time comes outside the hours waits for the next opening.
            opening = policy.next_opening(row["timezone"], parse_iso(row["next_retry"]))
            if opening is not None:
                retry_times.append(opening)
    callbacks = store.row(_PENDING_CALLBACKS_SQL, params) or {}
    if ready_open and policy.guard:
        return NoLead(
            "guard",
            f"Consumer guard: {ready_open} leads rest (4 attempts in 30 days,"
            " or refused within 60 days)",
        )
    if ready_open:
        return NoLead("taken", "Leads were just taken by other callers: try again", now)
    if closed:
        return _closed_reason(queue, closed, now)
    parts: list[str] = []
    if waiting:
        when = min(retry_times) if retry_times else None
        parts.append(f"{waiting} waiting for retry, next at {_when(queue, when, now)}")
    if callbacks.get("mine"):
        due = parse_iso(callbacks["next_due"])
        retry_times.append(due)
        count = callbacks["mine"]
        plural = "s" if count > 1 else ""
        parts.append(f"{count} callback{plural} pending, next at {_when(queue, due, now)}")
    if parts and taken:
        parts.append(f"{taken} with other callers")
    if parts:
        return NoLead(
            "waiting", "All leads called; " + "; ".join(parts), min(retry_times, default=None)
        )
    if taken:
        return NoLead("taken", f"The remaining leads are with other callers ({taken})")
    if not store.count_leads(queue.campaign["id"]):
        return NoLead("empty", "No leads in this campaign yet: import a file")
    others = callbacks.get("others") or 0
    if others:
        return NoLead(
            "finished", f"List finished for you; {others} callbacks belong to other callers"
        )
    return NoLead("finished", "List finished")


def _when(queue: Queue, moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "none in the coming year"
    # None: the caller's own clock (moment_text's annotation says ZoneInfo only).
    text: str = moment_text(moment, queue.display_zone, now)  # type: ignore[arg-type]
    return text


def _closed_reason(queue: Queue, zones: list[str], now: datetime) -> NoLead:
    """Leads are ready but their zones are closed: say which hours and when they open."""
    policy = queue.policy
    openings = [(policy.next_opening(zone, now), zone) for zone in zones]
    known = [(when, zone) for when, zone in openings if when is not None]
    when, zone = min(known) if known else (None, zones[0])
    shown = "none in the coming year"
    if when is not None:
        shown = moment_text(when, callee_zone(zone), now)
    label = zone_label(zone)
    holiday = policy.holiday(zone, now)
    if holiday:
        return NoLead("holiday", f"Public holiday ({holiday}, {label}); next opening {shown}", when)
    guard = ", consumer guard" if policy.guard else ""
    hours = policy.schedule.text
    return NoLead(
        "hours", f"Outside calling hours ({hours}{guard}, {label}); next opening {shown}", when
    )
