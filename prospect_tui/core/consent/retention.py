"""Retention (`prospect consent purge`): leads with no contact from the prospect for an age.

They are erased as `forget` does, without a suppression: expiry is not an objection.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prospect_tui.core import UserError
from prospect_tui.core.clock import iso
from prospect_tui.core.consent.erasure import Erasure, erase_leads
from prospect_tui.core.roles import Actor, require

if TYPE_CHECKING:
    from prospect_tui.core.store import Store

_AGE = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$", re.IGNORECASE)
# Retention is counted in years; a longer age is a typo, and would leave the calendar.
_MOST = {"y": 100, "m": 1200, "w": 5217, "d": 36524}


def cutoff(age: str, now: datetime) -> datetime:
    """The moment `age` ("3y", "18m", "6w", "90d") before `now`, by the calendar."""
    match = _AGE.match(age)
    shown = age.strip() if len(age.strip()) <= 16 else age.strip()[:12] + "..."
    if match is None:
        raise UserError(f"--older-than {shown!r}: write it like 3y, 18m, 6w or 90d")
    digits, unit = match.group(1).lstrip("0") or "0", match.group(2).lower()
    count = int(digits) if len(digits) <= 6 else _MOST[unit] + 1
    if count > _MOST[unit]:
        raise UserError(f"--older-than {shown}: at most 100 years ({_MOST[unit]}{unit})")
    try:
        if unit in "wd":
            return now - timedelta(days=count * (7 if unit == "w" else 1))
        months = count * (12 if unit == "y" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        # 29 February or the 31st in a shorter month: that month's last day.
        day = min(now.day, calendar.monthrange(year, month + 1)[1]) if year >= 1 else 1
        return now.replace(year=year, month=month + 1, day=day)
    except (ValueError, OverflowError):
        raise UserError(
            f"--older-than {shown}: reaches before the year 1 from {now.date().isoformat()}"
        ) from None


# Retention runs from collection (import) or the last contact that came from the prospect:
# a call where the manager answered, or a consent event.
_PURGE_SQL = """
SELECT id, company, last_contact FROM (
  SELECT l.id, l.company, max(
      l.created_at,
      coalesce((SELECT max(c.started_at) FROM calls c WHERE c.lead_id = l.id
                 AND c.reached = 'manager' AND c.undone_at IS NULL), ''),
      coalesce((SELECT max(e.at) FROM consent_events e WHERE e.lead_id = l.id), '')
  ) AS last_contact
  FROM leads l WHERE l.erased_at IS NULL
) WHERE last_contact < ? ORDER BY last_contact, id
"""


def purge_candidates(store: Store, older_than: str, *, actor: Actor) -> list[dict[str, Any]]:
    """Leads with no contact from the prospect since `older_than` ago, oldest first."""
    require(actor, "purge")
    return store.rows(_PURGE_SQL, (iso(cutoff(older_than, store.clock())),))


def purge(store: Store, older_than: str, *, actor: Actor) -> Erasure:
    """Erase every lead `purge_candidates` lists, in one transaction.

    No suppression is added: expiry is not an objection, so a later list may bring the
    company back.
    """
    at = store.now()
    with store.write() as conn:
        lead_ids = [r["id"] for r in purge_candidates(store, older_than, actor=actor)]
        return erase_leads(conn, lead_ids, at)
