"""The config file: read once into a checked Config; a typo or a wrong type is one line naming
the key and its fix, and every key is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.config import KEYS, PHONETIC_ALPHABETS, Config, load_config, user_config

README = Path(__file__).resolve().parents[2] / "README.md"


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(tmp_path):
    config = load_config(tmp_path / "none.toml")
    assert config == Config()
    assert config.home_zone == ZoneInfo("Europe/Paris")
    assert config.phonetic_alphabet == "fr" and config.supervisors is None


def test_every_key_is_read(tmp_path):
    config = load_config(
        config_file(
            tmp_path,
            'supervisors = ["claire", " anne "]\ndial_command = "xdg-open {tel}"\n'
            'phonetic_alphabet = "intl"\nhome_timezone = "America/Martinique"\n'
            '[keymap]\n"outcome.no_answer" = "f1"\n',
        )
    )
    assert config.supervisors == ("claire", "anne")
    assert config.dial_command == "xdg-open {tel}"
    assert config.phonetic_alphabet == "intl"
    assert config.home_zone == ZoneInfo("America/Martinique")
    assert config.keymap == {"outcome.no_answer": "f1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('supervisor = ["anne"]', "unknown key 'supervisor' (did you mean 'supervisors'?)"),
        ('dial_comand = "x"', "unknown key 'dial_comand' (did you mean 'dial_command'?)"),
        ("colour = 1", "unknown key 'colour' (known: supervisors, dial_command"),
        (
            'supervisors = "anne"',
            "'supervisors' must be a list of names, e.g. [\"claire\"], not str",
        ),
        ("dial_command = 3", "'dial_command' must be a string, not int"),
        ('dial_command = "call {number}"', "'dial_command' may use {e164} and {tel}, not {number}"),
        ('phonetic_alphabet = "nato"', "'phonetic_alphabet' must be one of fr, intl, not 'nato'"),
        ('home_timezone = "Paris"', "'home_timezone' must be a time zone such as"),
        ('keymap = "f1"', "'keymap' must be a table"),
        ('[keymap]\n"session.undo" = 26', "'keymap.session.undo' must be a string of keys"),
    ],
)
def test_a_wrong_key_or_value_names_the_key_and_the_fix(tmp_path, text, message):
    with pytest.raises(UserError) as raised:
        load_config(config_file(tmp_path, text + "\n"))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_typo_in_the_config_exits_2_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PROSPECT_CONFIG", str(config_file(tmp_path, 'supervisor = ["anne"]\n')))
    assert main(["--db", str(tmp_path / "p.db"), "stats"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"prospect: error: {tmp_path / 'config.toml'}: unknown key 'supervisor'"
        " (did you mean 'supervisors'?)\n"
    )


def test_the_users_config_is_the_file_prospect_config_names(tmp_path, monkeypatch):
    path = config_file(tmp_path, 'home_timezone = "Indian/Reunion"\n')
    monkeypatch.setenv("PROSPECT_CONFIG", str(path))
    assert user_config().home_zone == ZoneInfo("Indian/Reunion")
    # No copy kept by the process: each command reads it once and passes it down.
    path.write_text('home_timezone = "Europe/Paris"\n', encoding="utf-8")
    assert user_config().home_timezone == "Europe/Paris"


def test_a_config_that_is_a_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a config file"):
        load_config(tmp_path)


def test_the_alphabets_are_those_the_read_back_knows():
    from prospect_tui.core.emails import spell_back

    for alphabet in PHONETIC_ALPHABETS:
        assert spell_back("a@b.fr", alphabet)
    with pytest.raises(ValueError):
        spell_back("a@b.fr", "klingon")


def test_every_key_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", README.read_text(), re.MULTILINE))
    missing = [key for key in KEYS if key not in documented]
    assert not missing, f"config keys missing from README's configuration table: {missing}"


def test_the_home_time_zone_sets_the_days_of_the_figures(store, tmp_path, monkeypatch, capsys):
    """Days, weeks and hours of the figures follow `home_timezone`, read in one place."""
    import json

    from prospect_tui.cli import main

    config = tmp_path / "tokyo.toml"
    config.write_text('home_timezone = "Asia/Tokyo"\n', encoding="utf-8")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))
    assert main(["--db", str(store.path), "stats", "--period", "today", "--json"]) == 0
    period = json.loads(capsys.readouterr().out)["period"]
    assert period["time_zone"] == "Asia/Tokyo"
    # 10:00 UTC on the 23rd is 19:00 in Tokyo: the day began at 15:00 UTC on the 22nd.
    assert period["start"] == "2026-11-22T15:00:00Z"


def test_dev_null_as_the_config_means_the_defaults(monkeypatch) -> None:
    """Scripts and benchmarks say "no config" with PROSPECT_CONFIG=/dev/null."""
    import os

    from prospect_tui.core.config import Config, load_config

    assert load_config(Path(os.devnull)) == Config()
