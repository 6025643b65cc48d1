"""No control character from the data reaches the terminal: every screen shows it as a visible
escape (`␛]0;pwned␇`), so a lead file can't set the window title, write the clipboard or leave
the alternate screen of the caller's terminal (or of every served browser's xterm.js).
"""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Input

from prospect_tui.app import make_app
from prospect_tui.core.config import Config
from prospect_tui.core.text import visible
from prospect_tui.screens.callback_list import CallbackList
from prospect_tui.screens.import_file import ImportScreen
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
    app = make_app(store, "alice", CAMPAIGN, config=Config())
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
            shown = await press(key)
            assert f"{title} · {visible(COMPANY)}" in shown
            if key == "7":  # the field draws the contact escaped, and keeps it as it was
                assert visible(CONTACT) in shown
                assert CONTACT in [field.value for field in app.screen.query(Input)]
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
        assert f"Opt-out · {visible(COMPANY)}" in await press("o")  # asked once first
        await press("enter")
        assert f"{visible(COMPANY)}: opted out" in toasts(app)
        drawn(app)


async def test_the_import_preview_the_file_tree_and_the_figures_show_escapes(
    store, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the import screen's file tree lists this folder
    lead_file = tmp_path / f"leads{TITLE}.csv"
    lead_file.write_text(
        f'Société;Téléphone;"Contact{LEAVE}"\n"{COMPANY}";01 42 68 53 00;"{CONTACT}"\n'
        + "".join(f"Société {i:02d};01 42 68 54 {i:02d};Contact {i}\n" for i in range(30)),
        encoding="utf-8",
    )
    hostile_lead(store)
    app = make_app(store, f"alice{CLIPBOARD}", CAMPAIGN, config=Config())
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("1")  # a call by this caller, for the figures
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ImportScreen)
        app.screen.query_one("#path", Input).value = str(lead_file)
        await pilot.press("enter")
        await pilot.pause(0.2)
        shown = drawn(app)
        assert "leads␛]0;pwned␇.csv" in shown  # the file tree
        assert visible(COMPANY) in shown and "Contact␛[?1049l" in shown  # the preview
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "alice␛]52;c;cHduZWQ=␇" in drawn(app)  # the figures by caller


UI = Path(__file__).resolve().parents[2] / "prospect_tui"
BUILT_RAW = re.compile(r"(?<![\w.])(?:Content|Text)\((?![\")])")  # from anything but a literal
RAW_INPUT = re.compile(r"(?<![\w.])Input\(")


def test_screens_build_outside_text_only_through_the_safe_helpers():
    """A screen or widget that builds Content or Text from a variable, or a plain Input, would
    draw a lead's ESC as it is: `safe()`, `safe_text()` and `SafeInput` are the way."""
    sources = [*UI.glob("screens/*.py"), *UI.glob("widgets/*.py"), UI / "app.py"]
    sources.append(UI / "commands.py")
    for source in sources:
        if source.name == "safe.py":
            continue
        text = source.read_text(encoding="utf-8")
        assert not BUILT_RAW.search(text), f"{source.name}: build it with safe() or safe_text()"
        assert not RAW_INPUT.search(text), f"{source.name}: use SafeInput"
