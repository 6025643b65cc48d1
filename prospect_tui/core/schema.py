"""The database schema as sqlite-utils migrations: later work adds, never edits, a migration.

Imported only when a database needs upgrading, so opening an up-to-date one stays fast.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("prospect")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA_V1:
        db.execute(statement)


SCHEMA_V1 = (
    """CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        settings TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE import_batches (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        file_name TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        imported_at TEXT NOT NULL,
        rows_read INTEGER NOT NULL DEFAULT 0,
        imported INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        invalid_phone INTEGER NOT NULL DEFAULT 0,
        suppressed INTEGER NOT NULL DEFAULT 0,
        rejects_file TEXT
    )""",
    # status: open (callable), done (finished: see final_outcome).
    """CREATE TABLE leads (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        batch_id INTEGER REFERENCES import_batches(id),
        company TEXT NOT NULL DEFAULT '',
        phone_e164 TEXT,
        phone_national TEXT NOT NULL DEFAULT '',
        phone_type TEXT NOT NULL DEFAULT '',
        timezone TEXT NOT NULL DEFAULT '',
        city TEXT NOT NULL DEFAULT '',
        postcode TEXT NOT NULL DEFAULT '',
        contact_name TEXT NOT NULL DEFAULT '',
        contact_title TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        siret TEXT NOT NULL DEFAULT '',
        sector TEXT NOT NULL DEFAULT '',
        employees TEXT NOT NULL DEFAULT '',
        website TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open',
        final_outcome TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_called_at TEXT,
        next_call_at TEXT,
        claimed_by TEXT,
        claimed_until TEXT,
        manager_name TEXT NOT NULL DEFAULT '',
        direct_line_e164 TEXT NOT NULL DEFAULT '',
        best_time TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX leads_phone ON leads(phone_e164)",
    "CREATE INDEX leads_queue ON leads(campaign_id, status, next_call_at)",
    # Append-only: an undone call is flagged, never deleted.
    """CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        lead_id INTEGER NOT NULL REFERENCES leads(id),
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        caller TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reached TEXT NOT NULL DEFAULT 'none',
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        duration_s REAL NOT NULL DEFAULT 0,
        dialled_e164 TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        undone_at TEXT
    )""",
    "CREATE INDEX calls_started ON calls(started_at)",
    "CREATE INDEX calls_campaign_started ON calls(campaign_id, started_at)",
    "CREATE INDEX calls_caller_started ON calls(caller, started_at)",
    "CREATE INDEX calls_lead ON calls(lead_id)",
    # Append-only proof of consent (granted / withdrawn).
    """CREATE TABLE consent_events (
        id INTEGER PRIMARY KEY,
        lead_id INTEGER REFERENCES leads(id),
        campaign_id INTEGER REFERENCES campaigns(id),
        call_id INTEGER REFERENCES calls(id),
        event TEXT NOT NULL,
        email TEXT NOT NULL,
        email_typed TEXT NOT NULL DEFAULT '',
        contact_name TEXT NOT NULL DEFAULT '',
        contact_title TEXT NOT NULL DEFAULT '',
        caller TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        phone_e164 TEXT NOT NULL DEFAULT '',
        consent_text TEXT NOT NULL DEFAULT '',
        consent_version TEXT NOT NULL DEFAULT '',
        purpose TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        prev_hash TEXT NOT NULL DEFAULT '',
        hash TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX consent_lead ON consent_events(lead_id)",
    "CREATE INDEX consent_email ON consent_events(email)",
    """CREATE TABLE callbacks (
        id INTEGER PRIMARY KEY,
        lead_id INTEGER NOT NULL REFERENCES leads(id),
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        call_id INTEGER REFERENCES calls(id),
        due_at TEXT NOT NULL,
        owner TEXT,
        asked_by TEXT NOT NULL DEFAULT 'manager',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        done_at TEXT
    )""",
    "CREATE INDEX callbacks_due ON callbacks(campaign_id, done_at, due_at)",
    # The do-not-call / opt-out list keeps only a hash of the normalised value.
    """CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        hash TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        added_by TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL,
        UNIQUE(kind, hash)
    )""",
    """CREATE TABLE pauses (
        id INTEGER PRIMARY KEY,
        caller TEXT NOT NULL,
        campaign_id INTEGER REFERENCES campaigns(id),
        started_at TEXT NOT NULL,
        ended_at TEXT
    )""",
)


@migrations()
def m002_consent_append_only(db: sqlite_utils.Database) -> None:
    """Erasable tombstones, a two-level hash, and triggers that keep the log append-only."""
    from prospect_tui.core.consent import APPEND_ONLY_TRIGGERS, reseal_legacy_chain

    db.execute("ALTER TABLE consent_events ADD COLUMN personal_hash TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE consent_events ADD COLUMN erased_at TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN erased_at TEXT")
    # Before the triggers exist: rows written by the first schema get the new hash form.
    reseal_legacy_chain(db.conn)
    for statement in APPEND_ONLY_TRIGGERS:
        db.execute(statement)


@migrations()
def m003_email_domains(db: sqlite_utils.Database) -> None:
    """Deliverability is a property of the domain (MX): one cached verdict per domain."""
    db.execute(
        """CREATE TABLE email_domains (
            domain TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            checked_at TEXT NOT NULL
        )"""
    )


@migrations()
def m010_stats_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the supervisor's figures (core/stats.py) on a million-call history.

    calls_stats_hour covers every column the figures read, ordered by the UTC hour, so a
    month is one index range already in GROUP BY order: no table lookups, no sort
    (started_at is repeated at the end because SQLite 3.40 needs the bare column to cover).
    """
    db.execute(
        "CREATE INDEX calls_stats_hour ON calls(substr(started_at, 1, 13), campaign_id, caller,"
        " outcome, reached, lead_id, duration_s, undone_at, started_at)"
    )
    db.execute("CREATE INDEX callbacks_pending ON callbacks(due_at) WHERE done_at IS NULL")
    db.execute("CREATE INDEX pauses_started ON pauses(started_at)")
    db.execute("CREATE INDEX consent_event_at ON consent_events(event, at)")


@migrations()
def m020_hours_overrides(db: sqlite_utils.Database) -> None:
    """Calls outside the campaign's hours are logged: who, when, why, under which hours."""
    db.execute(
        """CREATE TABLE hours_overrides (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            caller TEXT NOT NULL,
            at TEXT NOT NULL,
            reason TEXT NOT NULL,
            calling_hours TEXT NOT NULL DEFAULT '',
            consumer_guard INTEGER NOT NULL DEFAULT 0
        )"""
    )


@migrations()
def m030_session_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the keystroke path (scripts/bench_session.py, 46,000 callbacks).

    Recording an outcome settles the lead's callbacks (by lead_id: was a scan of every
    pending callback); today's "callbacks due" count and the claim read callbacks_due alone.
    """
    db.execute("CREATE INDEX callbacks_lead ON callbacks(lead_id)")
    db.execute("DROP INDEX callbacks_due")
    db.execute(
        "CREATE INDEX callbacks_due ON callbacks(campaign_id, done_at, due_at, owner, lead_id)"
    )


@migrations()
def m045_call_effects(db: sqlite_utils.Database) -> None:
    """What each outcome did, kept by call id so that undo applies its exact inverse.

    The lead as it was before the call and as the call left it (undo reverts only while the
    lead is still so), the do-not-call entry the call added (a plain id: undo may delete
    that entry) and, on each callback, the call that settled it.
    """
    db.execute(
        """CREATE TABLE call_effects (
            call_id INTEGER PRIMARY KEY REFERENCES calls(id),
            lead_id INTEGER NOT NULL REFERENCES leads(id),
            status_before TEXT NOT NULL,
            final_outcome_before TEXT,
            attempts_before INTEGER NOT NULL,
            last_called_at_before TEXT,
            next_call_at_before TEXT,
            status_after TEXT NOT NULL,
            attempts_after INTEGER NOT NULL,
            next_call_at_after TEXT,
            suppression_id INTEGER
        )"""
    )
    db.execute("ALTER TABLE callbacks ADD COLUMN settled_by INTEGER REFERENCES calls(id)")


def upgrade(db: sqlite_utils.Database) -> None:
    """Apply the pending migrations (the caller holds the write lock)."""
    migrations.apply(db)
