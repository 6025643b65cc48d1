"""Test data built through the real store (a campaign, valid French leads) and what a
Pilot test reads off the session screen."""

from __future__ import annotations

from prospect_tui.core.phones import parse_phone
from prospect_tui.core.store import Store


def add_leads(store: Store, campaign: str, count: int, settings: dict | None = None) -> dict:
    """Create `campaign` (calling hours off unless told) with `count` leads; returns it."""
    chosen = {"calling_hours": "off", **(settings or {})}
    row = store.ensure_campaign(campaign, chosen)
    start = store.count_leads()
    with store.write() as conn:
        for i in range(start, start + count):
            phone = parse_phone(f"01 42 68 {i // 100:02d} {i % 100:02d}")
            conn.execute(
                "INSERT INTO leads (campaign_id, company, phone_e164, phone_national, phone_type,"
                " timezone, city, contact_name, source, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["id"],
                    f"Société {i:03d}",
                    phone.e164,
                    phone.national,
                    phone.type,
                    phone.timezone,
                    "Lyon",
                    f"Contact {i}",
                    "test list",
                    store.now(),
                ),
            )
    return row


def card_text(app) -> str:
    """The lead card's text as the caller reads it."""
    from prospect_tui.widgets.lead_card import LeadCard

    return str(app.screen.query_one(LeadCard).render())


def screen_text(app) -> str:
    """Every character on the app's screen, as drawn from the widgets' cached lines.

    Unlike `card_text`, this shows what a terminal would: a line left stale by a partial
    redraw shows up here.
    """
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
