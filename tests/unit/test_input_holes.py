"""Hostile inputs as one clear line and exit 2: pipes and devices as files, deep nesting, dates
and numbers out of range, a damaged database, a read-only folder, another program's WAL file."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core.questionnaires.show_if import evaluate, parse_condition
from prospect_tui.core.store import TABLES, Store
from tests.helpers import add_leads

QUESTION = '[[question]]\nid = "projet"\ntype = "yesno"\ntext = "Un projet ?"\n'


@pytest.fixture(autouse=True)
def _no_user_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user config, and any crash log of the old code in the test's folder."""
    monkeypatch.setenv("PROSPECT_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "p.db"
    store = Store(path)
    add_leads(store, "spring", 2)
    store.close()
    return path


def one_line(capsys: pytest.CaptureFixture[str], code: int) -> str:
    """The single error line of an exit 2, checked."""
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("prospect: error: "), err
    return err


def prospect(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`prospect ARGS` in a child capped at 1 GB of address space and 60 s: reading a device
    to its end fails there instead of taking the machine's memory."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "prospect_tui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=cap,
        timeout=60,
    )


def one_line_child(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


# --- files that are no files ---------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_device_as_questionnaire_is_one_line(db: Path, fifo: Path, kind: str):
    path = str(fifo if kind == "fifo" else Path("/dev/zero"))
    attach = prospect("--db", str(db), "campaign", "questionnaire", "spring", path)
    assert f"{path}: not a regular file" in one_line_child(attach)
    check = prospect("campaign", "questionnaire", "--check", path)
    assert f"{path}: not a regular file" in one_line_child(check)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_device_as_config_is_one_line(db: Path, fifo: Path, kind: str):
    path = str(fifo if kind == "fifo" else Path("/dev/zero"))
    result = prospect("--db", str(db), "stats", env={"PROSPECT_CONFIG": path})
    assert f"{path}: not a regular file" in one_line_child(result)


def test_a_huge_config_is_refused_unread(db: Path, tmp_path: Path, capsys, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("# a comment\n" * 200_000)  # 2.4 MB of nothing
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    err = one_line(capsys, main(["--db", str(db), "stats"]))
    assert f"{config}: more than 65,536 bytes, too big for a config file" in err


def test_a_questionnaire_over_1_mb_is_refused(db: Path, tmp_path: Path, capsys):
    path = tmp_path / "big.toml"
    path.write_text('title = "T"\n' + "# padding\n" * 110_000 + QUESTION)
    err = one_line(capsys, main(["campaign", "questionnaire", "--check", str(path)]))
    assert f"{path}: more than 1,000,000 bytes, too big for a questionnaire" in err


# --- nesting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    ["not " * 5000 + "projet == 'oui'", "(" * 5000 + "projet == 'oui'" + ")" * 5000,
     "projet in " + "[" * 5000 + "]" * 5000],
    ids=["not", "brackets", "lists"],
)  # fmt: skip
def test_show_if_nested_thousands_deep_is_one_line(tmp_path: Path, capsys, condition: str):
    path = tmp_path / "deep.toml"
    later = f'[[question]]\nid = "suite"\ntype = "yesno"\ntext = "?"\nshow_if = "{condition}"\n'
    path.write_text(f'title = "T"\n{QUESTION}{later}')
    err = one_line(capsys, main(["campaign", "questionnaire", "--check", str(path)]))
    assert "question 'suite': show_if: nested more than 32 levels deep" in err


def test_a_long_or_chain_is_a_valid_condition(tmp_path: Path, capsys):
    # 5,000 alternatives make one flat chain: neither a RecursionError nor a refusal.
    chain = " or ".join(f"projet == '{n}'" for n in range(5000))
    tree = parse_condition(chain)
    assert evaluate(tree, {"projet": "4999"}) is True
    assert evaluate(tree, {"projet": "none"}) is False
    path = tmp_path / "long.toml"
    later = f'[[question]]\nid = "suite"\ntype = "yesno"\ntext = "?"\nshow_if = "{chain}"\n'
    path.write_text(f'title = "T"\n{QUESTION}{later}')
    assert main(["campaign", "questionnaire", "--check", str(path)]) == 0
    assert "valid, 'T', 2 questions" in capsys.readouterr().out


@pytest.mark.parametrize(
    "nested", ["[" * 2000 + "]" * 2000, "{a = " * 2000 + "1" + "}" * 2000], ids=["arrays", "tables"]
)
def test_toml_nested_thousands_deep_is_one_line(
    db: Path, tmp_path: Path, capsys, monkeypatch, nested: str
):
    questionnaire = tmp_path / "deep.toml"
    questionnaire.write_text(f"title = {nested}\n{QUESTION}")
    err = one_line(capsys, main(["campaign", "questionnaire", "--check", str(questionnaire)]))
    assert "arrays or tables nested too deeply" in err
    config = tmp_path / "config.toml"
    config.write_text(f"keymap = {nested}\n")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    err = one_line(capsys, main(["--db", str(db), "stats"]))
    assert f"{config}: not a config: arrays or tables nested too deeply" in err


def test_thousands_of_unknown_questions_are_checked_in_linear_time(tmp_path: Path, capsys):
    # 450 questions naming 20 unknown ones each: 9,000 names (22 s before, one line each).
    parts = [f'title = "T"\n{QUESTION}']
    for number in range(450):
        condition = " or ".join(f"x{number}_{i} == 1" for i in range(20))
        parts.append(
            f'[[question]]\nid = "q{number}"\ntype = "yesno"\ntext = "?"\nshow_if = "{condition}"\n'
        )
    path = tmp_path / "unknown.toml"
    path.write_text("".join(parts))
    started = time.perf_counter()
    code = main(["campaign", "questionnaire", "--check", str(path)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 3, f"{elapsed:.1f} s"
    lines = err.splitlines()
    assert len(lines) == 450  # one per question, naming a few and counting the rest
    assert lines[0].endswith(
        "question 'q0': show_if names unknown questions ('x0_0', 'x0_1', 'x0_2' and 17 more):"
        " only earlier ones"
    )


# --- options out of range ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["stats", "--from", "0001-01-01", "--to", "9999-12-31"], "--from: '0001-01-01'"),
        (["stats", "--from", "2026-01-01", "--to", "9999-12-31"], "--to: '9999-12-31'"),
        (["report", "--week", "9999-12-31"], "--week: '9999-12-31'"),
        (["campaign", "new", "x", "--from", "spring", "--since", "0001-01-01"], "--since"),
        (["campaign", "new", "x", "--from", "spring", "--until", "9999-12-31"], "--until"),
        (["export", "optins", "--since", "9999-12-31T23:00:00-05:00"], "--since"),
        (["serve", "--port", "99999"], "--port: a whole number from 1 to 65535, not '99999'"),
        (["serve", "--port", "0"], "--port"),
        (["serve", "--session-hours", "nan"], "--session-hours: a number above 0"),
        (["serve", "--session-hours", "1e308"], "--session-hours"),
        (["serve", "--session-hours", "-1"], "--session-hours"),
        (["verify-emails", "--timeout", "nan"], "--timeout: a number above 0 and at most 300"),
        (["verify-emails", "--timeout", "inf"], "--timeout"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_an_option_out_of_range_is_one_line_naming_it(db: Path, capsys, args, named):
    err = one_line(capsys, main(["--db", str(db), *args]))
    assert named in err


def test_days_at_the_ends_of_the_range_still_work(db: Path, tmp_path: Path, capsys):
    assert main(["--db", str(db), "stats", "--from", "1970-01-01", "--to", "2200-12-31"]) == 0
    report = tmp_path / "r.html"
    assert main(["--db", str(db), "report", "--week", "2200-12-31", "-o", str(report)]) == 0
    assert main(["--db", str(db), "stats", "--from", "31/12/2199", "--to", "01/01/2200"]) == 0
    capsys.readouterr()


# --- damaged, read-only and foreign databases ----------------------------------------------


def test_the_tables_named_are_those_the_migrations_make(tmp_path: Path):
    store = Store(tmp_path / "fresh.db")
    made = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    store.close()
    assert made == TABLES, "a migration adds a table: add it to TABLES in core/store.py"


def test_a_database_missing_a_table_names_it(db: Path, capsys):
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DROP TABLE calls")
    conn.close()
    for command in (["stats"], ["export", "calls"], ["campaign", "list"]):
        err = one_line(capsys, main(["--db", str(db), *command]))
        assert f"{db}: the table 'calls' is missing" in err


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of `folder`: its bytes and its modification time (ns)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def as_a_user() -> list[str]:
    """A command prefix that runs as a non-root user, for whom chmod counts: a user namespace
    that maps this process's user to 1000 (root's files show as the user's own)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    prefix = ["unshare", "-U", "--map-user=1000", "--map-group=1000"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces here: {probe.stderr.decode().strip()}")
    return prefix


def test_a_database_in_a_read_only_folder_is_read_without_a_byte_written(db: Path, as_a_user):
    folder = db.parent
    before = files_of(folder)
    os.chmod(folder, 0o555)  # the file itself stays writable: only the folder is read-only
    try:
        results = [
            subprocess.run(
                [*as_a_user, sys.executable, "-m", "prospect_tui", "--db", str(db), *command],
                capture_output=True,
                text=True,
                timeout=60,
            )
            for command in (["stats", "--json"], ["export", "calls"], ["campaign", "list"])
        ]
        refused = subprocess.run(
            [*as_a_user, sys.executable, "-m", "prospect_tui", "--db", str(db), "campaign"]
            + ["set", "spring", "max_attempts", "3"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.chmod(folder, 0o700)
    for result in results:
        assert result.returncode == 0, result.stderr
    assert '"calls": 0' in results[0].stdout
    assert "spring" in results[2].stdout
    assert "read-only" in one_line_child(refused)
    assert files_of(folder) == before


def test_a_foreign_wal_database_is_refused_without_a_byte_changed(tmp_path: Path, capsys):
    folder = tmp_path / "other"
    folder.mkdir()
    # Another program's writer that ends without closing: its last change stays in the -wal.
    writer = (
        "import os, sqlite3\n"
        "c = sqlite3.connect('their.db')\n"
        "c.execute('PRAGMA journal_mode = WAL')\n"
        "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "c.execute('CREATE TABLE notes (body TEXT)')\n"
        "c.execute(\"INSERT INTO notes VALUES ('theirs')\")\n"
        "c.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", writer], cwd=folder, check=True)
    database, wal = folder / "their.db", folder / "their.db-wal"
    assert wal.stat().st_size > 0
    kept = {name: files_of(folder)[name] for name in (database.name, wal.name)}
    time.sleep(0.01)  # a rewrite would show in the mtimes
    err = one_line(capsys, main(["--db", str(database), "stats"]))
    assert "not a prospect database (it holds other tables: notes)" in err
    assert {name: files_of(folder)[name] for name in kept} == kept
