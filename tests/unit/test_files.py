"""Files the app writes: owner-only, and whole or absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prospect_tui.core import UserError
from prospect_tui.core.files import private_folder, write_private, write_private_text


def test_an_overwritten_world_readable_file_ends_private(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    target.chmod(0o644)
    write_private_text(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o600


def test_created_folders_are_private_and_existing_ones_untouched(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    private_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "a" / "b").stat().st_mode & 0o777 == 0o700
    assert tmp_path.stat().st_mode & 0o777 == 0o755


def test_a_failed_write_leaves_the_old_file_and_no_leftover(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous")

    def fails(temp: Path) -> None:
        temp.write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(UserError, match="No space left on device"):
        write_private(target, fails)
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_a_device_or_folder_is_refused_not_replaced(tmp_path: Path) -> None:
    for target in (Path("/dev/null"), tmp_path):
        with pytest.raises(UserError, match="not a regular file"):
            write_private_text(target, "x")
    assert Path("/dev/null").is_char_device()
