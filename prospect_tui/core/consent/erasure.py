"""Erasure (`prospect consent forget`): a person blanked everywhere, his rows kept as tombstones.

Only the suppression hashes of his identities remain, so he is never imported again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prospect_tui.core import UserError
from prospect_tui.core.consent.chain import PERSONAL_FIELDS
from prospect_tui.core.consent.optout import LeadIndex, identify, lead_identities
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.suppression import suppress

if TYPE_CHECKING:
    from prospect_tui.core.store import Store

_LEAD_ERASED = (
    "UPDATE leads SET company = '', phone_e164 = NULL, phone_national = '', city = '',"
    " postcode = '', contact_name = '', contact_title = '', email = '', siret = '',"
    " website = '', extra = '{}', manager_name = '', direct_line_e164 = '', best_time = '',"
    " notes = '', status = 'done', next_call_at = NULL, claimed_by = NULL,"
    " claimed_until = NULL, erased_at = :at WHERE id = :id"
)


@dataclass
class Erasure:
    """What an erasure or a purge removed (counts only: the data itself is gone)."""

    leads: list[int] = field(default_factory=list)
    calls: int = 0
    consent_events: int = 0

    def summary(self) -> str:
        return (
            f"erased {len(self.leads)} leads, {self.calls} call notes,"
            f" {self.consent_events} consent events (kept as tombstones)"
        )


def erase_leads(conn: sqlite3.Connection, lead_ids: Iterable[int], at: str) -> Erasure:
    """Blank every personal field of these leads, their calls' notes and consent rows.

    Leads and calls stay as anonymous rows so counts and statistics still add up.
    """
    done = Erasure()
    for lead_id in lead_ids:
        conn.execute(_LEAD_ERASED, {"at": at, "id": lead_id})
        done.calls += conn.execute(
            "UPDATE calls SET note = '', dialled_e164 = '' WHERE lead_id = ?"
            " AND (note != '' OR dialled_e164 != '')",
            (lead_id,),
        ).rowcount
        conn.execute(
            "UPDATE callbacks SET done_at = ? WHERE lead_id = ? AND done_at IS NULL", (at, lead_id)
        )
        done.consent_events += _tombstone(conn, "lead_id = ?", (lead_id,), at)
        done.leads.append(lead_id)
    return done


def _tombstone(conn: sqlite3.Connection, where: str, params: tuple[Any, ...], at: str) -> int:
    blanks = ", ".join(f"{name} = ''" for name in PERSONAL_FIELDS)
    return conn.execute(
        f"UPDATE consent_events SET {blanks}, erased_at = ? WHERE erased_at IS NULL AND {where}",
        (at, *params),
    ).rowcount


def forget(store: Store, value: str, *, actor: Actor) -> Erasure:
    """Erase one person everywhere, keeping only the suppression hashes of their identities."""
    require(actor, "erase")
    identity = identify(value)
    if identity is None:
        raise UserError(f"{value!r} is neither a valid email address nor a phone number")
    kind, normal = identity
    at = store.now()
    with store.write() as conn:
        lead_ids = sorted(LeadIndex(conn).leads(kind, normal))
        identities = {identity}
        for lead_id in lead_ids:
            lead = store.lead(lead_id)
            if lead is not None:
                identities |= lead_identities(conn, lead)
        for found_kind, found_value in identities:
            suppress(conn, found_kind, found_value, "erasure", actor.name, at)
        done = erase_leads(conn, lead_ids, at)
        # Events whose lead was already erased or missing, found by the value itself.
        column = "lower(email)" if kind == "email" else "phone_e164"
        done.consent_events += _tombstone(conn, f"{column} = ?", (normal,), at)
    return done
