"""What an outcome does to a lead, written down as explicit effects, and how undo reverses them.

`record` stores the call, the lead's new state and what it was before (call_effects, by call
id); `undo` applies that inverse only while the lead is still as the call left it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import DEFAULTS, NEXT_DAY
from prospect_tui.core.clock import iso, parse_iso
from prospect_tui.core.consent import record_consent
from prospect_tui.core.emails import check_email
from prospect_tui.core.hours import CONSUMER_ATTEMPT_DAYS, CONSUMER_MAX_ATTEMPTS, CallingPolicy
from prospect_tui.core.outcomes import BY_CODE, MAX_ATTEMPTS
from prospect_tui.core.queue import Queue, first_lead
from prospect_tui.core.records import CallbackRequest, CampaignSettings, Lead, OptIn, Recorded
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import is_suppressed, suppress, suppression_hash


class LeadTaken(UserError):
    """The lead is on another caller's screen: this caller's outcome is not recorded."""

    def __init__(self, company: str, holder: str) -> None:
        super().__init__(f"{company} is on {holder}'s screen: your outcome is not recorded")
        self.holder = holder


@dataclass(frozen=True)
class Undone:
    """What an undo did: `lead` is back on this caller's screen, or None when the lead had
    moved on (the call is cancelled all the same); `message` is the line to show."""

    lead: Lead | None
    message: str


def _lead(conn: sqlite3.Connection, lead_id: int) -> Lead | None:
    return first_lead(conn.execute("SELECT * FROM leads WHERE id = ?", (lead_id,)))


def _guard_rest(
    conn: sqlite3.Connection, lead_id: int, now: datetime, next_at: str | None
) -> str | None:
    """Under the consumer guard a retry waits until the lead is under 4 attempts in 30 days."""
    recent = conn.execute(
        "SELECT started_at FROM calls WHERE lead_id = ? AND undone_at IS NULL"
        " AND started_at > ? ORDER BY started_at DESC LIMIT ?",
        (lead_id, iso(now - timedelta(days=CONSUMER_ATTEMPT_DAYS)), CONSUMER_MAX_ATTEMPTS),
    ).fetchall()
    if len(recent) < CONSUMER_MAX_ATTEMPTS:
        return next_at
    free = iso(parse_iso(recent[-1][0]) + timedelta(days=CONSUMER_ATTEMPT_DAYS))
    return max(next_at or free, free)


def lead_state(
    code: str,
    attempts: int,
    now: datetime,
    settings: CampaignSettings,
    callback: CallbackRequest | None,
    zone: str = "",
) -> tuple[str, str | None, str | None]:
    """(status, final_outcome, next_call_at) after an outcome."""
    outcome = BY_CODE[code]
    if outcome.final:
        return "done", code, None
    if code == "callback":
        due = callback.due_at if callback else now + timedelta(hours=1)
        return "callback", None, iso(due)
    if attempts >= int(settings["max_attempts"]):
        return "done", MAX_ATTEMPTS, None
    return "open", None, iso(retry_at(code, now, settings, zone))


def retry_at(code: str, now: datetime, settings: CampaignSettings, zone: str = "") -> datetime:
    """When a lead with this non-final outcome may be called again (`zone`: the callee's)."""
    delay = settings["retry_minutes"].get(code, DEFAULTS["retry_minutes"].get(code, 120))
    if delay == NEXT_DAY:
        return next_working_morning(now, zone, settings)
    return now + timedelta(minutes=int(delay))


def next_working_morning(
    now: datetime, zone: str = "", settings: CampaignSettings | None = None
) -> datetime:
    """The start of calling hours on the callee's next working day, public holidays skipped.

    A switchboard that says "he's out today" means tomorrow, at the first hour we may call.
    """
    chosen = settings if settings is not None else cast(CampaignSettings, DEFAULTS)
    policy = CallingPolicy.from_settings(cast(dict[str, Any], chosen))
    return policy.next_working_start(zone, now)


def _check_holder(conn: sqlite3.Connection, lead: Lead, caller: str, now: datetime) -> None:
    """Only the caller holding the lead, or anyone when nobody holds it, records on it."""
    holder = lead["claimed_by"]
    if holder not in (None, caller) and (lead["claimed_until"] or "") >= iso(now):
        raise LeadTaken(lead["company"], str(holder))
    for number in {lead["direct_line_e164"], lead["phone_e164"]}:
        if number and is_suppressed(conn, "phone", number):
            raise UserError(f"{lead['company']} is on the do-not-call list: no call is recorded")


def record_call(
    queue: Queue,
    lead_id: int,
    outcome_code: str,
    *,
    started_at: datetime,
    duration_s: float,
    note: str = "",
    opt_in: OptIn | None = None,
    callback: CallbackRequest | None = None,
) -> Recorded:
    """Commit one call, its effects on the lead and their inverse, in one transaction.

    Refused (LeadTaken, a UserError naming the holder) when another caller holds the lead,
    and when its number is on the do-not-call list: both checked inside the transaction.
    """
    outcome = BY_CODE.get(outcome_code)
    if outcome is None:
        raise UserError(f"unknown outcome {outcome_code!r}")
    email = None
    if outcome.code == "opt_in":
        if opt_in is None:
            raise UserError("an opt-in needs the contact's email address")
        email = check_email(opt_in.email)
        if not email.ok:
            raise UserError(email.error)
    caller, settings = queue.caller, queue.settings
    now = queue.store.clock()
    at = iso(now)
    reached = outcome.reached
    if callback is not None and callback.asked_by == "switchboard":
        reached = "switchboard"
    with queue.store.write() as conn:
        lead = _lead(conn, lead_id)
        if lead is None:
            raise UserError(f"lead {lead_id} no longer exists")
        _check_holder(conn, lead, caller, now)
        dialled = lead["direct_line_e164"] or lead["phone_e164"] or ""
        call_id = conn.execute(
            "INSERT INTO calls (lead_id, campaign_id, caller, outcome, reached, started_at,"
            " ended_at, duration_s, dialled_e164, note) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                lead_id,
                lead["campaign_id"],
                caller,
                outcome.code,
                reached,
                iso(started_at),
                at,
                round(duration_s, 1),
                dialled,
                note,
            ),
        ).lastrowid
        assert call_id is not None
        # A new outcome settles any callback that brought this lead back; undo reopens them.
        conn.execute(
            "UPDATE callbacks SET done_at = ?, settled_by = ?"
            " WHERE lead_id = ? AND done_at IS NULL",
            (at, call_id, lead_id),
        )
        attempts = lead["attempts"] + 1
        status, final, next_at = lead_state(
            outcome.code, attempts, now, settings, callback, zone=lead["timezone"]
        )
        if status == "open" and queue.policy.guard:
            next_at = _guard_rest(conn, lead_id, now, next_at)
        conn.execute(
            "UPDATE leads SET status = ?, final_outcome = ?, attempts = ?,"
            " last_called_at = ?, next_call_at = ?, claimed_by = NULL, claimed_until = NULL"
            " WHERE id = ?",
            (status, final, attempts, at, next_at, lead_id),
        )
        if outcome.code == "callback" and callback is not None:
            conn.execute(
                "INSERT INTO callbacks (lead_id, campaign_id, call_id, due_at, owner,"
                " asked_by, created_by, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    lead_id,
                    lead["campaign_id"],
                    call_id,
                    iso(callback.due_at),
                    caller if callback.owner_only else None,
                    callback.asked_by,
                    caller,
                    at,
                ),
            )
        suppression_id = None
        if outcome.code == "do_not_call" and dialled:
            suppress(conn, "phone", dialled, "do_not_call", caller, at)
            # This call's own entry: one already on the list is not the call's to take back.
            found = conn.execute(
                "SELECT id FROM suppressions WHERE kind = 'phone' AND hash = ? AND added_at = ?"
                " AND added_by = ?",
                (suppression_hash("phone", dialled), at, caller),
            ).fetchone()
            suppression_id = found[0] if found else None
        conn.execute(
            "INSERT INTO call_effects (call_id, lead_id, status_before, final_outcome_before,"
            " attempts_before, last_called_at_before, next_call_at_before, status_after,"
            " attempts_after, next_call_at_after, suppression_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                call_id,
                lead_id,
                lead["status"],
                lead["final_outcome"],
                lead["attempts"],
                lead["last_called_at"],
                lead["next_call_at"],
                status,
                attempts,
                next_at,
                suppression_id,
            ),
        )
        if email is not None and opt_in is not None:
            record_consent(
                conn,
                event="granted",
                lead=cast(dict[str, Any], lead),
                call_id=call_id,
                email=email.normalized,
                email_typed=opt_in.email,
                contact_name=opt_in.contact_name or lead["contact_name"],
                contact_title=opt_in.contact_title or lead["contact_title"],
                caller=caller,
                at=at,
                phone_e164=dialled,
                settings=queue.settings_dict,
            )
    return Recorded(call_id, lead_id, outcome.code, reached, iso(started_at), round(duration_s, 1))


def _moved_on(
    conn: sqlite3.Connection,
    lead: Lead,
    call_id: int,
    effects: dict[str, Any],
    caller: str,
    now: datetime,
) -> str | None:
    """Why the lead is no longer as the call left it (the line to show), None if it is."""
    company = lead["company"]
    later = conn.execute(
        "SELECT caller FROM calls WHERE lead_id = ? AND id > ? AND undone_at IS NULL"
        " ORDER BY id DESC LIMIT 1",
        (lead["id"], call_id),
    ).fetchone()
    cancelled = "your call is cancelled, the lead stays"
    if later is not None:
        return f"{company} was called by {later[0]} since: {cancelled} with {later[0]}"
    # A colleague holding it is calling it now.
    holder = lead["claimed_by"]
    if holder not in (None, caller) and (lead["claimed_until"] or "") >= iso(now):
        return f"{company} was called by {holder} since: {cancelled} with {holder}"
    if (lead["status"], lead["attempts"], lead["next_call_at"]) != (
        effects["status_after"],
        effects["attempts_after"],
        effects["next_call_at_after"],
    ):
        return f"{company} changed since your call: {cancelled} as it is"
    return None


def undo_call(queue: Queue, call_id: int) -> Undone:
    """Cancel one of this caller's calls and, while the lead is still as it left it, put the
    lead back as it was, claimed again by this caller.

    Otherwise the call is cancelled (flagged undone, no longer one of the lead's attempts)
    and the lead stays as it is: with whoever called or took it since, and a do-not-call
    since, from anyone, stays. An undone opt-in always writes its withdrawal.
    """
    caller = queue.caller
    now = queue.store.clock()
    at = iso(now)
    with queue.store.write() as conn:
        effects = queue.store.row(
            "SELECT e.* FROM call_effects e JOIN calls c ON c.id = e.call_id"
            " WHERE e.call_id = ? AND c.caller = ? AND c.undone_at IS NULL",
            (call_id, caller),
        )
        if effects is None:
            raise UserError(f"call {call_id} is not one of yours to undo")
        lead = _lead(conn, effects["lead_id"])
        assert lead is not None
        moved_on = _moved_on(conn, lead, call_id, effects, caller, now)
        conn.execute("UPDATE calls SET undone_at = ? WHERE id = ?", (at, call_id))
        if moved_on is None:
            conn.execute(
                "UPDATE leads SET status = ?, final_outcome = ?, attempts = ?, last_called_at = ?,"
                " next_call_at = ?, claimed_by = ?, claimed_until = ? WHERE id = ?",
                (
                    effects["status_before"],
                    effects["final_outcome_before"],
                    effects["attempts_before"],
                    effects["last_called_at_before"],
                    effects["next_call_at_before"],
                    caller,
                    queue._until(now),
                    lead["id"],
                ),
            )
            # The callback this call set is cancelled; those it settled are pending again.
            conn.execute(
                "UPDATE callbacks SET done_at = ? WHERE call_id = ? AND done_at IS NULL",
                (at, call_id),
            )
            conn.execute(
                "UPDATE callbacks SET done_at = NULL, settled_by = NULL WHERE settled_by = ?",
                (call_id,),
            )
            if effects["suppression_id"] is not None:
                conn.execute("DELETE FROM suppressions WHERE id = ?", (effects["suppression_id"],))
        else:
            # The cancelled call is no longer one of the lead's attempts.
            conn.execute(
                "UPDATE leads SET attempts = max(attempts - 1, 0) WHERE id = ?", (lead["id"],)
            )
            # Later calls counted this one: shift their record so that their own undo still
            # finds the lead as they left it (and a do-not-call taken back leaves the list).
            conn.execute(
                "UPDATE call_effects SET attempts_before = max(attempts_before - 1, 0),"
                " attempts_after = max(attempts_after - 1, 0) WHERE lead_id = ? AND call_id > ?",
                (lead["id"], call_id),
            )
        _withdraw_undone_opt_in(conn, queue, lead, call_id, at)
        restored = _lead(conn, lead["id"]) if moved_on is None else None
    return Undone(restored, moved_on or f"Undone: {lead['company']} is back.")


def _withdraw_undone_opt_in(
    conn: sqlite3.Connection, queue: Queue, lead: Lead, call_id: int, at: str
) -> None:
    """Consent rows are append-only: an undone opt-in is withdrawn, not deleted."""
    granted = conn.execute(
        "SELECT email, email_typed, contact_name, contact_title, phone_e164"
        " FROM consent_events WHERE call_id = ? AND event = 'granted'",
        (call_id,),
    ).fetchone()
    if granted is None:
        return
    record_consent(
        conn,
        event="withdrawn",
        lead=cast(dict[str, Any], lead),
        call_id=call_id,
        email=granted[0],
        email_typed=granted[1],
        contact_name=granted[2],
        contact_title=granted[3],
        caller=queue.caller,
        at=at,
        phone_e164=granted[4],
        settings={**queue.settings_dict, "purpose": "opt-in undone by the caller"},
    )


def lead_history(store: Store, lead_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The latest attempts on a lead (when, who, outcome), newest first, undone ones left out."""
    return store.rows(
        "SELECT started_at, caller, outcome, duration_s, note FROM calls"
        " WHERE lead_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT ?",
        (lead_id, limit),
    )
