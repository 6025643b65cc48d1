"""Where prospect-tui keeps its files: platformdirs, overridable by PROSPECT_DB and --db.

Config (keymap, supervisors, dial command) lives in config.toml; PROSPECT_CONFIG overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

from prospect_tui.core import UserError

# platformdirs and tomllib are imported only when needed: a session started with --db and
# no config file (a benchmark, a team's launcher script) starts without them.

APP = "prospect-tui"


def database_path(override: str | None = None) -> Path:
    """--db wins, then PROSPECT_DB, then the user data directory."""
    chosen = override or os.environ.get("PROSPECT_DB")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP) / "prospect.db"


def demo_database_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP) / "demo.db"


def config_path() -> Path:
    chosen = os.environ.get("PROSPECT_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP) / "config.toml"


def load_config(path: Path | None = None) -> dict:
    """The user's config.toml, or {} when there is none; a broken file is a user error."""
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not a valid TOML config ({error})") from None
    if not text.strip():
        return {}
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not a valid TOML config ({error})") from None


def consent_key_path() -> Path:
    """The secret key of the consent chain: PROSPECT_CONSENT_KEY, else beside config.toml.

    Kept outside the database on purpose: whoever holds only the database file cannot
    re-seal a consent log they have edited.
    """
    chosen = os.environ.get("PROSPECT_CONSENT_KEY")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP) / "consent.key"
