"""The store: a private SQLite file in WAL mode, migrated once, usable from several connections."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.schema import migrations
from prospect_tui.core.store import Store


def test_new_database_is_private_wal_and_migrated(tmp_path):
    store = Store(tmp_path / "new.db")
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA busy_timeout") >= 5000
    tables = set(store.db.table_names())
    for needed in (
        "campaigns",
        "leads",
        "calls",
        "consent_events",
        "callbacks",
        "suppressions",
        "import_batches",
    ):
        assert needed in tables
    assert migrations.pending(store.db) == []


def test_reopening_keeps_data_and_applies_nothing_twice(tmp_path):
    path = tmp_path / "p.db"
    Store(path).ensure_campaign("spring")
    again = Store(path)
    assert again.campaign_names() == ["spring"]
    applied = again.scalar("SELECT count(*) FROM _sqlite_migrations")
    assert applied == len(migrations._migrations)


def test_unknown_campaign_is_a_user_error_listing_known_ones(store):
    store.ensure_campaign("spring")
    with pytest.raises(UserError, match="unknown campaign 'autumn'.*spring"):
        store.campaign("autumn")


def test_a_file_that_is_not_a_database_is_a_user_error(tmp_path):
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite at all, just some text" * 50)
    with pytest.raises(UserError, match="not a prospect database"):
        Store(bogus)


def test_write_rolls_back_on_error(store):
    with pytest.raises(sqlite3.IntegrityError):
        with store.write() as conn:
            conn.execute("INSERT INTO campaigns (name, created_at) VALUES ('a', 'x')")
            conn.execute("INSERT INTO campaigns (name, created_at) VALUES ('a', 'y')")
    assert store.campaign_names() == []


def test_locate_prints_the_paths_in_use(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PROSPECT_DB", str(tmp_path / "team.db"))
    assert main(["locate"]) == 0
    assert f"database: {tmp_path / 'team.db'}" in capsys.readouterr().out
    assert main(["locate", "--db", str(tmp_path / "other.db")]) == 0
    assert f"database: {tmp_path / 'other.db'}" in capsys.readouterr().out


def test_cli_unknown_campaign_exits_2_with_one_line(tmp_path, capsys):
    db = tmp_path / "p.db"
    Store(db).ensure_campaign("spring")
    assert main(["--db", str(db), "--campaign", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prospect: error: unknown campaign 'nope'")
    assert err.count("\n") == 1


def test_schema_version_counts_every_migration():
    from prospect_tui.core.store import SCHEMA_VERSION

    assert SCHEMA_VERSION == len(migrations._migrations), (
        "a migration was added to core/schema.py: raise SCHEMA_VERSION in core/store.py"
    )


def test_an_up_to_date_database_opens_without_sqlite_utils(tmp_path):
    import subprocess
    import sys

    Store(tmp_path / "p.db").close()
    code = (
        "import sys; from prospect_tui.core.store import Store; "
        f"Store({str(tmp_path / 'p.db')!r}); print('sqlite_utils' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


# Only our databases, only as far as we know them


def file_state(path):
    """What a refused file must keep: its bytes, and no journal beside it."""
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def test_a_database_of_another_program_is_refused_untouched(tmp_path):
    other = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('buy milk')")
    conn.commit()
    conn.close()
    before = file_state(other)
    with pytest.raises(UserError, match="not a prospect database .*holds other tables: notes"):
        Store(other)
    assert file_state(other) == before
    conn = sqlite3.connect(other)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_a_database_made_by_a_newer_prospect_is_refused(tmp_path):
    from prospect_tui.core.store import SCHEMA_VERSION

    path = tmp_path / "p.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('prospect', 'm999_from_the_future', '2027-01-01')"
    )
    conn.commit()
    conn.close()
    newer = f"made by a newer prospect-tui \\(schema {SCHEMA_VERSION + 1} > {SCHEMA_VERSION}\\)"
    with pytest.raises(UserError, match=newer):
        Store(path)


def test_an_empty_file_is_initialised(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    assert Store(path).campaign_names() == []


def test_a_full_disk_in_a_write_is_named_not_hidden_by_the_rollback(store):
    store.ensure_campaign("kept")
    pages = store.scalar("PRAGMA page_count")
    # SQLite's own limit gives the real SQLITE_FULL a full disk gives, without a full disk.
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(UserError, match="database or disk is full: nothing was written"):
        with store.write() as conn:
            for i in range(200):
                conn.execute(
                    "INSERT INTO campaigns (name, created_at, settings) VALUES (?, ?, ?)",
                    (f"c{i}", store.now(), "x" * 3000),
                )
    assert store.campaign_names() == ["kept"]
    assert not store.conn.in_transaction


# Migrations


def schema_of(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


def test_a_database_migrated_step_by_step_ends_like_a_fresh_one(tmp_path):
    import sqlite_utils

    from prospect_tui.core.schema import v1_event_hash

    old = tmp_path / "old.db"
    # The first schema with a consent event of its time, then one release after another.
    db = sqlite_utils.Database(old)
    migrations.apply(db, stop_before=migrations._migrations[1].name)
    db["consent_events"].insert(
        {"event": "granted", "email": "a@b.fr", "caller": "bob", "at": "2026-01-01T10:00:00Z"}
    )
    row = next(db["consent_events"].rows)
    db["consent_events"].update(row["id"], {"hash": v1_event_hash(row, "")})
    db.close()
    for migration in migrations._migrations[2:]:
        db = sqlite_utils.Database(old)
        migrations.apply(db, stop_before=migration.name)
        db.close()
    Store(old).close()
    Store(tmp_path / "fresh.db").close()
    assert schema_of(old) == schema_of(tmp_path / "fresh.db")
    assert Store(old).scalar("SELECT personal_hash FROM consent_events") != ""


def test_a_folder_given_as_the_database_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a database file"):
        Store(tmp_path)
