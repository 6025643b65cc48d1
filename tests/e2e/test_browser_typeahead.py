"""Type-ahead in the browser (issue 19): keys sent as one burst of keyboard events to the
focused page (Selenium ActionChains, as a person types, not element.send_keys), then the
database must hold exactly what was meant: the note saved, no call recorded by its digits.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.served import PASSWORDS
from tests.e2e.test_browser import claimed, log_in, open_browser, screen, server, wait_until

__all__ = ["open_browser", "server"]  # the fixtures, shared with test_browser.py
pytestmark = pytest.mark.browser


def test_n_then_a_note_in_one_burst_saves_the_note_and_records_no_call(server, open_browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    db = server.db
    browser = open_browser()
    log_in(browser, server.url, "bob", PASSWORDS["bob"])
    lead = wait_until(lambda: claimed(db, "bob"), "bob's lead")
    wait_until(lambda: lead in screen(browser), f"{lead!r} in the browser")
    terminal = browser.find_element(By.CSS_SELECTOR, ".xterm-screen")
    ActionChains(browser).click(terminal).perform()  # the page takes the keyboard
    ActionChains(browser).send_keys("n", "rappeler après 17h", Keys.ENTER).perform()
    notes = wait_until(lambda: noted(db), "the note in the database")
    assert notes == [(lead, "bob: rappeler après 17h")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM calls WHERE caller = 'bob'").fetchone() == (0,)


def noted(db) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT company, notes FROM leads WHERE notes != ''").fetchall()
    return [(company, note.split(" ", 2)[2]) for company, note in found]
