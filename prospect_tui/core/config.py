"""The user's settings: config.toml read once into a checked `Config`, typos named with their fix.

Every key is a field of `Config`; README's "Configuration" table documents each one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prospect_tui.core import UserError
from prospect_tui.core.files import read_small_text
from prospect_tui.core.locations import config_path

# The alphabets core/emails.py can spell an address with (a test keeps the two equal).
PHONETIC_ALPHABETS = ("fr", "intl")
# What screens/session.py fills into dial_command: +33142685300 and tel:+33142685300.
DIAL_PLACEHOLDERS = ("e164", "tel")
# A config is a few lines: anything near this size is not one.
MAX_CONFIG_BYTES = 64 * 1024


@dataclass(frozen=True)
class Config:
    """What config.toml may hold; a missing key takes the default written here."""

    # Who may see every caller's figures; None (no list) means everybody may.
    supervisors: tuple[str, ...] | None = None
    # Run by the `d` key, e.g. "linphonecsh dial {e164}"; None: the key only restarts the timer.
    dial_command: str | None = None
    phonetic_alphabet: str = "fr"
    # The team's zone: "today", weeks and hours in the figures, callback times typed in.
    home_timezone: str = "Europe/Paris"
    # Binding id -> key(s), e.g. {"outcome.no_answer": "f1"}.
    keymap: dict[str, str] = field(default_factory=dict)

    @property
    def home_zone(self) -> ZoneInfo:
        return ZoneInfo(self.home_timezone)


KEYS = tuple(f.name for f in fields(Config))


def parse_config(values: dict[str, Any], source: Path) -> Config:
    """A Config from the TOML table `values`; the first unknown key or wrong value is a
    UserError naming the key and what it should be."""
    for key in values:
        if key not in KEYS:
            import difflib  # only for a typo: not on every start

            near = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(KEYS)})"
            raise UserError(f"{source}: unknown key {key!r}{hint}")
    chosen: dict[str, Any] = {}
    if "supervisors" in values:
        names = values["supervisors"]
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _wrong(source, "supervisors", 'a list of names, e.g. ["claire"]', names)
        chosen["supervisors"] = tuple(name.strip() for name in names)
    if "dial_command" in values:
        chosen["dial_command"] = _dial_command(_string(values, "dial_command", source), source)
    if "phonetic_alphabet" in values:
        alphabet = _string(values, "phonetic_alphabet", source)
        if alphabet not in PHONETIC_ALPHABETS:
            raise UserError(
                f"{source}: 'phonetic_alphabet' must be one of {', '.join(PHONETIC_ALPHABETS)},"
                f" not {alphabet[:40]!r}"
            )
        chosen["phonetic_alphabet"] = alphabet
    if "home_timezone" in values:
        chosen["home_timezone"] = _zone(_string(values, "home_timezone", source), source)
    if "keymap" in values:
        keymap = values["keymap"]
        if not isinstance(keymap, dict):
            raise _wrong(source, "keymap", 'a table, e.g. [keymap] "session.undo" = "f2"', keymap)
        for binding, keys in keymap.items():
            if not isinstance(keys, str):
                raise _wrong(source, f"keymap.{binding}", 'a string of keys, e.g. "f1"', keys)
        chosen["keymap"] = dict(keymap)
    return Config(**chosen)


def _wrong(source: Path, key: str, expected: str, value: object) -> UserError:
    return UserError(f"{source}: {key!r} must be {expected}, not {type(value).__name__}")


def _string(values: dict[str, Any], key: str, source: Path) -> str:
    value = values[key]
    if not isinstance(value, str):
        raise _wrong(source, key, "a string", value)
    return value


def _dial_command(template: str, source: Path) -> str:
    """The session fills in {e164} and {tel}: any other placeholder would fail at the `d` key."""
    import string

    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise UserError(f"{source}: 'dial_command' is not a valid template ({error})") from None
    unknown = sorted(names - set(DIAL_PLACEHOLDERS))
    if unknown:
        raise UserError(
            f"{source}: 'dial_command' may use {{e164}} and {{tel}}, not {{{unknown[0][:40]}}}"
        )
    return template


def _zone(name: str, source: Path) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"{source}: 'home_timezone' must be a time zone such as \"Europe/Paris\","
            f" not {name[:40]!r}"
        ) from None
    return name


def load_config(path: Path) -> Config:
    """The config in `path`, or the defaults when there is no such file (or /dev/null, the
    usual way to say "no config" in a script)."""
    if not path.exists() or path == Path(os.devnull):
        return Config()
    text = read_small_text(path, "config file", MAX_CONFIG_BYTES)
    if not text.strip():
        return Config()
    import tomllib

    try:
        return parse_config(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not a valid TOML config ({error})") from None
    except RecursionError:  # tomllib recurses once per level of nested arrays or tables
        raise UserError(f"{path}: not a config: arrays or tables nested too deeply") from None


def user_config() -> Config:
    """The user's config (PROSPECT_CONFIG, else the platform's config folder), read anew: the
    command line reads it once per command and passes it down to what needs it."""
    return load_config(config_path())
