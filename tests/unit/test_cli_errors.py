"""The command line's error boundary: the machine's refusals in one line (exit 2), and any
unexpected error as one line (exit 1) with its traceback in a private log, never on screen."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from prospect_tui import cli
from prospect_tui.core.store import Store
from tests.helpers import add_leads


def prospect(*args: str | bytes, env: dict | None = None) -> subprocess.CompletedProcess:
    """`prospect ARGS` in a fresh process, as a user types it (with no user config)."""
    return subprocess.run(
        [sys.executable, "-m", "prospect_tui", *args],
        capture_output=True,
        env={**os.environ, "PROSPECT_CONFIG": "/nonexistent/config.toml", **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess, code: int = 2) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == code, err
    assert b"Traceback" not in result.stderr + result.stdout
    assert err.count("\n") == 1, err
    return err


def test_db_below_a_regular_file_is_one_line(tmp_path):
    regular = tmp_path / "notes.txt"
    regular.write_text("not a folder")
    err = one_line_error(prospect("--db", str(regular / "x.db"), "stats"))
    assert (
        err == f"prospect: error: {regular / 'x.db'}: cannot create the database"
        f" ({regular} is not a folder)\n"
    )


def test_db_in_proc_is_one_line():
    err = one_line_error(prospect("--db", "/proc/prospect-test/x.db", "stats"))
    assert "cannot create the database" in err


def test_config_path_that_is_a_folder_is_one_line(tmp_path):
    result = prospect(
        "--db", str(tmp_path / "p.db"), "stats", env={"PROSPECT_CONFIG": str(tmp_path)}
    )
    assert "not a config file" in one_line_error(result)


def test_a_file_name_that_is_not_utf8_is_printed_not_a_crash(tmp_path):
    db = os.fsencode(tmp_path) + b"/caf\xe9.db"
    # A desktop's UTF-8 terminal: Python's stdout is strict there.
    result = prospect("--db", db, "locate", env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    assert b"caf\\udce9.db" in result.stdout
    result = prospect("--db", db, "stats", "--json", env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    assert os.path.exists(db)
    leads = os.fsencode(tmp_path) + b"/soci\xe9t\xe9s.csv"
    Path(os.fsdecode(leads)).write_text("company;phone\nACME;01 42 68 53 00\n")
    # Imported, its name kept with escapes where it was not UTF-8 (the campaign, the source).
    result = prospect("--db", db, "import", leads, env={"PYTHONIOENCODING": "utf-8"})
    assert result.returncode == 0, result.stderr
    assert b"1 imported" in result.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_output_to_a_full_device_is_one_line(tmp_path):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "prospect_tui", "--db", str(tmp_path / "p.db"), "stats"],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "PROSPECT_CONFIG": "/nonexistent/config.toml"},
        )
    assert result.returncode == 2
    assert result.stderr == b"prospect: error: No space left on device\n"


def test_an_unexpected_error_is_one_line_and_a_private_log(tmp_path, monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("boom\nin two lines")

    monkeypatch.setattr(cli, "cmd_session", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("prospect: internal error: RuntimeError: boom in two lines (details in ")
    assert err.count("\n") == 1 and "Traceback" not in err
    log = Path(err.rstrip().removesuffix(")").rsplit("details in ", 1)[1])
    assert log.is_relative_to(tmp_path / "state")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "Traceback" in log.read_text() and "boom" in log.read_text()


# `unshare` gives one command a mount of its own, which refuses writes even to root (chmod
# alone would not): the database file or folder mounted read-only, or a tiny tmpfs that fills.


def in_namespace(mount: str, target: Path, *commands: list[str]) -> subprocess.CompletedProcess:
    """Run each `prospect` command line in turn with `target` mounted by `mount`."""
    lines = " ; ".join(
        " ".join([shlex.quote(sys.executable), "-m", "prospect_tui", *map(shlex.quote, c)])
        for c in commands
    )
    script = f"{mount} {shlex.quote(str(target))} && {{ {lines} ; }}"
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        env={**os.environ, "PROSPECT_CONFIG": "/nonexistent/config.toml"},
        timeout=120,
    )


def read_only(target: Path, *args: str) -> subprocess.CompletedProcess:
    return in_namespace(f"mount --bind -o ro {shlex.quote(str(target))}", target, list(args))


@pytest.fixture
def namespaces() -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces here: {probe.stderr.decode().strip()}")


@pytest.fixture
def filled_db(tmp_path, namespaces) -> Path:
    path = tmp_path / "ro" / "p.db"
    path.parent.mkdir()
    store = Store(path)
    add_leads(store, "spring", 3)
    store.close()
    return path


@pytest.mark.parametrize("mounted", ["file", "folder"])
def test_a_read_only_database_is_read_and_writes_say_read_only(filled_db, mounted):
    target = filled_db if mounted == "file" else filled_db.parent
    db = str(filled_db)
    stats = read_only(target, "--db", db, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["calls"] == 0
    export = read_only(target, "--db", db, "export", "calls")
    assert export.returncode == 0, export.stderr
    listing = read_only(target, "--db", db, "campaign", "list")
    assert b"spring" in listing.stdout, listing.stderr
    change = ["--db", db, "campaign", "set", "spring", "max_attempts", "3"]
    assert "read-only" in one_line_error(read_only(target, *change))
    assert "read-only" in one_line_error(read_only(target, "--db", db, "--caller", "anne"))


def test_a_full_disk_during_an_import_is_one_line_and_imports_nothing(tmp_path, namespaces):
    leads = tmp_path / "leads.csv"
    rows = [f"Société {i};01 42 {i // 100 % 100:02d} {i % 100:02d} 00" for i in range(3000)]
    leads.write_text("company;phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    disk = tmp_path / "disk"
    disk.mkdir()
    db = str(disk / "p.db")
    result = in_namespace(
        "mount -t tmpfs -o size=400k tmpfs",
        disk,
        ["--db", db, "campaign", "list"],  # the schema fits; 3000 leads do not
        ["--db", db, "import", str(leads), "--campaign", "spring"],
        ["--db", db, "campaign", "list", "--json"],
    )
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert err == f"prospect: error: {db}: database or disk is full: nothing was written\n"
    assert result.stdout.decode().splitlines()[-1] == "[]"
