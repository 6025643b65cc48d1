"""Which lead a caller gets: the claim, the peek ahead, the claim's renewal, skip and release.

A lead is claimed in one UPDATE under BEGIN IMMEDIATE, so two callers never get the same one.
A session renews its claim while the lead is on screen; a claim left by a crashed session
expires after `claim_minutes`.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, cast

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.clock import iso
from prospect_tui.core.hours import (
    CONSUMER_ATTEMPT_DAYS,
    CONSUMER_MAX_ATTEMPTS,
    CONSUMER_REFUSAL_PAUSE_DAYS,
    CallingPolicy,
)
from prospect_tui.core.records import Campaign, CampaignSettings, Lead
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppression_hash

_CLAIM_FREE = "(q.claimed_until IS NULL OR q.claimed_until < :now OR q.claimed_by = :caller)"

# Never offered: a lead whose number, or the direct line it would be dialled on, is on the
# do-not-call list, whatever its status says (the list is kept as hashes: see suppression.py).
_NOT_SUPPRESSED = """
        AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.kind = 'phone'
             AND s.hash IN (suppression_hash('phone', q.phone_e164),
                            suppression_hash('phone', q.direct_line_e164)))"""

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
SKIP_MINUTES = 5


def _hash_or_none(kind: str, value: str | None) -> str | None:
    return suppression_hash(kind, value) if value else None


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
    current = "\n        AND q.id != :current" if peek else ""
    leads_filter = zones + (_GUARD_FILTER if guard else "") + current + _NOT_SUPPRESSED
    # A callback keeps the time agreed with the callee: campaign hours don't hold it back,
    # the consumer guard (a legal limit) does.
    callbacks_filter = leads_filter if guard else current + _NOT_SUPPRESSED
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


def first_lead(cursor: sqlite3.Cursor) -> Lead | None:
    """The first row of a `SELECT * FROM leads` (or RETURNING *) as a Lead."""
    names = [c[0] for c in cursor.description]
    found = cursor.fetchone()
    return cast(Lead, dict(zip(names, found, strict=True))) if found else None


def _guard_params(now: datetime) -> dict[str, Any]:
    return {
        "attempts_since": iso(now - timedelta(days=CONSUMER_ATTEMPT_DAYS)),
        "attempts_max": CONSUMER_MAX_ATTEMPTS,
        "refused_since": iso(now - timedelta(days=CONSUMER_REFUSAL_PAUSE_DAYS)),
    }


class Queue:
    """One caller's place in one campaign's queue: what he may claim now, and his claim."""

    def __init__(self, store: Store, caller: str, campaign: Campaign) -> None:
        self.store = store
        self.caller = caller
        self.campaign = campaign
        self.settings: CampaignSettings = campaign_settings(campaign)
        # The campaign's hours (retry times follow them) and this session's (after an override).
        self.hours_policy = CallingPolicy.from_settings(self.settings_dict)
        self.policy = self.hours_policy
        # Where "next at 14:05" is shown: None is the caller's own clock.
        self.display_zone: tzinfo | None = None
        self._zones: list[str] | None = None
        self._zones_read_at: datetime | None = None
        store.conn.create_function("suppression_hash", 2, _hash_or_none, deterministic=True)

    @property
    def settings_dict(self) -> dict[str, Any]:
        """The settings as the modules that take a plain dict read them."""
        return cast(dict[str, Any], self.settings)

    def _now(self) -> datetime:
        return self.store.clock()

    def _until(self, now: datetime) -> str:
        return iso(now + timedelta(minutes=int(self.settings["claim_minutes"])))

    def next_lead(self) -> Lead | None:
        """Claim the next lead for this caller, or None when nothing is callable now."""
        sql, params = self._queue_query()
        with self.store.write() as conn:
            return first_lead(conn.execute(sql, params))

    def resume(self) -> Lead | None:
        """At a session's start: the lead this caller still holds in this campaign (his last
        session ended without giving it back: opened elsewhere, a crash), else next_lead()."""
        now = self._now()
        params = {"caller": self.caller, "campaign": self.campaign["id"], "now": iso(now)}
        with self.store.write() as conn:
            held = first_lead(
                conn.execute(
                    f"""UPDATE leads SET claimed_until = :until WHERE id = (SELECT q.id FROM leads q
      WHERE q.campaign_id = :campaign AND q.claimed_by = :caller AND q.claimed_until >= :now
        AND q.status IN ('open', 'callback'){_NOT_SUPPRESSED}
      ORDER BY q.claimed_until DESC LIMIT 1)
RETURNING *""",
                    params | {"until": self._until(now)},
                )
            )
        return held or self.next_lead()

    def peek_next(self, current: int) -> Lead | None:
        """The lead next_lead() would claim once `current` is recorded, claiming nothing.

        A guess for getting the next card ready while the caller talks: another caller may
        take that lead, or a callback fall due, before the outcome key is pressed.
        """
        sql, params = self._queue_query(peek=True)
        return first_lead(self.store.conn.execute(sql, params | {"current": current}))

    def _queue_query(self, peek: bool = False) -> tuple[str, dict[str, Any]]:
        now = self._now()
        params: dict[str, Any] = {
            "caller": self.caller,
            "campaign": self.campaign["id"],
            "now": iso(now),
            "until": self._until(now),
        }
        # Which zones are open is decided here, in Python; the claim stays one statement.
        zones = None
        if not self.policy.unrestricted:
            zones = self.policy.open_zones(self.campaign_zones(now), now)
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

    def campaign_zones(self, now: datetime, fresh: bool = False) -> list[str]:
        """The time zones of the campaign's callable leads, read once every few minutes."""
        if (
            fresh
            or self._zones is None
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
        self.policy = CallingPolicy.from_settings(self.settings_dict, overridden=True)

    def renew(self, lead_id: int, patience_s: float) -> bool:
        """Extend this caller's claim on the lead on screen (the session's heartbeat).

        False when the claim is no longer his: it expired and another caller took the lead,
        or the lead was recorded meanwhile. One UPDATE by primary key under the write lock.
        """
        with self.store.write(patience_s) as conn:
            renewed = conn.execute(
                "UPDATE leads SET claimed_until = ? WHERE id = ? AND claimed_by = ? RETURNING id",
                (self._until(self._now()), lead_id, self.caller),
            ).fetchone()
        return renewed is not None

    def holder(self, lead_id: int) -> str | None:
        """Who holds the lead now (a claim not expired), None when nobody does."""
        found = self.store.conn.execute(
            "SELECT claimed_by FROM leads WHERE id = ? AND claimed_until >= ?",
            (lead_id, iso(self._now())),
        ).fetchone()
        return found[0] if found else None

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
