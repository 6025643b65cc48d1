"""The lead card redraws only what changed between leads: nothing stale may stay on screen."""

from __future__ import annotations

import json

from prospect_tui.widgets.lead_card import LeadCard
from tests.helpers import add_leads, screen_text, session


async def test_next_lead_leaves_nothing_of_the_previous_one_on_screen(store):
    add_leads(store, "spring", 4)
    long_extra = {f"Column {n:02d}": f"value {n:02d}" for n in range(40)}
    with store.write() as conn:
        conn.execute("UPDATE leads SET extra = ? WHERE id = 1", (json.dumps(long_extra),))
        conn.execute("UPDATE leads SET notes = 'ask for the CFO too' WHERE id = 3")
    async with session(store) as (app, pilot):
        scroll = app.screen.query_one("#card-scroll")
        # Longer than the view: the card grows and scrolls.
        assert scroll.max_scroll_y > 0
        assert "Column 00" in screen_text(app)
        await pilot.press("1")
        await pilot.pause()
        shown = screen_text(app)
        assert "Société 001" in shown
        assert "Column" not in shown and "Société 000" not in shown
        assert scroll.max_scroll_y == 0
        await pilot.press("1")  # to a lead with one more line (its note)
        await pilot.pause()
        assert "ask for the CFO too" in screen_text(app)
        await pilot.press("1")  # and back to a shorter one
        await pilot.pause()
        shown = screen_text(app)
        assert "Société 003" in shown and "Société 002" not in shown
        assert "CFO" not in shown
        assert shown.count("Attempts") == 1


async def test_the_card_drawn_ahead_is_used_only_while_the_lead_is_unchanged(store):
    add_leads(store, "spring", 4)
    async with session(store) as (app, pilot):
        await pilot.pause(0.1)  # the caller talks: the next card is drawn meanwhile
        screen = app.screen
        assert "Société 001" in str(screen.ahead.drawn.text)
        with store.write() as conn:  # a colleague renames it in the meantime
            conn.execute("UPDATE leads SET company = 'Renamed SA' WHERE id = 2")
        await pilot.press("1")
        await pilot.pause()
        shown = screen_text(app)
        assert "Renamed SA" in shown and "Société 001" not in shown
        await pilot.pause(0.1)
        ahead = screen.ahead
        assert "Société 002" in str(ahead.drawn.text)
        await pilot.press("1")
        await pilot.pause()
        assert "Société 002" in screen_text(app)
        assert screen.query_one(LeadCard)._drawn is ahead.drawn  # shown as drawn ahead


async def test_a_theme_change_is_not_undone_by_a_card_drawn_before_it(store):
    add_leads(store, "spring", 3)
    async with session(store) as (app, pilot):
        await pilot.pause(0.1)  # the next card is drawn ahead, in the current theme
        card = app.screen.query_one(LeadCard)
        before = list(card.render_line(0))[0].style
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        shown = list(card.render_line(0))[0].style
        assert shown.bgcolor != before.bgcolor
        assert shown.bgcolor == card.visual_style.rich_style.bgcolor
