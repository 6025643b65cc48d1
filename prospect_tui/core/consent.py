"""Consent proof: an append-only log of granted / withdrawn events, hash-chained.

Each event's hash covers its fields and the previous event's hash, so any edit shows.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

HASHED_FIELDS = (
    "lead_id",
    "campaign_id",
    "call_id",
    "event",
    "email",
    "email_typed",
    "contact_name",
    "contact_title",
    "caller",
    "at",
    "phone_e164",
    "consent_text",
    "consent_version",
    "purpose",
    "source",
)


def event_hash(event: dict, prev_hash: str) -> str:
    payload = json.dumps([prev_hash] + [event.get(k) for k in HASHED_FIELDS], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def record_consent(
    conn: sqlite3.Connection,
    *,
    event: str,
    lead: dict | None,
    call_id: int | None,
    email: str,
    email_typed: str,
    contact_name: str,
    contact_title: str,
    caller: str,
    at: str,
    phone_e164: str,
    settings: dict,
) -> int:
    """Append one event (inside the caller's transaction) and chain it to the last one."""
    row = {
        "lead_id": lead["id"] if lead else None,
        "campaign_id": lead["campaign_id"] if lead else None,
        "call_id": call_id,
        "event": event,
        "email": email,
        "email_typed": email_typed,
        "contact_name": contact_name,
        "contact_title": contact_title,
        "caller": caller,
        "at": at,
        "phone_e164": phone_e164,
        "consent_text": settings.get("consent_text", ""),
        "consent_version": str(settings.get("consent_version", "")),
        "purpose": settings.get("purpose", ""),
        "source": lead["source"] if lead else "",
    }
    last = conn.execute("SELECT hash FROM consent_events ORDER BY id DESC LIMIT 1").fetchone()
    row["prev_hash"] = last[0] if last else ""
    row["hash"] = event_hash(row, row["prev_hash"])
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(
        f"INSERT INTO consent_events ({columns}) VALUES ({marks})", tuple(row.values())
    )
    return cursor.lastrowid
