"""The SQLite store: one file, WAL, a busy timeout, schema by sqlite-utils migrations.

Several callers share one file, each process with its own connection; writes are
short `BEGIN IMMEDIATE` transactions so nobody ever sees `database is locked`.
Only our own databases are opened (another program's file, or a newer schema, is refused
untouched); a read-only one can be read, and a write the disk refuses is one line.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from prospect_tui.core import UserError, busy
from prospect_tui.core.clock import Clock, default_clock, iso
from prospect_tui.core.files import private_folder

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_S = 30.0

# What any query of the store may raise, for code above the core that must not import sqlite3.
DatabaseError = sqlite3.Error

# How many migrations prospect_tui/core/schema.py holds (a test keeps the two equal): a
# database that has applied them all opens without importing sqlite-utils (~40 ms).
SCHEMA_VERSION = 10
# The tables those migrations make (a test keeps the two equal): one missing from a database
# that has applied them all is named when it opens, not met as an error mid-command.
TABLES = frozenset(
    {
        "_sqlite_migrations", "access_log", "answer_audit", "answers", "call_effects",
        "callbacks", "calls", "campaigns", "consent_events", "consent_head", "email_domains",
        "hours_overrides", "import_batches", "interview_calls", "interviews", "lead_changes",
        "leads", "pauses", "questionnaires", "suppressions", "unverified_exports", "users",
    }
)  # fmt: skip


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (0600), before SQLite opens it."""
    try:
        private_folder(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    except (OSError, UserError) as error:
        # mkdir says "File exists" when a parent is a regular file: name that file.
        blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        detail = error.strerror if isinstance(error, OSError) else str(error)
        reason = f"{blocking} is not a folder" if blocking else detail
        raise UserError(f"{path}: cannot create the database ({reason})") from None
    os.close(fd)


# What SQLite says when it may not create or set up the WAL index (-shm) beside a file.
_NO_WAL_INDEX = ("SQLITE_CANTOPEN", "SQLITE_READONLY_DIRECTORY", "SQLITE_READONLY_CANTINIT")


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the database file `path`, for any thread.

    `read_only` (SQLite's mode=ro) writes nothing to the file or its -wal, not even the
    checkpoint SQLite runs when the last connection closes. Where SQLite cannot create the
    WAL index (-shm) beside the file, a read-only folder, it is opened as an immutable
    snapshot, unless a -wal holds changes such a snapshot would not see.
    """
    if not read_only:
        return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    uri = f"file:{quote(os.fsencode(path.absolute()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the file
    except sqlite3.OperationalError as error:
        conn.close()
        if getattr(error, "sqlite_errorname", "") not in _NO_WAL_INDEX:
            raise
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise UserError(
                f"{path}: its last changes are still in {wal.name} and its folder is read-only:"
                " open it once where it can be written"
            ) from None
        conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False)
    return conn


# Actions waiting for the commit of a connection's transaction, by id(conn) (the connection
# is kept with them, so its id cannot be reused meanwhile), each under its key.
_AFTER_COMMIT: dict[int, tuple[sqlite3.Connection, dict[object, Callable[[], None]]]] = {}


def after_commit(conn: sqlite3.Connection, action: Callable[[], None], key: object = None) -> None:
    """Run `action` once the transaction `conn` is in commits through Store.write (at once
    outside a transaction); dropped if it rolls back. A later action under the same `key`
    replaces the earlier one (one write of the last state, not one per row). For a file that
    must follow the database and never run ahead of it (the consent head beside the key)."""
    if not conn.in_transaction:
        action()
        return
    _AFTER_COMMIT.setdefault(id(conn), (conn, {}))[1][object() if key is None else key] = action


def database_error(error: sqlite3.Error, path: Path) -> UserError | None:
    """The one-line UserError for a write the disk refused, or None for any other error."""
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith("SQLITE_READONLY"):
        return UserError(f"{path}: the database is read-only: nothing was written")
    if name == "SQLITE_FULL":
        return UserError(f"{path}: database or disk is full: nothing was written")
    return None


class Store:
    """One connection to the prospecting database, with the queries the app needs."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock = clock or default_clock()
        if not self.path.exists():
            _create_private(self.path)
        elif not self.path.is_file():
            raise UserError(f"{self.path}: not a database file (a folder or a device)")
        # EROFS or no write permission, on the file or on its folder (where SQLite keeps the
        # -wal beside it): still readable (stats, export); writes are refused.
        folder = self.path.parent if str(self.path.parent) else Path(".")
        self.read_only = not (os.access(self.path, os.W_OK) and os.access(folder, os.W_OK))
        # Writers' turn lock (core/busy.py), opened at the first write: a file that is not
        # ours, or a read-only one, gets nothing created beside it.
        self._turns: busy.WriterTurns | None = None
        try:
            # Read-only until the file is known to be ours: another program's database, even
            # with changes pending in its -wal, is refused without a byte of it changed.
            self.conn = connect(self.path, read_only=True)
        except sqlite3.DatabaseError as error:
            raise UserError(f"{self.path}: not a prospect database ({error})") from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as error:
            self.conn.close()
            raise UserError(f"{self.path}: not a prospect database ({error})") from None
        except BaseException:
            self.conn.close()
            raise

    def _prepare(self) -> None:
        """Check the file is ours, then set the connection up and migrate it if needed."""
        applied = self._applied_migrations()
        if not self.read_only:
            self.conn.close()
            self.conn = connect(self.path)
        self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Only now, once the file is known to be ours (or empty): WAL is a change to it.
        if not self.read_only and self.scalar("PRAGMA journal_mode") != "wal":
            self.conn.execute("PRAGMA journal_mode = WAL")
        # FULL: an outcome acknowledged on screen survives a power cut too.
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if applied != SCHEMA_VERSION:
            self._upgrade(applied)

    def _applied_migrations(self) -> int:
        """How many of our migrations the file has applied (0: a new, empty file).

        Refuses, before a byte is changed, a file another program made (tables but none of
        our migrations) or a newer prospect-tui (more migrations than this one knows).
        """
        # sqlite_master first: once it lists the migrations table, that table is committed,
        # even if another process is creating this file at the same moment.
        tables = sorted(
            name
            for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        if not tables:
            return 0
        applied = 0
        if "_sqlite_migrations" in tables:
            applied = int(
                self.scalar(
                    "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'prospect'"
                )
            )
        if applied == 0:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise UserError(
                f"{self.path}: not a prospect database (it holds other tables: {shown});"
                " choose another file with --db"
            )
        if applied > SCHEMA_VERSION:
            raise UserError(
                f"{self.path}: made by a newer prospect-tui (schema {applied} > "
                f"{SCHEMA_VERSION}); upgrade prospect-tui to open it"
            )
        missing = sorted(TABLES - set(tables)) if applied == SCHEMA_VERSION else []
        if missing:
            raise UserError(
                f"{self.path}: the table {missing[0]!r} is missing"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + ": this database was damaged; restore it from a backup"
            )
        return applied

    def _upgrade(self, applied: int) -> None:
        if self.read_only:
            raise UserError(
                f"{self.path}: the database is read-only and needs "
                + (
                    "creating"
                    if applied == 0
                    else f"upgrading (schema {applied} < {SCHEMA_VERSION})"
                )
                + ": open it once with write access"
            )
        from prospect_tui.core.schema import upgrade

        # Under the write lock: two callers opening a new version at once don't both run
        # the same migration.
        with self.write():
            upgrade(self.db)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection through sqlite-utils (migrations, table introspection)."""
        from prospect_tui.core.sqlite_lean import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def clone(self) -> Store:
        """A second connection to the same file, for a worker thread."""
        return Store(self.path, self.clock)

    @property
    def turns(self) -> busy.WriterTurns:
        if self._turns is None:
            try:
                self._turns = busy.WriterTurns(self.path)
            except OSError as error:
                raise UserError(
                    f"{self.path}: the database is read-only: nothing was written"
                    f" ({error.strerror})"
                ) from None
        return self._turns

    def close(self) -> None:
        self.conn.close()
        if self._turns is not None:
            self._turns.close()
            self._turns = None

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def write(self, patience_s: float = BUSY_TIMEOUT_S) -> Iterator[sqlite3.Connection]:
        """A short write transaction that takes the lock up front (BEGIN IMMEDIATE).

        Nested inside another write it joins that transaction: one commit, one disk sync.
        A write the disk refuses (read-only, full) is a one-line UserError.
        Writers take turns (core/busy.py): by default a write waits for its turn however
        long the queue; with a shorter `patience_s` it raises `database is locked` after it.
        """
        if self.conn.in_transaction:
            yield self.conn
            return
        try:
            with self.turns.turn(None if patience_s >= BUSY_TIMEOUT_S else patience_s):
                busy.begin_immediate(self.conn, patience_s, int(BUSY_TIMEOUT_S * 1000))
                try:
                    yield self.conn
                    self.conn.execute("COMMIT")
                except BaseException:
                    _AFTER_COMMIT.pop(id(self.conn), None)
                    # After SQLITE_FULL or an I/O error SQLite may have rolled back already: a
                    # second ROLLBACK would raise and hide the real error.
                    if self.conn.in_transaction:
                        with suppress(sqlite3.Error):
                            self.conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as error:
            refused = database_error(error, self.path)
            if refused is None:
                raise
            raise refused from None
        for action in _AFTER_COMMIT.pop(id(self.conn), (self.conn, {}))[1].values():
            action()

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def row(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        found = self.conn.execute(sql, params).fetchone()
        return found[0] if found else None

    # Campaigns

    def campaign(self, name: str) -> dict[str, Any]:
        """The campaign called `name`; an unknown name is a user error."""
        found = self.row("SELECT * FROM campaigns WHERE name = ?", (name,))
        if found is None:
            known = ", ".join(self.campaign_names()) or "none yet"
            raise UserError(f"unknown campaign {name!r} (known: {known})")
        return found

    def ensure_campaign(self, name: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO campaigns (name, created_at, settings) VALUES (?, ?, ?)",
                (name, self.now(), json.dumps(settings or {})),
            )
        return self.campaign(name)

    def campaign_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM campaigns ORDER BY id")]

    def default_campaign(self) -> dict[str, Any] | None:
        """The most recently created campaign: what a plain `prospect` opens."""
        return self.row("SELECT * FROM campaigns ORDER BY id DESC LIMIT 1")

    # Leads

    def lead(self, lead_id: int) -> dict[str, Any] | None:
        return self.row("SELECT * FROM leads WHERE id = ?", (lead_id,))

    def count_leads(self, campaign_id: int | None = None) -> int:
        if campaign_id is None:
            return int(self.scalar("SELECT count(*) FROM leads"))
        return int(self.scalar("SELECT count(*) FROM leads WHERE campaign_id = ?", (campaign_id,)))
