"""Changes a caller makes to a lead outside an outcome: notes, edits, what the switchboard said.

Also finding a lead by company, phone or contact name, and jumping to it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prospect_tui.core import UserError
from prospect_tui.core.clock import iso
from prospect_tui.core.phones import parse_phone
from prospect_tui.core.store import Store


def add_note(store: Store, lead_id: int, note: str, caller: str, zone: ZoneInfo) -> None:
    """Append a line dated on the clock of `zone` (the team's) and signed to the lead's notes
    (notes are never overwritten)."""
    note = note.strip()
    if not note:
        return
    stamp = store.clock().astimezone(zone).strftime("%d/%m %H:%M")
    with store.write() as conn:
        conn.execute(
            "UPDATE leads SET notes = ltrim(notes || char(10) || ?, char(10)) WHERE id = ?",
            (f"{stamp} {caller}: {note}", lead_id),
        )


def save_switchboard_info(
    store: Store, lead_id: int, manager_name: str, direct_line: str, best_time: str, region: str
) -> None:
    """Keep what the switchboard told us; an empty field keeps what we knew before."""
    phone_e164 = ""
    if direct_line.strip():
        phone = parse_phone(direct_line, region)
        if phone is None:
            raise UserError(f"{direct_line.strip()!r} is not a valid phone number")
        phone_e164 = phone.e164
    with store.write() as conn:
        conn.execute(
            "UPDATE leads SET manager_name = coalesce(nullif(?, ''), manager_name),"
            " direct_line_e164 = coalesce(nullif(?, ''), direct_line_e164),"
            " best_time = coalesce(nullif(?, ''), best_time) WHERE id = ?",
            (manager_name.strip(), phone_e164, best_time.strip(), lead_id),
        )


def edit_lead(
    store: Store, lead_id: int, company: str, phone: str, contact_name: str, region: str
) -> dict[str, Any]:
    """Correct a lead's company, phone or contact; the phone is validated and must stay unique."""
    company = company.strip()
    if not company:
        raise UserError("the company name cannot be empty")
    parsed = parse_phone(phone, region)
    if parsed is None:
        raise UserError(f"{phone.strip()!r} is not a valid phone number")
    other = store.row(
        "SELECT company FROM leads WHERE phone_e164 = ? AND id != ?"
        " AND campaign_id = (SELECT campaign_id FROM leads WHERE id = ?)",
        (parsed.e164, lead_id, lead_id),
    )
    if other is not None:
        raise UserError(f"{parsed.national} is already the number of {other['company']}")
    with store.write() as conn:
        conn.execute(
            "UPDATE leads SET company = ?, phone_e164 = ?, phone_national = ?, phone_type = ?,"
            " timezone = ?, contact_name = ? WHERE id = ?",
            (
                company,
                parsed.e164,
                parsed.national,
                parsed.type,
                parsed.timezone,
                contact_name.strip(),
                lead_id,
            ),
        )
    return _existing(store, lead_id)


def _existing(store: Store, lead_id: int) -> dict[str, Any]:
    found = store.lead(lead_id)
    if found is None:  # erased (`forget`, `purge`) while it was on screen
        raise UserError(f"lead {lead_id} no longer exists")
    return found


def find_leads(store: Store, campaign_id: int, text: str, limit: int = 20) -> list[dict[str, Any]]:
    """Leads whose company, contact or phone matches `text` (digits match any phone spelling)."""
    text = text.strip()
    if not text:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    # What was typed is matched as written: `%` and `_` in "100%_net" are not wildcards.
    like = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    # "06 12" and "0612" both match +33612...: compare digits after the leading 0.
    phone_like = f"%{digits.lstrip('0')}%" if len(digits) >= 4 else None
    return store.rows(
        "SELECT * FROM leads WHERE campaign_id = ? AND (company LIKE ? ESCAPE '\\'"
        " OR contact_name LIKE ? ESCAPE '\\' OR manager_name LIKE ? ESCAPE '\\'"
        " OR (? IS NOT NULL AND (phone_e164 LIKE ? OR direct_line_e164 LIKE ?)))"
        " ORDER BY company LIMIT ?",
        (campaign_id, like, like, like, phone_like, phone_like, phone_like, limit),
    )


def claim_lead(store: Store, lead_id: int, caller: str, minutes: int) -> dict[str, Any]:
    """Take a chosen lead (after a search) unless another caller has it on screen."""
    now = store.clock()
    with store.write() as conn:
        cursor = conn.execute(
            "UPDATE leads SET claimed_by = ?, claimed_until = ? WHERE id = ?"
            " AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?) RETURNING id",
            (caller, iso(now + timedelta(minutes=minutes)), lead_id, iso(now), caller),
        )
        taken = cursor.fetchone()
    lead = _existing(store, lead_id)
    if taken is None:
        raise UserError(f"{lead['company']} is on {lead['claimed_by']}'s screen right now")
    return lead
