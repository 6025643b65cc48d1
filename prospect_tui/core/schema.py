"""The database schema as sqlite-utils migrations: later work adds, never edits, a migration.

Imported only when a database needs upgrading, so opening an up-to-date one stays fast.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from prospect_tui.core.sqlite_lean import Migrations, sqlite_utils

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
    db.execute("ALTER TABLE consent_events ADD COLUMN personal_hash TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE consent_events ADD COLUMN erased_at TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN erased_at TEXT")
    # Before the triggers exist: rows written by the first schema get the new hash form.
    _m002_reseal_v1_chain(db.conn)
    for statement in M002_APPEND_ONLY_TRIGGERS:
        db.execute(statement)


# Everything below up to m003 is frozen as m002 ran it: the hash formulas and the trigger SQL
# are copies, not imports of core/consent/chain.py, so that a later change there cannot give old
# and new databases different triggers or hashes (a new behaviour is a new migration).

M002_APPEND_ONLY_TRIGGERS = (
    "CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events\n"
    "    BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: rows cannot be deleted'); END",
    "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events\n"
    "    WHEN NOT (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL\n"
    "              AND NEW.personal_hash IS OLD.personal_hash AND NEW.id IS OLD.id"
    " AND NEW.lead_id IS OLD.lead_id AND NEW.campaign_id IS OLD.campaign_id"
    " AND NEW.call_id IS OLD.call_id AND NEW.event IS OLD.event AND NEW.caller IS OLD.caller"
    " AND NEW.at IS OLD.at AND NEW.consent_text IS OLD.consent_text"
    " AND NEW.consent_version IS OLD.consent_version AND NEW.purpose IS OLD.purpose"
    " AND NEW.source IS OLD.source AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash"
    " AND NEW.email = '' AND NEW.email_typed = '' AND NEW.contact_name = ''"
    " AND NEW.contact_title = '' AND NEW.phone_e164 = '')\n"
    "    BEGIN SELECT RAISE(ABORT,"
    " 'consent_events is append-only: only erasure may change a row');\n"
    "    END",
)

# The first schema's event hash (rows written before m002) ...
_V1_FIELDS = (
    "lead_id",
    "campaign_id",
    "call_id",
    "event",
    "email",
    "email_typed",
    "contact_name",
    "contact_title",
    "caller",
    "at",
    "phone_e164",
    "consent_text",
    "consent_version",
    "purpose",
    "source",
)
# ... and m002's: public fields plus a digest of the personal ones, so erasure keeps the chain.
_V2_PERSONAL_FIELDS = ("email", "email_typed", "contact_name", "contact_title", "phone_e164")
_V2_PUBLIC_FIELDS = (
    "lead_id",
    "campaign_id",
    "call_id",
    "event",
    "caller",
    "at",
    "consent_text",
    "consent_version",
    "purpose",
    "source",
)


def _sha256(values: list[Any]) -> str:
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


def v1_event_hash(event: dict[str, Any], prev_hash: str) -> str:
    """The chained hash of a consent event written by the first schema."""
    return _sha256([prev_hash] + [event.get(k) for k in _V1_FIELDS])


def _m002_reseal_v1_chain(conn: sqlite3.Connection) -> None:
    """Re-hash rows of the first schema in m002's form, if they verify.

    A chain that does not verify under the old formula is left as it is, so that
    `prospect consent verify` still reports the break instead of sealing it in.
    """
    cursor = conn.execute("SELECT * FROM consent_events ORDER BY id")
    names = [c[0] for c in cursor.description]
    events = [dict(zip(names, row, strict=True)) for row in cursor]
    prev = ""
    for event in events:
        if event["prev_hash"] != prev or event["hash"] != v1_event_hash(event, prev):
            return
        prev = event["hash"]
    prev = ""
    for event in events:
        personal = _sha256([event.get(k) for k in _V2_PERSONAL_FIELDS])
        event["hash"] = _sha256([prev, *[event.get(k) for k in _V2_PUBLIC_FIELDS], personal])
        conn.execute(
            "UPDATE consent_events SET personal_hash = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (personal, prev, event["hash"], event["id"]),
        )
        prev = event["hash"]


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
def m040_consent_seal(db: sqlite_utils.Database) -> None:
    """The keyed consent chain's head, and the exports made from a log that failed to verify.

    Only tables: the seal needs the key, kept outside the database, so core/consent/chain.py
    writes the head at first use (after checking the plain chain it seals).
    """
    db.execute(
        """CREATE TABLE consent_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            events INTEGER NOT NULL,
            last_hash TEXT NOT NULL,
            sealed_at TEXT NOT NULL,
            unkeyed_events INTEGER NOT NULL,
            sealed_hash TEXT NOT NULL,
            key_id TEXT NOT NULL,
            mac TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE unverified_exports (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            exported_by TEXT NOT NULL,
            problem TEXT NOT NULL
        )"""
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


@migrations()
def m050_users_access_log(db: sqlite_utils.Database) -> None:
    """Who may log in to `prospect serve` (argon2id hashes only), and what happened at the door."""
    db.execute(
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('caller', 'supervisor')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE access_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            user_name TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX access_log_at ON access_log(at)")


@migrations()
def m060_questionnaires(db: sqlite_utils.Database) -> None:
    """Questionnaires per campaign (versioned), interviews, answers one row per question.

    Missing codes live apart from values; removed or changed answers and the lead fields an
    answer updated are kept in append-only logs; interview_calls ties each call to the
    interview's status after it (AAPOR dispositions are read from there). A phone number
    becomes unique per campaign, not across campaigns.
    """
    for statement in (
        """CREATE TABLE questionnaires (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            version INTEGER NOT NULL,
            title TEXT NOT NULL,
            source TEXT NOT NULL,
            digest TEXT NOT NULL,
            file_name TEXT NOT NULL DEFAULT '',
            attached_by TEXT NOT NULL DEFAULT '',
            attached_at TEXT NOT NULL,
            UNIQUE(campaign_id, version)
        )""",
        """CREATE TABLE interviews (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            lead_id INTEGER NOT NULL REFERENCES leads(id),
            caller TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            UNIQUE(campaign_id, lead_id)
        )""",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interviews(id),
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            question_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            value TEXT,
            number REAL,
            missing TEXT,
            caller TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            UNIQUE(interview_id, question_id)
        )""",
        # Covers the figures: one range per campaign, already in GROUP BY order, no lookups.
        "CREATE INDEX answers_figures ON answers(campaign_id, question_id, value, number,"
        " missing, caller, answered_at)",
        """CREATE TABLE answer_audit (
            id INTEGER PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interviews(id),
            question_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            value TEXT,
            missing TEXT,
            event TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            caller TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
        """CREATE TABLE interview_calls (
            call_id INTEGER PRIMARY KEY REFERENCES calls(id),
            interview_id INTEGER NOT NULL REFERENCES interviews(id),
            status TEXT NOT NULL
        )""",
        """CREATE TABLE lead_changes (
            id INTEGER PRIMARY KEY,
            lead_id INTEGER NOT NULL REFERENCES leads(id),
            field TEXT NOT NULL,
            old_value TEXT NOT NULL,
            new_value TEXT NOT NULL,
            caller TEXT NOT NULL,
            at TEXT NOT NULL,
            interview_id INTEGER REFERENCES interviews(id),
            call_id INTEGER REFERENCES calls(id)
        )""",
        "CREATE INDEX lead_changes_lead ON lead_changes(lead_id)",
        # A campaign built from another's results holds the same numbers: a number is unique
        # within a campaign (imports still refuse one known in any campaign).
        "DROP INDEX leads_phone",
        "CREATE UNIQUE INDEX leads_phone ON leads(campaign_id, phone_e164)",
        "CREATE INDEX leads_phone_any ON leads(phone_e164)",
    ):
        db.execute(statement)


def upgrade(db: sqlite_utils.Database) -> None:
    """Apply the pending migrations (the caller holds the write lock)."""
    migrations.apply(db)
