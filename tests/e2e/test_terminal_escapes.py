"""The app in a real terminal on a lead file whose company, contact and source hold ESC
sequences: the bytes it writes carry none of them (`script` records every byte sent).

Skipped with a reason when tmux or script is missing (.ci/run installs them).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.terminal import Terminal

TITLE = "\x1b]0;pwned\x07"  # OSC 0: the terminal's window title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: writes "pwned" to the clipboard
LEAVE = "\x1b[?1049l"  # leaves the alternate screen: the app's display is gone
PAYLOADS = (b"\x1b]0;pwned", b"\x1b]52;", b"\x1b[?1049l")
pytestmark = [
    pytest.mark.terminal,
    pytest.mark.skipif(
        shutil.which("tmux") is None or shutil.which("script") is None,
        reason="tmux or script is not installed",
    ),
]


def assert_none_sent(shown: bytes) -> None:
    for payload in PAYLOADS:
        assert payload not in shown, f"{payload!r} from the lead file reached the terminal"


@pytest.fixture
def terminal_name(tmp_path):
    name = f"prospect-escapes-{os.getpid()}-{tmp_path.name}"
    yield name
    subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)


def test_no_escape_sequence_from_a_lead_file_reaches_the_terminal(tmp_path, terminal_name):
    lead_file = tmp_path / "leads.csv"
    lead_file.write_text(
        "Société;Téléphone;Contact\n"
        f'"ACME{TITLE}{CLIPBOARD}{LEAVE} SARL";01 42 68 53 00;"Jean{CLIPBOARD}{TITLE} Martin"\n'
        f'"Dupont{LEAVE}";01 42 68 53 01;"Paul{TITLE}"\n'
        # Plain rows, as a real list has: a file mostly of control characters is refused.
        + "".join(f"Société {i:02d};01 42 68 54 {i:02d};Contact {i}\n" for i in range(30)),
        encoding="utf-8",
    )
    db = tmp_path / "escapes.db"
    imported = subprocess.run(
        [sys.executable, "-m", "prospect_tui", "--db", str(db), "import", str(lead_file)]
        + ["--campaign", "c", "--source", f"Kompass{TITLE}{LEAVE}", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    recorded = tmp_path / "typescript"
    app = f"{sys.executable} -m prospect_tui --db {db} --caller e2e --campaign c"
    # `script` sits between tmux and the app and records every byte the app writes.
    command = f"script -q -f -c {shlex.quote(app)} {recorded}"
    term = Terminal(terminal_name, command, width=100, height=30)
    term.wait_for("Attempts")  # the first lead's card is drawn
    assert_none_sent(recorded.read_bytes())
    term.wait_for("Jean␛]52;c;cHduZWQ=␇␛]0;pwned␇ Martin")  # shown escaped
    term.wait_for("Kompass␛]0;pwned␇␛[?1049l")
    term.keys("7")  # the opt-in form: title and contact name
    term.wait_for("Email address")
    term.keys("Escape")
    term.wait_until(lambda shown: "Email address" not in shown, "the form closed")
    term.keys("/")  # the find screen lists both leads
    term.type("ACME")
    term.wait_for("ACME␛]0;pwned␇␛]52;c;cHduZWQ=␇␛[?1049l SARL · ")
    term.keys("Escape")
    term.wait_until(lambda shown: "Find a lead" not in shown, "the find screen closed")
    term.keys("k")  # the script, filled with the lead's fields
    term.keys("1")  # next lead, whose company leaves the alternate screen
    term.wait_for("Dupont␛[?1049l")
    # Read while the app runs: on leaving, the app itself rightly writes ESC[?1049l.
    shown = recorded.read_bytes()
    assert "ACME␛]0;pwned␇".encode() in shown
    assert_none_sent(shown)
    title = subprocess.run(
        [*term.tmux, "display-message", "-p", "-t", terminal_name, "#{pane_title}"],
        capture_output=True,
        text=True,
    ).stdout
    assert "pwned" not in title
    term.keys("C-q")
    assert term.wait_closed(10), "ctrl+q did not quit"
