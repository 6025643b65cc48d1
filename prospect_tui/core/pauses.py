"""Pauses: time off the phone, recorded so stats count only time on calls.

A pause left open by a crash is closed when that caller starts a new session or pause.
"""

from __future__ import annotations

from prospect_tui.core.store import Store


def close_open_pauses(store: Store, caller: str) -> None:
    with store.write() as conn:
        conn.execute(
            "UPDATE pauses SET ended_at = ? WHERE caller = ? AND ended_at IS NULL",
            (store.now(), caller),
        )


def start_pause(store: Store, caller: str, campaign_id: int) -> int:
    with store.write() as conn:  # one transaction, one disk sync
        close_open_pauses(store, caller)
        cursor = conn.execute(
            "INSERT INTO pauses (caller, campaign_id, started_at) VALUES (?, ?, ?)",
            (caller, campaign_id, store.now()),
        )
    return int(cursor.lastrowid or 0)


def end_pause(store: Store, pause_id: int) -> None:
    with store.write() as conn:
        conn.execute(
            "UPDATE pauses SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            (store.now(), pause_id),
        )


def paused_seconds(store: Store, caller: str, since: str) -> float:
    """Seconds paused since `since` (an open pause counts up to now)."""
    paused = store.scalar(
        "SELECT coalesce(sum(strftime('%s', coalesce(ended_at, ?)) - strftime('%s', started_at)),"
        " 0) FROM pauses WHERE caller = ? AND started_at >= ?",
        (store.now(), caller, since),
    )
    return float(paused)
