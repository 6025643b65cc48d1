"""Opening and leaving the stats screen while its worker computes never kills the session."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest
from textual import events

from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.stats import StatsScreen
from tests.helpers import add_calls_today, add_leads, session


def press_now(app, key: str) -> None:
    """The key as the terminal driver hands it over. Pilot's `press` would wait for the app
    to be idle, worker threads included: it could never leave in the middle of a query."""
    app.post_message(events.Key(key, key if len(key) == 1 else None))


async def until(shown: Callable[[], bool]) -> None:
    for _ in range(1000):
        if shown():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the screen never changed")


@pytest.mark.slow
async def test_leaving_the_stats_screen_mid_computation_200_times(store):
    campaign = add_leads(store, "spring", 2000)
    add_calls_today(store, campaign, 50_000)  # a busy day: each computation takes a while
    rng = random.Random(11)
    async with session(store, size=(120, 40)) as (app, pilot):
        for _ in range(200):
            press_now(app, "t")
            await until(lambda: isinstance(app.screen, StatsScreen))
            await asyncio.sleep(rng.uniform(0, 0.15))  # the figures are being computed
            press_now(app, "escape")
            await until(lambda: isinstance(app.screen, SessionScreen))
        await pilot.press("t")
        for _ in range(100):
            if "50000 calls" in str(app.screen.query_one("#headline").render()):
                break
            await pilot.pause(0.1)
        assert "50000 calls" in str(app.screen.query_one("#headline").render())
        await pilot.press("escape")
        assert isinstance(app.screen, SessionScreen)
    assert app.return_code in (None, 0)
