"""Which lead comes next, and what an outcome does: the caller's loop, UI-free.

A lead is claimed in one UPDATE under BEGIN IMMEDIATE, so two callers never get the
same one; a claim left by a crashed session expires after `claim_minutes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.clock import iso
from prospect_tui.core.emails import check_email
from prospect_tui.core.outcomes import BY_CODE, MAX_ATTEMPTS
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppress

_CLAIM_FREE = "(claimed_until IS NULL OR claimed_until < :now OR claimed_by = :caller)"

# Due callbacks for this caller first, then leads whose retry time has come, then fresh
# leads in file order. Each subquery walks an index (see leads_queue, callbacks_due).
_CLAIM_SQL = f"""
UPDATE leads SET claimed_by = :caller, claimed_until = :until
WHERE id = COALESCE(
    (SELECT c.lead_id FROM callbacks c JOIN leads l ON l.id = c.lead_id
      WHERE c.campaign_id = :campaign AND c.done_at IS NULL AND c.due_at <= :now
        AND (c.owner IS NULL OR c.owner = :caller) AND l.status = 'callback'
        AND (l.claimed_until IS NULL OR l.claimed_until < :now OR l.claimed_by = :caller)
      ORDER BY c.due_at LIMIT 1),
    (SELECT id FROM leads
      WHERE campaign_id = :campaign AND status = 'open'
        AND next_call_at IS NOT NULL AND next_call_at <= :now AND {_CLAIM_FREE}
      ORDER BY next_call_at LIMIT 1),
    (SELECT id FROM leads
      WHERE campaign_id = :campaign AND status = 'open' AND next_call_at IS NULL
        AND {_CLAIM_FREE}
      ORDER BY id LIMIT 1)
)
RETURNING *
"""


@dataclass
class OptIn:
    """What the caller captured when the IT manager agreed."""

    email: str
    contact_name: str = ""
    contact_title: str = ""


@dataclass
class CallbackRequest:
    due_at: datetime
    asked_by: str = "manager"  # or "switchboard"
    owner_only: bool = True  # for me only, or for anyone


@dataclass
class Recorded:
    """What `record` did, kept so `undo` can take it back."""

    call_id: int
    lead_before: dict
    suppressed: list[tuple[str, str]] = field(default_factory=list)


class Dialer:
    """One caller working one campaign."""

    def __init__(self, store: Store, caller: str, campaign: dict) -> None:
        self.store = store
        self.caller = caller
        self.campaign = campaign
        self.settings = campaign_settings(campaign)
        self.history: list[Recorded] = []

    def _now(self) -> datetime:
        return self.store.clock()

    def next_lead(self) -> dict | None:
        """Claim the next lead for this caller, or None when nothing is callable now."""
        now = self._now()
        until = now + timedelta(minutes=self.settings["claim_minutes"])
        params = {
            "caller": self.caller,
            "campaign": self.campaign["id"],
            "now": iso(now),
            "until": iso(until),
        }
        with self.store.write() as conn:
            cursor = conn.execute(_CLAIM_SQL, params)
            names = [c[0] for c in cursor.description]
            found = cursor.fetchone()
        return dict(zip(names, found, strict=True)) if found else None

    def release(self, lead_id: int) -> None:
        """Give the lead back to the pool (quit or skip): no outcome is recorded."""
        with self.store.write() as conn:
            conn.execute(
                "UPDATE leads SET claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND claimed_by = ?",
                (lead_id, self.caller),
            )

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
        """Commit one call and its effects in one transaction; returns the call id."""
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
        now = self._now()
        at = iso(now)
        reached = outcome.reached
        if callback is not None and callback.asked_by == "switchboard":
            reached = "switchboard"
        with self.store.write() as conn:
            lead = self.store.lead(lead_id)
            if lead is None:
                raise UserError(f"lead {lead_id} no longer exists")
            dialled = lead["direct_line_e164"] or lead["phone_e164"] or ""
            cursor = conn.execute(
                "INSERT INTO calls (lead_id, campaign_id, caller, outcome, reached, started_at,"
                " ended_at, duration_s, dialled_e164, note) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    lead_id,
                    lead["campaign_id"],
                    self.caller,
                    outcome.code,
                    reached,
                    iso(started_at),
                    at,
                    round(duration_s, 1),
                    dialled,
                    note,
                ),
            )
            call_id = cursor.lastrowid
            # A new outcome settles any callback that brought this lead back.
            conn.execute(
                "UPDATE callbacks SET done_at = ? WHERE lead_id = ? AND done_at IS NULL",
                (at, lead_id),
            )
            attempts = lead["attempts"] + 1
            status, final, next_at = self._lead_state(outcome.code, attempts, now, callback)
            conn.execute(
                "UPDATE leads SET status = ?, final_outcome = ?, attempts = ?,"
                " last_called_at = ?, next_call_at = ?, claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ?",
                (status, final, attempts, at, next_at, lead_id),
            )
            suppressed: list[tuple[str, str]] = []
            if outcome.code == "callback" and callback is not None:
                conn.execute(
                    "INSERT INTO callbacks (lead_id, campaign_id, call_id, due_at, owner,"
                    " asked_by, created_by, created_at) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        lead_id,
                        lead["campaign_id"],
                        call_id,
                        iso(callback.due_at),
                        self.caller if callback.owner_only else None,
                        callback.asked_by,
                        self.caller,
                        at,
                    ),
                )
            if outcome.code == "do_not_call" and dialled:
                suppress(conn, "phone", dialled, "do_not_call", self.caller, at)
                suppressed.append(("phone", dialled))
            if email is not None and opt_in is not None:
                from prospect_tui.core.consent import record_consent

                record_consent(
                    conn,
                    event="granted",
                    lead=lead,
                    call_id=call_id,
                    email=email.normalized,
                    email_typed=opt_in.email,
                    contact_name=opt_in.contact_name or lead["contact_name"],
                    contact_title=opt_in.contact_title or lead["contact_title"],
                    caller=self.caller,
                    at=at,
                    phone_e164=dialled,
                    settings=self.settings,
                )
        self.history.append(Recorded(call_id, lead, suppressed))
        return call_id

    def _lead_state(
        self, code: str, attempts: int, now: datetime, callback: CallbackRequest | None
    ) -> tuple[str, str | None, str | None]:
        """(status, final_outcome, next_call_at) after an outcome."""
        outcome = BY_CODE[code]
        if outcome.final:
            return "done", code, None
        if code == "callback":
            due = callback.due_at if callback else now + timedelta(hours=1)
            return "callback", None, iso(due)
        if attempts >= int(self.settings["max_attempts"]):
            return "done", MAX_ATTEMPTS, None
        return "open", None, iso(retry_at(code, now, self.settings))


def retry_at(code: str, now: datetime, settings: dict) -> datetime:
    """When a lead with this non-final outcome may be called again."""
    delay = settings["retry_minutes"].get(code, 120)
    if delay == "next_day":
        return next_working_morning(now)
    return now + timedelta(minutes=int(delay))


def next_working_morning(now: datetime) -> datetime:
    """The next weekday at 08:00 UTC (09:00 in Paris in winter)."""
    day = now + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=8, minute=0, second=0, microsecond=0)
