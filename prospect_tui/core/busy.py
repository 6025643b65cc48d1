"""Taking SQLite's write lock under contention: short tries with jittered back-off.

SQLite's own busy handler sleeps in growing steps (up to 100 ms) and lets newcomers overtake
a waiter, so with twenty callers a few writes waited over half a second; tries that back off
with random sleeps capped at a few milliseconds keep the wait close to the queue's length.
"""

from __future__ import annotations

import random
import sqlite3
import time

FIRST_SLEEP_S = 0.0005
LONGEST_SLEEP_S = 0.02


def is_locked(error: sqlite3.OperationalError) -> bool:
    """The error another connection's write lock gives (`database is locked`, or busy)."""
    text = str(error)
    return "locked" in text or "busy" in text


def begin_immediate(conn: sqlite3.Connection, patience_s: float, busy_timeout_ms: int) -> None:
    """BEGIN IMMEDIATE, tried again after a jittered sleep while the lock is taken.

    Raises `database is locked` when the lock was not had within `patience_s`. The
    connection's busy handler is off during the tries and set back to `busy_timeout_ms`.
    """
    deadline = time.monotonic() + patience_s
    ceiling = FIRST_SLEEP_S
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not is_locked(error) or time.monotonic() >= deadline:
                    raise
            # "Full jitter": waiters spread out instead of all waking on the same beat.
            time.sleep(random.uniform(0, ceiling))
            ceiling = min(ceiling * 2, LONGEST_SLEEP_S)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
