"""The do-not-call / opt-out list, kept as hashes of normalised values (GDPR art. 21).

A phone is hashed in E.164, an email lowercased, so a later import or export matches it.
"""

from __future__ import annotations

import hashlib
import sqlite3


def suppression_hash(kind: str, value: str) -> str:
    normal = value.strip().lower() if kind == "email" else value.strip()
    return hashlib.sha256(f"{kind}:{normal}".encode()).hexdigest()


def suppress(
    conn: sqlite3.Connection, kind: str, value: str, reason: str, added_by: str, at: str
) -> None:
    """Add one phone or email to the list (inside the caller's transaction)."""
    if not value:
        return
    conn.execute(
        "INSERT OR IGNORE INTO suppressions (kind, hash, reason, added_by, added_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (kind, suppression_hash(kind, value), reason, added_by, at),
    )


def is_suppressed(conn: sqlite3.Connection, kind: str, value: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM suppressions WHERE kind = ? AND hash = ?",
        (kind, suppression_hash(kind, value)),
    ).fetchone()
    return found is not None


def suppressed_hashes(conn: sqlite3.Connection, kind: str) -> set[str]:
    """Every hash of one kind, for bulk checks (imports, exports)."""
    return {r[0] for r in conn.execute("SELECT hash FROM suppressions WHERE kind = ?", (kind,))}
