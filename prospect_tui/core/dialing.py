"""Which lead comes next, and what an outcome does: the caller's loop, UI-free.

A lead is claimed in one UPDATE under BEGIN IMMEDIATE, so two callers never get the
same one; a claim left by a crashed session expires after `claim_minutes`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import DEFAULTS, NEXT_DAY, campaign_settings
from prospect_tui.core.clock import iso, parse_iso
from prospect_tui.core.emails import check_email
from prospect_tui.core.hours import (
    CONSUMER_ATTEMPT_DAYS,
    CONSUMER_MAX_ATTEMPTS,
    CONSUMER_REFUSAL_PAUSE_DAYS,
    CallingPolicy,
    callee_zone,
    moment_text,
    zone_label,
)
from prospect_tui.core.outcomes import BY_CODE, MAX_ATTEMPTS
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppress, suppression_hash

_CLAIM_FREE = "(q.claimed_until IS NULL OR q.claimed_until < :now OR q.claimed_by = :caller)"

# Consumer guard (décret 2022-1313), checked when claiming so that it holds whatever happened
# before it was switched on: at most 4 attempts in 30 days, 60 days' rest after a refusal.
# A refusal already finishes a lead; the 60 days bind when it is reopened (an edit, a data
# fix, an undo followed by a new outcome), counted from the last refusal not undone.
_GUARD_FILTER = """
        AND (SELECT count(*) FROM calls k WHERE k.lead_id = q.id AND k.undone_at IS NULL
             AND k.started_at > :attempts_since) < :attempts_max
        AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.lead_id = q.id AND k.undone_at IS NULL
             AND k.outcome = 'refused' AND k.started_at > :refused_since)"""

# A session re-reads its campaign's time zones this often (leads may be imported meanwhile).
ZONES_REFRESH = timedelta(minutes=5)


@lru_cache(maxsize=128)
def _claim_sql(queue_order: str, zone_count: int | None, guard: bool, peek: bool = False) -> str:
    """One UPDATE claiming due callbacks for this caller first, then retries and fresh leads.

    Retries come before fresh leads unless `queue_order` is fresh_first. Open time zones are
    bound as :z0, :z1...; None means no hours to respect. Each subquery walks an index
    (leads_queue, callbacks_due); the zone test is a column check on the rows walked.
    `peek` makes it a SELECT of the lead that would come after lead :current, claiming nothing.
    """
    zones = ""
    if zone_count is not None:
        names = ", ".join(f":z{i}" for i in range(zone_count))
        zones = f"\n        AND q.timezone IN ({names})"
    leads_filter = (
        zones
        + (_GUARD_FILTER if guard else "")
        + ("\n        AND q.id != :current" if peek else "")
    )
    # A callback keeps the time agreed with the callee: campaign hours don't hold it back,
    # the consumer guard (a legal limit) does.
    callbacks_filter = leads_filter if guard else ("\n        AND q.id != :current" if peek else "")
    callbacks = f"""(SELECT q.id FROM callbacks c JOIN leads q ON q.id = c.lead_id
      WHERE c.campaign_id = :campaign AND c.done_at IS NULL AND c.due_at <= :now
        AND (c.owner IS NULL OR c.owner = :caller) AND q.status = 'callback'
        AND {_CLAIM_FREE}{callbacks_filter}
      ORDER BY c.due_at LIMIT 1)"""
    retries = f"""(SELECT q.id FROM leads q
      WHERE q.campaign_id = :campaign AND q.status = 'open'
        AND q.next_call_at IS NOT NULL AND q.next_call_at <= :now AND {_CLAIM_FREE}{leads_filter}
      ORDER BY q.next_call_at LIMIT 1)"""
    fresh = f"""(SELECT q.id FROM leads q
      WHERE q.campaign_id = :campaign AND q.status = 'open' AND q.next_call_at IS NULL
        AND {_CLAIM_FREE}{leads_filter}
      ORDER BY q.id LIMIT 1)"""
    first, second = (fresh, retries) if queue_order == "fresh_first" else (retries, fresh)
    if peek:
        return f"SELECT * FROM leads WHERE id = COALESCE({callbacks}, {first}, {second})"
    return f"""UPDATE leads SET claimed_by = :caller, claimed_until = :until
WHERE id = COALESCE({callbacks}, {first}, {second})
RETURNING *"""


def _first(cursor: sqlite3.Cursor) -> dict | None:
    names = [c[0] for c in cursor.description]
    found = cursor.fetchone()
    return dict(zip(names, found, strict=True)) if found else None


def _guard_params(now: datetime) -> dict:
    return {
        "attempts_since": iso(now - timedelta(days=CONSUMER_ATTEMPT_DAYS)),
        "attempts_max": CONSUMER_MAX_ATTEMPTS,
        "refused_since": iso(now - timedelta(days=CONSUMER_REFUSAL_PAUSE_DAYS)),
    }


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


# Why no lead: the campaign's open leads per time zone, and the callbacks still pending.
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


SKIP_MINUTES = 5


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
    # The call as stored, for counters kept without a query (Today.count).
    outcome: str = ""
    reached: str = ""
    started_at: str = ""
    duration_s: float = 0.0


class Dialer:
    """One caller working one campaign."""

    def __init__(self, store: Store, caller: str, campaign: dict) -> None:
        self.store = store
        self.caller = caller
        self.campaign = campaign
        self.settings = campaign_settings(campaign)
        self.history: list[Recorded] = []
        # The campaign's hours (retry times follow them) and this session's (after an override).
        self.hours_policy = CallingPolicy.from_settings(self.settings)
        self.policy = self.hours_policy
        # Where "next at 14:05" is shown: None is the caller's own clock.
        self.display_zone: tzinfo | None = None
        self._zones: list[str] | None = None
        self._zones_read_at: datetime | None = None

    def _now(self) -> datetime:
        return self.store.clock()

    def next_lead(self) -> dict | None:
        """Claim the next lead for this caller, or None when nothing is callable now."""
        sql, params = self._queue_query()
        with self.store.write() as conn:
            return _first(conn.execute(sql, params))

    def peek_next(self, current: int) -> dict | None:
        """The lead next_lead() would claim once `current` is recorded, claiming nothing.

        A guess for getting the next card ready while the caller talks: another caller may
        take that lead, or a callback fall due, before the outcome key is pressed.
        """
        sql, params = self._queue_query(peek=True)
        return _first(self.store.conn.execute(sql, params | {"current": current}))

    def _queue_query(self, peek: bool = False) -> tuple[str, dict]:
        now = self._now()
        until = now + timedelta(minutes=self.settings["claim_minutes"])
        params = {
            "caller": self.caller,
            "campaign": self.campaign["id"],
            "now": iso(now),
            "until": iso(until),
        }
        # Which zones are open is decided here, in Python; the claim stays one statement.
        zones = None
        if not self.policy.unrestricted:
            zones = self.policy.open_zones(self._campaign_zones(now), now)
            params.update({f"z{i}": zone for i, zone in enumerate(zones)})
        if self.policy.guard:
            params.update(_guard_params(now))
        sql = _claim_sql(
            self.settings["queue_order"],
            None if zones is None else len(zones),
            self.policy.guard,
            peek,
        )
        return sql, params

    def _campaign_zones(self, now: datetime) -> list[str]:
        """The time zones of the campaign's callable leads, read once every few minutes."""
        if (
            self._zones is None
            or self._zones_read_at is None
            or (now - self._zones_read_at > ZONES_REFRESH)
        ):
            self._zones = [
                row[0]
                for row in self.store.conn.execute(
                    "SELECT DISTINCT timezone FROM leads WHERE campaign_id = ?"
                    " AND status IN ('open', 'callback')",
                    (self.campaign["id"],),
                )
            ]
            self._zones_read_at = now
        return self._zones

    @property
    def hours_overridden(self) -> bool:
        return self.policy is not self.hours_policy

    def override_hours(self, reason: str) -> None:
        """Call outside the calling hours and on holidays for the rest of this session; logged.

        The consumer guard, a legal limit, still holds when the campaign has it on.
        """
        reason = " ".join(reason.split())
        if not reason:
            raise UserError("say why you call outside the calling hours")
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO hours_overrides (campaign_id, caller, at, reason, calling_hours,"
                " consumer_guard) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.campaign["id"],
                    self.caller,
                    self.store.now(),
                    reason,
                    str(self.settings["calling_hours"]),
                    int(self.policy.guard),
                ),
            )
        self.policy = CallingPolicy.from_settings(self.settings, overridden=True)

    def why_none(self) -> str:
        """One line telling the caller why no lead is offered now."""
        return self.no_lead_reason().message

    def no_lead_reason(self) -> NoLead:
        """Why next_lead() returned None: hours, a holiday, retries to wait for, or the end."""
        now = self._now()
        self._zones = None  # read the zones again: a new import may have brought leads
        zones = self._campaign_zones(now)
        open_zones = None if self.policy.unrestricted else self.policy.open_zones(zones, now)
        params = {"campaign": self.campaign["id"], "caller": self.caller, "now": iso(now)}
        ready_open = taken = waiting = 0
        closed: list[str] = []
        retry_times: list[datetime] = []
        for row in self.store.rows(_WAITING_SQL, params):
            free = row["ready"] - row["taken"]
            taken += row["taken"]
            if free and (open_zones is None or row["timezone"] in open_zones):
                ready_open += free
            elif free:
                closed.append(row["timezone"])
            if row["next_retry"]:
                waiting += row["waiting"]
                # A retry whose time comes outside the hours waits for the next opening.
                opening = self.policy.next_opening(row["timezone"], parse_iso(row["next_retry"]))
                if opening is not None:
                    retry_times.append(opening)
        callbacks = self.store.row(_PENDING_CALLBACKS_SQL, params) or {}
        if ready_open and self.policy.guard:
            return NoLead(
                "guard",
                f"Consumer guard: {ready_open} leads rest (4 attempts in 30 days,"
                " or refused within 60 days)",
            )
        if ready_open:
            return NoLead("taken", "Leads were just taken by other callers: try again", now)
        if closed:
            return self._closed_reason(closed, now)
        parts: list[str] = []
        if waiting:
            when = min(retry_times) if retry_times else None
            parts.append(f"{waiting} waiting for retry, next at {self._when(when, now)}")
        if callbacks.get("mine"):
            due = parse_iso(callbacks["next_due"])
            retry_times.append(due)
            count = callbacks["mine"]
            plural = "s" if count > 1 else ""
            parts.append(f"{count} callback{plural} pending, next at {self._when(due, now)}")
        if parts and taken:
            parts.append(f"{taken} with other callers")
        if parts:
            return NoLead(
                "waiting", "All leads called; " + "; ".join(parts), min(retry_times, default=None)
            )
        if taken:
            return NoLead("taken", f"The remaining leads are with other callers ({taken})")
        total = self.store.count_leads(self.campaign["id"])
        if not total:
            return NoLead("empty", "No leads in this campaign yet: import a file")
        others = callbacks.get("others") or 0
        if others:
            return NoLead(
                "finished", f"List finished for you; {others} callbacks belong to other callers"
            )
        return NoLead("finished", "List finished")

    def _when(self, moment: datetime | None, now: datetime) -> str:
        if moment is None:
            return "none in the coming year"
        return moment_text(moment, self.display_zone, now)

    def _closed_reason(self, zones: list[str], now: datetime) -> NoLead:
        """Leads are ready but their zones are closed: say which hours and when they open."""
        openings = [(self.policy.next_opening(zone, now), zone) for zone in zones]
        known = [(when, zone) for when, zone in openings if when is not None]
        when, zone = min(known) if known else (None, zones[0])
        shown = "none in the coming year"
        if when is not None:
            shown = moment_text(when, callee_zone(zone), now)
        label = zone_label(zone)
        holiday = self.policy.holiday(zone, now)
        if holiday:
            return NoLead(
                "holiday", f"Public holiday ({holiday}, {label}); next opening {shown}", when
            )
        guard = ", consumer guard" if self.policy.guard else ""
        hours = self.policy.schedule.text
        return NoLead(
            "hours", f"Outside calling hours ({hours}{guard}, {label}); next opening {shown}", when
        )

    def release(self, lead_id: int) -> None:
        """Give the lead back to the pool (quit or skip): no outcome is recorded."""
        with self.store.write() as conn:
            conn.execute(
                "UPDATE leads SET claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND claimed_by = ?",
                (lead_id, self.caller),
            )

    def skip(self, lead_id: int) -> None:
        """Back to the pool with no outcome, out of the queue for a few minutes so the
        next claim doesn't hand the same lead straight back."""
        later = iso(self._now() + timedelta(minutes=SKIP_MINUTES))
        with self.store.write() as conn:
            conn.execute(
                "UPDATE leads SET claimed_by = NULL, claimed_until = NULL,"
                " next_call_at = CASE WHEN status = 'open'"
                " THEN max(coalesce(next_call_at, ''), ?) ELSE next_call_at END"
                " WHERE id = ? AND claimed_by = ?",
                (later, lead_id, self.caller),
            )

    def undo(self) -> dict | None:
        """Take back this session's last outcome: the call is flagged undone, the lead restored.

        Returns the lead, claimed again for this caller, or None when there is nothing to undo.
        """
        if not self.history:
            return None
        last = self.history.pop()
        before = last.lead_before
        now = self._now()
        at = iso(now)
        until = iso(now + timedelta(minutes=self.settings["claim_minutes"]))
        with self.store.write() as conn:
            recorded_at = conn.execute(
                "SELECT ended_at FROM calls WHERE id = ?", (last.call_id,)
            ).fetchone()[0]
            conn.execute("UPDATE calls SET undone_at = ? WHERE id = ?", (at, last.call_id))
            conn.execute(
                "UPDATE leads SET status = ?, final_outcome = ?, attempts = ?, last_called_at = ?,"
                " next_call_at = ?, claimed_by = ?, claimed_until = ? WHERE id = ?",
                (
                    before["status"],
                    before["final_outcome"],
                    before["attempts"],
                    before["last_called_at"],
                    before["next_call_at"],
                    self.caller,
                    until,
                    before["id"],
                ),
            )
            # The callback this call set is cancelled; one it settled is pending again.
            conn.execute(
                "UPDATE callbacks SET done_at = ? WHERE call_id = ? AND done_at IS NULL",
                (at, last.call_id),
            )
            conn.execute(
                "UPDATE callbacks SET done_at = NULL WHERE lead_id = ? AND done_at = ?"
                " AND (call_id IS NULL OR call_id != ?)",
                (before["id"], recorded_at, last.call_id),
            )
            for kind, value in last.suppressed:
                conn.execute(
                    "DELETE FROM suppressions WHERE kind = ? AND hash = ? AND added_at = ?",
                    (kind, suppression_hash(kind, value), recorded_at),
                )
            granted = conn.execute(
                "SELECT email, email_typed, contact_name, contact_title, phone_e164"
                " FROM consent_events WHERE call_id = ? AND event = 'granted'",
                (last.call_id,),
            ).fetchone()
            if granted is not None:
                from prospect_tui.core.consent import record_consent

                # Consent rows are append-only: an undone opt-in is withdrawn, not deleted.
                record_consent(
                    conn,
                    event="withdrawn",
                    lead=before,
                    call_id=last.call_id,
                    email=granted[0],
                    email_typed=granted[1],
                    contact_name=granted[2],
                    contact_title=granted[3],
                    caller=self.caller,
                    at=at,
                    phone_e164=granted[4],
                    settings={**self.settings, "purpose": "opt-in undone by the caller"},
                )
        return self.store.lead(before["id"])

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
            status, final, next_at = self._lead_state(
                outcome.code, attempts, now, callback, zone=lead["timezone"]
            )
            if status == "open" and self.policy.guard:
                next_at = _guard_rest(conn, lead_id, now, next_at)
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
        self.history.append(
            Recorded(
                call_id,
                lead,
                suppressed,
                outcome.code,
                reached,
                iso(started_at),
                round(duration_s, 1),
            )
        )
        return call_id

    def record_and_next(self, lead_id: int, outcome_code: str, **details) -> dict | None:
        """Record an outcome and claim the next lead in one transaction (one disk sync).

        The outcome is committed before the caller sees the next lead, as with record().
        """
        with self.store.write():
            self.record(lead_id, outcome_code, **details)
            try:
                return self.next_lead()
            except BaseException:
                self.history.pop()  # rolled back with the claim
                raise

    def _lead_state(
        self,
        code: str,
        attempts: int,
        now: datetime,
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
        if attempts >= int(self.settings["max_attempts"]):
            return "done", MAX_ATTEMPTS, None
        return "open", None, iso(retry_at(code, now, self.settings, zone))


def retry_at(code: str, now: datetime, settings: dict, zone: str = "") -> datetime:
    """When a lead with this non-final outcome may be called again (`zone`: the callee's)."""
    delay = settings["retry_minutes"].get(code, DEFAULTS["retry_minutes"].get(code, 120))
    if delay == NEXT_DAY:
        return next_working_morning(now, zone, settings)
    return now + timedelta(minutes=int(delay))


def next_working_morning(now: datetime, zone: str = "", settings: dict | None = None) -> datetime:
    """The start of calling hours on the callee's next working day, public holidays skipped.

    A switchboard that says "he's out today" means tomorrow, at the first hour we may call.
    """
    policy = CallingPolicy.from_settings(settings if settings is not None else DEFAULTS)
    return policy.next_working_start(zone, now)


def lead_history(store: Store, lead_id: int, limit: int = 10) -> list[dict]:
    """The latest attempts on a lead (when, who, outcome), newest first, undone ones left out."""
    return store.rows(
        "SELECT started_at, caller, outcome, duration_s, note FROM calls"
        " WHERE lead_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT ?",
        (lead_id, limit),
    )


@dataclass
class Today:
    """The caller's counters for today (since `since`), always on screen."""

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
    due = callbacks_due_today(store, caller, campaign_id, day_start)
    return Today(row["calls"], row["managers"], row["opt_ins"], due, row["talk_s"], since)


def callbacks_due_today(store: Store, caller: str, campaign_id: int, day_start: datetime) -> int:
    """Callbacks for this caller (his own or anyone's) due before the end of the day."""
    return store.scalar(
        "SELECT count(*) FROM callbacks WHERE campaign_id = ? AND done_at IS NULL"
        " AND due_at < ? AND (owner IS NULL OR owner = ?)",
        (campaign_id, iso(day_start + timedelta(days=1)), caller),
    )
