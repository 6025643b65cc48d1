"""Opt-ins made the way a caller makes them: leads in the table, then Dialer.record("opt_in").

Shared by the exporter and consent tests.
"""

from __future__ import annotations

from datetime import timedelta

from prospect_tui.core.dialing import Dialer, OptIn
from prospect_tui.core.phones import parse_phone
from prospect_tui.core.store import Store


def add_lead(
    store: Store,
    campaign: dict,
    *,
    company: str,
    phone: str,
    city: str = "Lyon",
    contact_name: str = "",
    email: str = "",
    website: str = "",
) -> int:
    number = parse_phone(phone)
    assert number is not None, phone
    with store.write() as conn:
        return conn.execute(
            "INSERT INTO leads (campaign_id, company, phone_e164, phone_national, phone_type,"
            " timezone, city, contact_name, email, website, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Fichier Kompass 2026', ?)",
            (
                campaign["id"],
                company,
                number.e164,
                number.national,
                number.type,
                number.timezone,
                city,
                contact_name,
                email,
                website,
                store.now(),
            ),
        ).lastrowid


def opt_in(
    store: Store,
    people: list[dict],
    *,
    campaign: str = "Printemps",
    caller: str = "Élodie",
) -> list[int]:
    """Insert one lead per dict (company, phone, email, optional city/contact_name) and
    record an opt-in call for each through the real Dialer; returns the lead ids."""
    row = store.ensure_campaign(campaign, {"calling_hours": "off"})
    ids = [
        add_lead(
            store,
            row,
            company=p["company"],
            phone=p["phone"],
            city=p.get("city", "Lyon"),
            contact_name=p.get("contact_name", ""),
        )
        for p in people
    ]
    dialer = Dialer(store, caller, row)
    by_id = dict(zip(ids, people, strict=True))
    for _ in people:
        lead = dialer.next_lead()
        assert lead is not None and lead["id"] in by_id, "campaign had other open leads"
        person = by_id[lead["id"]]
        dialer.record(
            lead["id"],
            "opt_in",
            started_at=store.clock() - timedelta(seconds=95),
            duration_s=95,
            note=person.get("note", ""),
            opt_in=OptIn(email=person["email"], contact_title="DSI"),
        )
    return ids
