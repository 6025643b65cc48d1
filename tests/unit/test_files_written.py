"""Files and output the commands write: private, whole or absent, and one line when they can't.

Exports, the report and the stats CSV, to a file, over an existing file, to a full disk and
to a full device as standard output.
"""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core import csvout
from prospect_tui.core.store import Store
from tests.unit.consent_data import opt_in

PEOPLE = [
    {"company": "Dupont SA", "phone": "01 42 68 53 00", "email": "j.dupont@dupont-sa.fr"},
    {"company": "Martin", "phone": "04 78 12 34 56", "email": "dsi@martin.fr"},
]


@pytest.fixture
def opted(store: Store, tmp_path: Path, monkeypatch) -> Store:
    monkeypatch.setenv("PROSPECT_CONFIG", str(tmp_path / "none.toml"))
    opt_in(store, PEOPLE)
    store.conn.commit()
    return store


def commands(db: Path, output: Path) -> dict[str, list[str]]:
    base = ["--db", str(db)]
    return {
        "export optins": [*base, "export", "optins", "-o", str(output)],
        "export optins plain": [
            *base,
            "export",
            "optins",
            "--excel-dialect",
            "no",
            "-o",
            str(output),
        ],
        "export calls": [*base, "export", "calls", "-o", str(output)],
        "report": [*base, "report", "--week", "2026-11-23", "-o", str(output)],
    }


@pytest.mark.parametrize("name", ["export optins", "export optins plain", "export calls", "report"])
def test_an_existing_readable_file_ends_owner_only(opted, tmp_path, name):
    # Before: report -o kept an existing file's 0644.
    target = tmp_path / "out" / "file"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    assert main(commands(opted.path, target)[name]) == 0
    assert target.stat().st_mode & 0o777 == 0o600 and target.read_text(encoding="utf-8-sig")
    assert target.read_text(encoding="utf-8-sig") != "old"


@pytest.mark.parametrize("name", ["export optins", "export calls", "report"])
def test_a_new_folder_is_owner_only(opted, tmp_path, name):
    target = tmp_path / "made" / "for" / "it.csv"
    assert main(commands(opted.path, target)[name]) == 0
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "made" / "for").stat().st_mode & 0o777 == 0o700


def test_a_full_disk_leaves_the_old_file_whole_and_no_partial_one(
    opted, tmp_path, capsys, monkeypatch
):
    target = tmp_path / "optins.csv"
    target.write_text("yesterday's file\n", encoding="utf-8")

    def full_after_the_header(stream, headers, rows, style):
        stream.write(style.line(headers))
        stream.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csvout, "write_rows", full_after_the_header)
    assert main(commands(opted.path, target)["export optins"]) == 2
    err = capsys.readouterr().err
    assert err == f"prospect: error: {target}: cannot write (No space left on device)\n"
    assert target.read_text(encoding="utf-8") == "yesterday's file\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_full_disk_under_the_report_leaves_no_file(opted, tmp_path, capsys, monkeypatch):
    # Before: `report -o` on a full disk left a truncated page.
    target = tmp_path / "report.html"
    real_write_text = Path.write_text

    def half_then_full(self, text, *args, **kwargs):
        real_write_text(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full)
    assert main(commands(opted.path, target)["report"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not any(p.suffix in (".html", ".part") for p in tmp_path.iterdir())


@pytest.mark.parametrize("name", ["export optins", "export calls", "report"])
def test_a_device_as_output_file_is_one_line(opted, capsys, name):
    assert main(commands(opted.path, Path("/dev/full"))[name]) == 2
    err = capsys.readouterr().err
    assert err == "prospect: error: /dev/full: not a regular file\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    "args",
    [
        ["export", "optins"],
        ["export", "optins", "--excel-dialect", "no"],
        ["export", "calls"],
        ["stats", "--csv"],
        ["stats", "--json"],
        ["stats"],
        ["consent", "verify"],
    ],
)
def test_standard_output_on_a_full_device_is_one_line(opted, args):
    # Before: a traceback (and `Exception ignored` at exit) from stats and export.
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "prospect_tui", "--db", str(opted.path), *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "prospect: error: standard output: cannot write (No space left on device)\n"
    )
