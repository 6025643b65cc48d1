"""The SQLite store: one file, WAL, a busy timeout, schema by sqlite-utils migrations.

Several callers share one file, each process with its own connection; writes are
short `BEGIN IMMEDIATE` transactions so nobody ever sees `database is locked`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prospect_tui.core import UserError, busy
from prospect_tui.core.clock import Clock, default_clock, iso

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_S = 30.0

# How many migrations prospect_tui/core/schema.py holds (a test keeps the two equal): a
# database that has applied them all opens without importing sqlite-utils (~40 ms).
SCHEMA_VERSION = 7


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600), before SQLite opens it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


class Store:
    """One connection to the prospecting database, with the queries the app needs."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock = clock or default_clock()
        if not self.path.exists():
            _create_private(self.path)
        self.turns = busy.WriterTurns(self.path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self.db.enable_wal()
            # FULL: an outcome acknowledged on screen survives a power cut too.
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self._applied_migrations() != SCHEMA_VERSION:
                from prospect_tui.core.schema import upgrade

                # Under the write lock: two callers opening a new version at once don't
                # both run the same migration.
                with self.write():
                    upgrade(self.db)
        except sqlite3.DatabaseError as error:
            raise UserError(f"{self.path}: not a prospect database ({error})") from None

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection through sqlite-utils (migrations, table introspection)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def _applied_migrations(self) -> int:
        try:
            return self.scalar(
                "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'prospect'"
            )
        except sqlite3.OperationalError:  # a new file: no migrations table yet
            return 0

    def clone(self) -> Store:
        """A second connection to the same file, for a worker thread."""
        return Store(self.path, self.clock)

    def close(self) -> None:
        self.conn.close()
        self.turns.close()

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def write(self, patience_s: float = BUSY_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
        """A short write transaction that takes the lock up front (BEGIN IMMEDIATE).

        Nested inside another write it joins that transaction: one commit, one disk sync.
        Writers take turns (core/busy.py): by default a write waits for its turn however
        long the queue; with a shorter `patience_s` it raises `database is locked` after it.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        with self.turns.turn(None if patience_s >= BUSY_TIMEOUT_S else patience_s):
            busy.begin_immediate(self.conn, patience_s, int(BUSY_TIMEOUT_S * 1000))
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def rows(self, sql: str, params: Any = ()) -> list[dict]:
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def row(self, sql: str, params: Any = ()) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        found = self.conn.execute(sql, params).fetchone()
        return found[0] if found else None

    # Campaigns

    def campaign(self, name: str) -> dict:
        """The campaign called `name`; an unknown name is a user error."""
        found = self.row("SELECT * FROM campaigns WHERE name = ?", (name,))
        if found is None:
            known = ", ".join(self.campaign_names()) or "none yet"
            raise UserError(f"unknown campaign {name!r} (known: {known})")
        return found

    def ensure_campaign(self, name: str, settings: dict | None = None) -> dict:
        with self.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO campaigns (name, created_at, settings) VALUES (?, ?, ?)",
                (name, self.now(), json.dumps(settings or {})),
            )
        return self.campaign(name)

    def campaign_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM campaigns ORDER BY id")]

    def default_campaign(self) -> dict | None:
        """The most recently created campaign: what a plain `prospect` opens."""
        return self.row("SELECT * FROM campaigns ORDER BY id DESC LIMIT 1")

    # Leads

    def lead(self, lead_id: int) -> dict | None:
        return self.row("SELECT * FROM leads WHERE id = ?", (lead_id,))

    def count_leads(self, campaign_id: int | None = None) -> int:
        if campaign_id is None:
            return self.scalar("SELECT count(*) FROM leads")
        return self.scalar("SELECT count(*) FROM leads WHERE campaign_id = ?", (campaign_id,))
