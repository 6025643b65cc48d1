"""Test data built through the real store (a campaign, valid French leads) and what a
Pilot test reads off the session screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from prospect_tui.core.config import Config
from prospect_tui.core.phones import parse_phone
from prospect_tui.core.roles import CALLER, SUPERVISOR, Actor
from prospect_tui.core.store import Store

# Who does what in the tests: the roles table (core/roles.py) is checked by every guarded call.
A_SUPERVISOR = Actor("sue", SUPERVISOR)
A_CALLER = Actor("ann", CALLER)


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


@asynccontextmanager
async def session(
    store: Store,
    caller: str = "alice",
    campaign: str = "spring",
    config: Config | None = None,
    size: tuple[int, int] = (100, 32),
) -> AsyncIterator[tuple]:
    """A calling session on `campaign` in a test terminal: `async with session(store) as
    (app, pilot):`. The config is empty unless given (never the user's own file)."""
    from prospect_tui.app import make_app

    app = make_app(store, caller, campaign, config=Config() if config is None else config)
    async with app.run_test(size=size) as pilot:
        yield app, pilot


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


def toasts(app) -> str:
    """The notifications on show, one per line, as the caller reads them."""
    from textual.widgets._toast import Toast

    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


def add_calls_today(store: Store, campaign: dict, count: int) -> None:
    """`count` calls on the campaign's leads, spread over today before the store's clock:
    a busy day, written in one executemany (hundreds of thousands in a few seconds)."""
    now = store.clock()
    found = store.rows("SELECT id FROM leads WHERE campaign_id = ?", [campaign["id"]])
    leads = [row["id"] for row in found]
    outcomes = ("no_answer", "busy", "voicemail", "switchboard", "refused")
    callers = ("alice", "bruno", "chloe", "david")
    start = now.replace(hour=7, minute=0, second=0)
    span = max(1, int((now - start).total_seconds()) - 60)
    rows = [
        (
            leads[i % len(leads)],
            campaign["id"],
            callers[i % len(callers)],
            outcomes[i % len(outcomes)],
            "manager" if i % 5 == 4 else "none",
            (start + timedelta(seconds=i * span // count)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            (start + timedelta(seconds=i * span // count + 30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            30.0,
        )
        for i in range(count)
    ]
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO calls (lead_id, campaign_id, caller, outcome, reached, started_at,"
            " ended_at, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def burst(pilot, *keys: str) -> None:
    """Keys as a fast typist or a paste sends them: all handed to the app before it reads the
    first (`pilot.press` waits for the app to go idle after each key), then time to settle.

    Each key is a character ("7", "é") or a key name ("enter", "ctrl+u", "escape")."""
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        if len(key) == 1:
            pilot.app.post_message(events.Key(_character_to_key(key), key))
        else:
            pilot.app.post_message(events.Key(key, None))
    await pilot.pause(0.3)
    await pilot.pause()
