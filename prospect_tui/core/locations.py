"""Where prospect-tui keeps its files: platformdirs, overridable by PROSPECT_DB and --db.

The config file (core/config.py reads it) is config.toml; PROSPECT_CONFIG overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

# platformdirs is imported only when needed: a session started with --db and
# no config file (a benchmark, a team's launcher script) starts without it.

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


def crash_log_path() -> Path:
    """A new file in the user log folder for the traceback of an unexpected error."""
    from platformdirs import user_log_path

    from prospect_tui.core.clock import default_clock

    stamp = default_clock()().strftime("%Y%m%dT%H%M%SZ")
    return user_log_path(APP) / f"crash-{stamp}-{os.getpid()}.log"


def config_path() -> Path:
    chosen = os.environ.get("PROSPECT_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP) / "config.toml"
