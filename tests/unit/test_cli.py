"""The command line as a whole: every command documented, one meaning per option."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prospect_tui import cli
from prospect_tui.cli import COMMANDS, main

README = Path(__file__).resolve().parents[2] / "README.md"


def command_reference() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Command reference")
    return text[start : text.index("\n## ", start + 1)]


@pytest.mark.parametrize("found", COMMANDS, ids=lambda c: " ".join(c.words))
def test_every_command_and_option_is_in_the_readme(found: cli.Command) -> None:
    reference = command_reference()
    rows = [line for line in reference.splitlines() if "prospect " + found.words[0] in line]
    words = " ".join(found.words)
    assert any(
        re.search(rf"prospect {re.escape(found.words[0])}\b", row)
        and all(word in row for word in found.words)
        for row in rows
    ), f"`prospect {words}` is not in README's command reference"
    documented = "\n".join(rows)
    for option in found.options:
        if option.flags[0].startswith("-"):
            shown = any(re.search(rf"{re.escape(flag)}\b", documented) for flag in option.flags)
            assert shown, f"{words}: {'/'.join(option.flags)} is not documented"


def test_the_global_options_are_documented() -> None:
    reference = command_reference()
    for flag in ("--db", "--caller", "--campaign", "--user", "--version"):
        assert flag in reference


@pytest.fixture
def supervised(store, tmp_path, monkeypatch) -> str:
    from tests.helpers import add_leads

    add_leads(store, "spring", 2)
    config = tmp_path / "config.toml"
    config.write_text('supervisors = ["anne"]\n', encoding="utf-8")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    return str(store.path)


def test_caller_names_the_same_caller_before_and_after_the_command(supervised, capsys) -> None:
    before = ["--db", supervised, "--user", "anne", "--caller", "bob", "stats", "--json"]
    after = ["--db", supervised, "--user", "anne", "stats", "--caller", "bob", "--json"]
    assert main(before) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(after) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert first["caller"] == "bob"


def test_user_is_who_asks_and_only_supervisors_see_others(supervised, capsys) -> None:
    assert main(["--db", supervised, "--user", "bob", "stats", "--caller", "anne"]) == 2
    assert "refused: only a supervisor" in capsys.readouterr().err
    assert main(["--db", supervised, "--user", "anne", "stats", "--caller", "bob"]) == 0
