"""Writers of one database file take turns: a lock file beside it (flock), then BEGIN IMMEDIATE.

SQLite's own busy handler sleeps in growing steps (up to 100 ms) and lets newcomers overtake
a waiter, so with twenty callers a few writes waited seconds. A writer waiting for its turn
sleeps in the kernel and is woken as soon as the turn is free: no polling to take CPU from
the writer holding the lock. A wait with a deadline (the session's) polls with jittered
back-off instead; so does BEGIN IMMEDIATE against a writer that does not take turns.
"""

from __future__ import annotations

import fcntl
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

FIRST_SLEEP_S = 0.0005
LONGEST_SLEEP_S = 0.02


def is_locked(error: sqlite3.Error) -> bool:
    """The error another connection's write lock gives (`database is locked`, or busy)."""
    text = str(error)
    return "locked" in text or "busy" in text


def _with_back_off(attempt: Callable[[], bool], patience_s: float) -> bool:
    """Call `attempt` until it succeeds, sleeping a jittered, growing while between tries;
    False when `patience_s` ran out first."""
    deadline = time.monotonic() + patience_s
    ceiling = FIRST_SLEEP_S
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        # "Full jitter": waiters spread out instead of all waking on the same beat.
        time.sleep(random.uniform(0, ceiling))
        ceiling = min(ceiling * 2, LONGEST_SLEEP_S)
    return True


def begin_immediate(conn: sqlite3.Connection, patience_s: float, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, tried again after a jittered sleep while the lock is taken.

    Raises `database is locked` when the lock was not had within `patience_s`. The
    connection's busy handler is off during the tries and set back to `busy_timeout_ms`.
    """

    def attempt() -> bool:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if not is_locked(error):
                raise
            return False
        return True

    conn.execute("PRAGMA busy_timeout = 0")
    try:
        if not _with_back_off(attempt, patience_s):
            raise sqlite3.OperationalError("database is locked")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")


class WriterTurns:
    """The turn lock of one database file: `<file>-turn`, 0600, beside its -wal and -shm."""

    def __init__(self, db_path: Path) -> None:
        self.fd = os.open(f"{db_path}-turn", os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def turn(self, patience_s: float | None) -> Iterator[None]:
        """Hold the turn; None waits as long as the queue takes, a number raises `database
        is locked` after that many seconds."""
        if patience_s is None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        elif not _with_back_off(self._try_turn, patience_s):
            raise sqlite3.OperationalError("database is locked")
        try:
            yield
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def _try_turn(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def close(self) -> None:
        os.close(self.fd)
