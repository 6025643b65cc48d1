"""The session as a caller: the keys and palette commands of what his role may not do are
hidden, and the core refuses them anyway (a caller once set every hour as calling hours)."""

from __future__ import annotations

from prospect_tui.app import make_app
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.config import Config
from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.settings import SettingsScreen
from tests.helpers import add_leads, session, toasts

CALLERS_CONFIG = Config(supervisors=("sue",))


def palette_titles(app) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


async def test_a_caller_cannot_change_calling_hours(store):
    add_leads(store, "spring", 2, {"calling_hours": "mon-fri 09:00-18:00"})
    before = store.campaign("spring")["settings"]
    app = make_app(store, "ann", "spring", config=CALLERS_CONFIG)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("g", "i")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)  # neither key opens its screen
        assert not {"Settings", "Import"} & set(palette_titles(app))
        # A way round the hidden key still ends in the core's refusal.
        app.push_screen(SettingsScreen(store, "spring", app.actor))
        await pilot.pause()
        table = app.screen.query_one("#settings")
        keys = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        table.move_cursor(row=keys.index("calling_hours"))
        await pilot.press("enter")
        app.screen.query_one("#value").value = "mon-sun 00:00-23:59"
        await pilot.press("enter")
        await pilot.pause()
        assert "refused: only a supervisor may change campaign settings" in toasts(app)
    assert store.campaign("spring")["settings"] == before
    assert campaign_settings(store.campaign("spring"))["calling_hours"] == "mon-fri 09:00-18:00"


async def test_a_supervisor_has_the_keys(store):
    add_leads(store, "spring", 1)
    async with session(store, caller="sue", config=CALLERS_CONFIG) as (app, pilot):
        assert {"Settings", "Import"} <= set(palette_titles(app))
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
