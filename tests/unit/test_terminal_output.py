"""Every command's output to a terminal shows the data's control characters as visible escapes;
files (and pipes) keep the data exactly as it was.

Each command runs in a subprocess whose stdout and stderr are a pseudo-terminal, as typed.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import sys

import pytest

from prospect_tui.core import UserError, users
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR
from tests.unit.consent_data import opt_in

TITLE = "\x1b]0;pwned\x07"  # OSC 0: the terminal's window title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: writes "pwned" to the clipboard
LEAVE = "\x1b[?1049l"  # leaves the alternate screen
COMPANY = f"ACME{TITLE} SARL"
CONTACT = f"Jean{CLIPBOARD} Martin"
SOURCE = f"Kompass{LEAVE}"
CALLER = f"elodie{TITLE}"
CAMPAIGN = f"Printemps{CLIPBOARD}"
PAYLOADS = (b"\x1b]0;pwned", b"\x1b]52;", b"\x1b[?1049l", b"\xc2\x9b")


def on_a_terminal(*args: str) -> tuple[int, bytes]:
    """Run `prospect ARGS` with a terminal as stdout and stderr: (exit code, what it showed)."""
    primary, secondary = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "prospect_tui", *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    return child.wait(timeout=60), bytes(shown)


def assert_no_payload(shown: bytes) -> None:
    for payload in PAYLOADS:
        assert payload not in shown, f"{payload!r} reached the terminal:\n{shown!r}"
    assert b"\x1b" not in shown  # the commands write no escape sequence of their own


@pytest.fixture
def hostile(store: Store) -> Store:
    """Opt-ins and calls whose company, contact, source, caller and campaign hold ESC
    sequences, and a failed login under a name that holds them."""
    opt_in(
        store,
        [
            {
                "company": COMPANY,
                "phone": "01 42 68 53 00",
                "contact_name": CONTACT,
                "email": "dsi@acme.fr",
            }
        ],
        campaign=CAMPAIGN,
        caller=CALLER,
    )
    with store.write() as conn:
        conn.execute("UPDATE leads SET source = ?", (SOURCE,))
    users.log_access(store, "login_failed", user=f"admin{TITLE}{LEAVE}", address="10.0.0.9")
    return store


@pytest.mark.parametrize(
    "command",
    [
        ["export", "optins"],
        ["export", "calls"],
        ["stats", "--by", "caller", "--period", "today"],
        ["stats", "--by", "campaign", "--period", "today"],
        ["campaign", "list"],
        ["campaign", "show", CAMPAIGN],
        ["user", "log"],
        ["user", "log", "--json"],
    ],
    ids=" ".join,
)
def test_commands_show_control_characters_as_visible_escapes(hostile, command):
    code, shown = on_a_terminal("--db", str(hostile.path), "--user", "boss", *command)
    assert code == 0, shown
    assert_no_payload(shown)
    text = shown.decode()
    if command[0] == "export":
        assert "ACME␛]0;pwned␇ SARL" in text
    elif command[-1] == "caller":
        assert "elodie␛]0;pwned␇" in text
    elif command[0] == "campaign":
        assert "Printemps␛]52;c;cHduZWQ=␇" in text
    elif command == ["user", "log"]:
        assert "admin␛]0;pwned␇␛[?1049l" in text


def test_a_failed_login_name_is_stored_escaped(hostile):
    (row,) = users.access_log(hostile, actor=A_SUPERVISOR)
    assert row["user"] == "admin␛]0;pwned␇␛[?1049l"


def test_user_log_escapes_names_stored_raw_by_an_older_version(store):
    with store.write() as conn:
        conn.execute(
            "INSERT INTO access_log (at, event, user_name, address, detail)"
            " VALUES ('2026-11-23T09:00:00Z', 'login_failed', ?, '10.0.0.9', '')",
            (f"admin{TITLE}",),
        )
    code, shown = on_a_terminal("--db", str(store.path), "user", "log")
    assert code == 0 and b"admin\xe2\x90\x9b]0;pwned" in shown  # ␛ in UTF-8
    assert_no_payload(shown)


def test_import_echoes_a_hostile_file_name_escaped(tmp_path):
    lead_file = tmp_path / f"leads{TITLE}.csv"
    lead_file.write_text(
        f'Société;Téléphone;Contact\n"{COMPANY}";01 42 68 53 00;"{CONTACT}"\n', encoding="utf-8"
    )
    db = tmp_path / "import.db"
    code, shown = on_a_terminal(
        "--db", str(db), "import", str(lead_file), "--campaign", CAMPAIGN, "--source", SOURCE
    )
    assert code == 0, shown
    assert_no_payload(shown)
    assert "leads␛]0;pwned␇.csv" in shown.decode()
    # The database keeps the lead's data as it was (a terminal shows it escaped).
    store = Store(db)
    lead = store.rows("SELECT company, contact_name, source FROM leads")[0]
    store.close()
    assert (lead["company"], lead["contact_name"]) == (COMPANY, CONTACT)
    assert lead["source"] == f"{lead_file.name} ({SOURCE})"


def test_an_error_quoting_the_input_is_escaped(tmp_path):
    code, shown = on_a_terminal("--db", str(tmp_path / "x.db"), "import", f"gone{TITLE}.csv")
    assert code == 2 and b"prospect: error:" in shown
    assert_no_payload(shown)


def exported(store: Store, *command: str) -> bytes:
    """What an export writes to a pipe (not a terminal)."""
    done = subprocess.run(
        [sys.executable, "-m", "prospect_tui", "--db", str(store.path), "--user", "boss"]
        + list(command),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def rows_of(raw: bytes) -> list[dict[str, str]]:
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize("what", ["optins", "calls"])
def test_files_and_pipes_keep_the_data_exactly(hostile, tmp_path, what):
    out = tmp_path / f"{what}.csv"
    exported(hostile, "export", what, "-o", str(out))
    for raw in (out.read_bytes(), exported(hostile, "export", what)):
        (row,) = rows_of(raw)
        assert COMPANY in row.values()
        assert CAMPAIGN in row.values() or CONTACT in row.values()


def test_stats_csv_to_a_file_keeps_the_caller_name(hostile, tmp_path):
    raw = exported(hostile, "stats", "--by", "caller", "--period", "today", "--csv")
    assert [row["caller"] for row in rows_of(raw)] == [CALLER]


def test_export_to_a_terminal_is_the_same_table_escaped(hostile, tmp_path):
    code, shown = on_a_terminal("--db", str(hostile.path), "--user", "boss", "export", "optins")
    assert code == 0
    piped = exported(hostile, "export", "optins").decode("utf-8-sig")
    # The terminal turns \n into \r\n; the escaped CRLF rows are shown as plain lines.
    assert shown.decode().replace("\r\n", "\n").lstrip("\ufeff") == piped.replace(
        "\r\n", "\n"
    ).replace(TITLE, "␛]0;pwned␇").replace(CLIPBOARD, "␛]52;c;cHduZWQ=␇").replace(LEAVE, "␛[?1049l")


def test_files_written_hold_no_escapes_of_ours(hostile, tmp_path):
    # A file is not a terminal: the ESC bytes are there, as the lead file had them.
    out = tmp_path / "optins.csv"
    exported(hostile, "export", "optins", "-o", str(out))
    assert TITLE.encode() in out.read_bytes() and "␛".encode() not in out.read_bytes()


@pytest.mark.parametrize("name", [f"admin{TITLE}", "admin\n", "adm\x9bin", "admin\t"])
def test_user_add_refuses_a_name_with_a_control_character(name):
    with pytest.raises(UserError):
        users.check_name(name)
