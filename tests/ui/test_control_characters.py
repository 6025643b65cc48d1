"""No control character from the data reaches the terminal: every screen shows it as a visible
escape (`␛]0;pwned␇`), so a lead file can't set the window title, write the clipboard or leave
the alternate screen of the caller's terminal (or of every served browser's xterm.js).
"""

from __future__ import annotations

import re

from textual.widgets import Input

from prospect_tui.app import make_app
from prospect_tui.core.text import visible
from prospect_tui.screens.callback_list import CallbackList
from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.settings import SettingsScreen
from prospect_tui.screens.stats import StatsScreen
from tests.helpers import add_leads, toasts

TITLE = "\x1b]0;pwned\x07"  # OSC 0: the terminal's window title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: writes "pwned" to the clipboard
LEAVE = "\x1b[?1049l"  # leaves the alternate screen: the app's display is gone
COMPANY = f"ACME{TITLE} SARL"
CONTACT = f"Jean{CLIPBOARD} Martin"
CITY = f"Lyon{LEAVE}"
SOURCE = f"list{TITLE}{LEAVE}"
NOTE = f"call{CLIPBOARD}\x9b2J back"  # and a C1 CSI, which some terminals obey
CAMPAIGN = f"Printemps{TITLE}"
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def hostile_lead(store) -> None:
    add_leads(store, CAMPAIGN, 3)
    with store.write() as conn:
        conn.execute(
            "UPDATE leads SET company = ?, contact_name = ?, manager_name = ?, city = ?,"
            " source = ?, notes = ? WHERE id = 1",
            (COMPANY, CONTACT, CONTACT, CITY, SOURCE, NOTE),
        )


def drawn(app) -> str:
    """What the screen sends to the terminal as text (the app's own styles left out), one
    line per row; a control character in it came from the data."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    for line in lines:
        assert not CONTROL.search(line), f"a control character reached the terminal: {line!r}"
    return "\n".join(lines)


def test_visible_escapes():
    assert visible(COMPANY) == "ACME␛]0;pwned␇ SARL"
    assert visible(NOTE) == "call␛]52;c;cHduZWQ=␇\\u009b2J back"
    assert visible("a\tb\x7f\x00") == "a b␡␀"
    assert visible("one\r\ntwo\nthree") == "one␍␊two␊three"
    assert visible("one\r\ntwo\nthree", lines=True) == "one\ntwo\nthree"
    assert visible("caf\udce9.csv") == "caf\\xe9.csv"  # a Latin-1 file name's byte
    assert visible("Société [/] ok") == "Société [/] ok"


async def test_every_screen_shows_control_characters_as_visible_escapes(store):
    hostile_lead(store)
    app = make_app(store, "alice", CAMPAIGN, config={})
    async with app.run_test(size=(120, 40), notifications=True) as pilot:

        async def press(*keys: str) -> str:
            await pilot.press(*keys)
            await pilot.pause()
            assert app.return_code is None, f"the app exited after {keys}"
            return drawn(app)

        shown = drawn(app)
        for value in (COMPANY, CONTACT, CITY, SOURCE, NOTE):
            assert visible(value) in shown  # the card shows it, escaped
        assert "Printemps␛]0;pwned␇" in shown  # the header
        for key, title in (("7", "Opt-in"), ("4", "Switchboard"), ("5", "Callback")):
            assert f"{title} · {visible(COMPANY)}" in await press(key)
            if key == "7":
                assert visible(CONTACT) in [field.value for field in app.screen.query(Input)]
            await press("escape")
        assert f"Note · {visible(COMPANY)}" in await press("n")
        await press("escape")
        assert visible(COMPANY) in await press("e")
        await press("escape")
        assert f"{visible(COMPANY)} · " in await press("slash", *"ACME")
        await press("escape")
        await press("k")  # the script panel, with the lead's fields
        await press("1", "u")
        assert f"Undone: {visible(COMPANY)} is back." in toasts(app)
        drawn(app)
        await press("5", "1", "enter")  # a callback, to list it
        assert visible(COMPANY) in await press("c")
        assert isinstance(app.screen, CallbackList)
        await press("enter")
        assert isinstance(app.screen, SessionScreen)
        await press("g")
        assert isinstance(app.screen, SettingsScreen)
        await press("escape")
        await press("t")
        assert isinstance(app.screen, StatsScreen)
        await app.workers.wait_for_complete()
        await press("escape")
        await press("question_mark")
        await press("escape")
        await press("o")
        assert f"{visible(COMPANY)}: opted out" in toasts(app)
        drawn(app)
