"""Names from a lead file are text on every screen: never read as markup, never fatal.

A company called `ACME [/] SARL [bold]x` once froze the session on `7` and exited it.
"""

from __future__ import annotations

from textual.widgets import Input

from prospect_tui.app import make_app
from prospect_tui.core.config import Config
from prospect_tui.screens.callback_list import CallbackList
from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.settings import SettingsScreen
from prospect_tui.screens.stats import StatsScreen
from tests.helpers import add_leads, screen_text, toasts

COMPANY = "ACME [/] SARL [bold]x"
CONTACT = "[red]Jean[/]"
CAMPAIGN = "Printemps [/] [i]26"


def untrusted_lead(store) -> None:
    add_leads(store, CAMPAIGN, 3)
    with store.write() as conn:
        conn.execute(
            "UPDATE leads SET company = ?, contact_name = ?, manager_name = ? WHERE id = 1",
            (COMPANY, CONTACT, CONTACT),
        )


def inputs(app) -> list[str]:
    return [field.value for field in app.screen.query(Input)]


async def test_every_screen_shows_untrusted_names_as_written(store):
    untrusted_lead(store)
    app = make_app(store, "alice", CAMPAIGN, config=Config())
    async with app.run_test(size=(120, 40), notifications=True) as pilot:

        async def press(*keys: str) -> str:
            await pilot.press(*keys)
            await pilot.pause()
            assert app.return_code is None, f"the app exited after {keys}"
            return screen_text(app)

        shown = screen_text(app)
        assert COMPANY in shown and CONTACT in shown  # the card and the script panel
        assert CAMPAIGN in shown  # the header
        for key, title in (("7", "Opt-in"), ("4", "Switchboard"), ("5", "Callback")):
            assert f"{title} · {COMPANY}" in await press(key)
            if key == "7":
                assert CONTACT in inputs(app)
            await press("escape")
        assert f"Note · {COMPANY}" in await press("n")
        await press("escape")
        await press("e")
        assert COMPANY in inputs(app) and CONTACT in inputs(app)
        await press("escape")
        assert f"{COMPANY} · " in await press("slash", *"ACME")
        await press("escape")
        await press("1", "u")
        assert f"Undone: {COMPANY} is back." in toasts(app)
        await press("5", "1", "enter")  # a callback, to list it
        assert COMPANY in await press("c")
        assert isinstance(app.screen, CallbackList)
        await press("enter")  # back to the lead
        assert isinstance(app.screen, SessionScreen) and COMPANY in screen_text(app)
        assert CAMPAIGN in await press("g")
        assert isinstance(app.screen, SettingsScreen)
        await press("escape")
        assert CAMPAIGN in await press("t")
        assert isinstance(app.screen, StatsScreen)
        await press("escape")
        await press("k")
        await press("k")
        await press("question_mark")
        await press("escape")
        await press("ctrl+p", *"Stats")
        await press("escape")
        assert f"Opt-out · {COMPANY}" in await press("o")
        await press("enter")
        assert f"{COMPANY}: opted out" in toasts(app)
        assert isinstance(app.screen, SessionScreen)
