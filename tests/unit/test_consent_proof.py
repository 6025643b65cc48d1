"""The consent proof against someone holding the database file but not the key: downgrades,
removed withdrawals, an emptied log, an older copy put back; the seal, and the key file read."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.consent import event_hash, personal_digest, record_optout
from prospect_tui.core.consent_key import heads_path, load_key
from prospect_tui.core.store import Store
from tests.unit.consent_data import opt_in

PEOPLE = [
    {"company": "Dupont SA", "phone": "01 42 68 53 00", "email": "j.dupont@dupont-sa.fr"},
    {"company": "Martin Frères", "phone": "04 78 12 34 56", "email": "dsi@martin-freres.fr"},
    {"company": "Lefèvre & Fils", "phone": "02 40 11 22 33", "email": "p.lefevre@lefevre.fr"},
]


@pytest.fixture(autouse=True)
def own_key(tmp_path, monkeypatch) -> None:
    """A key (and heads file) of this test's own: some tests remove the heads file."""
    monkeypatch.setenv("PROSPECT_CONSENT_KEY", str(tmp_path / "keys" / "consent.key"))


def verify(path: Path, capsys) -> tuple[int, str]:
    code = main(["--db", str(path), "consent", "verify"])
    return code, capsys.readouterr().err


def export(path: Path, capsys) -> tuple[int, str]:
    code = main(["--db", str(path), "export", "optins"])
    captured = capsys.readouterr()
    assert "@" not in captured.out, "an address left the database"
    return code, captured.err


def as_attacker(path: Path) -> sqlite3.Connection:
    """The database file and the sqlite3 shell, no key: the guards dropped first."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER consent_events_no_update")
    conn.execute("DROP TRIGGER consent_events_no_delete")
    return conn


def rechain_plainly(conn: sqlite3.Connection) -> None:
    """Remove the head and re-hash every event with the published, unkeyed formula."""
    conn.execute("DELETE FROM consent_head")
    cursor = conn.execute("SELECT * FROM consent_events ORDER BY id")
    names = [c[0] for c in cursor.description]
    prev = ""
    for row in [dict(zip(names, found, strict=True)) for found in cursor.fetchall()]:
        row["personal_hash"] = personal_digest(row)
        row["hash"] = event_hash(row, prev)
        conn.execute(
            "UPDATE consent_events SET personal_hash = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (row["personal_hash"], prev, row["hash"], row["id"]),
        )
        prev = row["hash"]


def forge_granted(conn: sqlite3.Connection, email: str) -> None:
    last = conn.execute("SELECT hash FROM consent_events ORDER BY id DESC LIMIT 1").fetchone()
    row = {
        "lead_id": 1,
        "campaign_id": 1,
        "call_id": None,
        "event": "granted",
        "email": email,
        "email_typed": email,
        "contact_name": "",
        "contact_title": "",
        "caller": "Élodie",
        "at": "2026-11-23T09:00:00Z",
        "phone_e164": "",
        "consent_text": "ok",
        "consent_version": "1",
        "purpose": "promotions",
        "source": "",
        "prev_hash": last[0],
    }
    row["personal_hash"] = personal_digest(row)
    row["hash"] = event_hash(row, row["prev_hash"])
    conn.execute(
        f"INSERT INTO consent_events ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        tuple(row.values()),
    )


@pytest.fixture
def logged(store: Store) -> Path:
    """A database with three opt-ins and one withdrawal, closed (the attacker's turn)."""
    opt_in(store, PEOPLE)
    record_optout(store, ["dsi@martin-freres.fr"], caller="Élodie")
    store.close()
    return store.path


def test_an_intact_log_verifies_and_exports(logged, capsys):
    assert verify(logged, capsys)[0] == 0
    assert main(["--db", str(logged), "export", "optins"]) == 0
    assert "p.lefevre@lefevre.fr" in capsys.readouterr().out


def test_head_removed_and_plain_rechain_with_a_forged_consent(logged, capsys):
    # (a) Before: "intact ... sealed on <today> from 5 unkeyed events", and exported.
    conn = as_attacker(logged)
    rechain_plainly(conn)
    forge_granted(conn, "faux@forge.fr")
    conn.close()
    code, err = verify(logged, capsys)
    assert code == 1 and "no head" in err and "says 4 events" in err
    assert err.count("\n") == 1
    code, err = export(logged, capsys)
    assert code == 2 and "fails verification" in err


def test_the_same_downgrade_without_the_outside_head_is_unsealed(logged, capsys):
    conn = as_attacker(logged)
    rechain_plainly(conn)
    forge_granted(conn, "faux@forge.fr")
    conn.close()
    heads_path(load_key()).unlink()
    code, err = verify(logged, capsys)
    assert code == 1 and "unsealed: 5 unkeyed events" in err
    assert export(logged, capsys)[0] == 2


def test_an_unkeyed_event_after_keyed_ones_is_refused(logged, capsys):
    conn = as_attacker(logged)
    conn.execute("DELETE FROM consent_head")
    forge_granted(conn, "faux@forge.fr")
    conn.close()
    heads_path(load_key()).unlink()
    code, err = verify(logged, capsys)
    assert code == 1 and "event 1 is keyed but the log has no head" in err
    assert export(logged, capsys)[0] == 2
    # Nor does a session add to it.
    with pytest.raises(UserError, match="no consent event can be added"):
        record_optout(Store(logged), ["p.lefevre@lefevre.fr"], caller="Élodie")


def test_a_withdrawal_removed_and_the_suppressions_emptied(logged, capsys):
    # (b) Before: the log re-chained without its head verified, and Martin was exported again.
    conn = as_attacker(logged)
    conn.execute("DELETE FROM consent_events WHERE event = 'withdrawn'")
    conn.execute("DELETE FROM suppressions")
    conn.execute("UPDATE leads SET final_outcome = 'opt_in' WHERE company = 'Martin Frères'")
    rechain_plainly(conn)
    conn.close()
    code, err = verify(logged, capsys)
    assert code == 1 and "no head" in err
    assert export(logged, capsys)[0] == 2


def test_the_log_emptied_and_its_head_deleted(logged, capsys):
    # (c) Before: "consent log intact: 0 events".
    conn = as_attacker(logged)
    conn.execute("DELETE FROM consent_events")
    conn.execute("DELETE FROM consent_head")
    conn.close()
    code, err = verify(logged, capsys)
    assert code == 1 and "the log has 0 events and no head" in err and "says 4 events" in err
    assert export(logged, capsys)[0] == 2
    with pytest.raises(UserError, match="no consent event can be added"):
        opt_in(Store(logged), [{**PEOPLE[0], "phone": "01 45 00 00 01"}], campaign="Été")


def test_an_older_copy_put_back_over_a_newer_outside_head(store, tmp_path, capsys):
    # (d) Before: the copy's own head matched it, so the withdrawal since was simply gone.
    opt_in(store, PEOPLE)
    old = tmp_path / "copy.db"
    store.conn.execute(f"VACUUM INTO '{old}'")
    record_optout(store, ["dsi@martin-freres.fr"], caller="Élodie")
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(old, store.path)
    code, err = verify(store.path, capsys)
    assert code == 1 and "holds 3 events but had 4" in err and "older copy" in err
    assert export(store.path, capsys)[0] == 2
    # A restore made on purpose: a supervisor takes it as it is, and that is recorded.
    assert main(["--db", str(store.path), "consent", "seal", "--replace"]) == 0
    assert "taken as restored" in capsys.readouterr().out
    assert verify(store.path, capsys)[0] == 0
    assert main(["--db", str(store.path), "consent", "seal", "--replace"]) == 2
    assert "nothing to replace" in capsys.readouterr().err
    last = Store(store.path).row("SELECT * FROM consent_events ORDER BY id DESC LIMIT 1")
    assert last["event"] == "sealed"
    assert (
        last["consent_text"]
        == "3 taken as restored; the head kept outside said 4 events on 2026-11-23"
    )


def test_an_objection_not_suppressed_and_an_opt_in_call_without_consent(logged, capsys):
    conn = as_attacker(logged)
    conn.execute("DELETE FROM suppressions")
    conn.execute(
        "INSERT INTO calls (lead_id, campaign_id, caller, outcome, reached, started_at,"
        " ended_at, duration_s, dialled_e164, note) SELECT lead_id, campaign_id, caller,"
        " outcome, reached, started_at, ended_at, duration_s, dialled_e164, note FROM calls"
        " WHERE id = 3"
    )
    conn.close()
    code, err = verify(logged, capsys)
    assert code == 1 and err == (
        "opt-in calls with no consent event: 4; withdrawals whose address or number is not"
        " suppressed: events 4\n"
    )
    assert export(logged, capsys)[0] == 2


def test_the_outside_head_is_private_and_follows_each_append(logged):
    path = heads_path(load_key())
    assert path.stat().st_mode & 0o777 == 0o600
    assert f'"{logged.resolve()}"' in path.read_text() and '"events": 4' in path.read_text()


# The seal


def supervisors(tmp_path: Path, monkeypatch, names: list[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"supervisors = {names!r}\n".replace("'", '"'), encoding="utf-8")
    monkeypatch.setenv("PROSPECT_CONFIG", str(config))


def plain_database(path: Path) -> Path:
    """A database from before the key: two consents hashed the plain way, no head."""
    store = Store(path)
    opt_in(store, PEOPLE[:2])
    store.close()
    heads_path(load_key()).unlink()
    conn = as_attacker(path)
    rechain_plainly(conn)
    conn.close()
    return path


def test_a_supervisor_seals_and_a_caller_is_refused(tmp_path, monkeypatch, capsys):
    db = plain_database(tmp_path / "old.db")
    supervisors(tmp_path, monkeypatch, ["anne"])
    assert verify(db, capsys)[0] == 1
    assert main(["--db", str(db), "consent", "seal", "--user", "bob"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prospect: error: refused: only a supervisor may seal the consent log")
    assert "bob" in err and err.count("\n") == 1
    assert verify(db, capsys)[0] == 1
    assert main(["--db", str(db), "consent", "seal", "--user", "anne"]) == 0
    assert (
        capsys.readouterr().out == "consent log sealed: 2 unkeyed events, by anne on 2026-11-23\n"
    )
    assert main(["--db", str(db), "consent", "verify"]) == 0
    assert "sealed on 2026-11-23 by anne from 2 unkeyed events" in capsys.readouterr().out
    # Once is enough: sealing again, or sealing a downgraded log, is refused.
    assert main(["--db", str(db), "consent", "seal", "--user", "anne"]) == 2
    assert "already sealed" in capsys.readouterr().err


def test_a_downgraded_log_cannot_be_sealed(logged, capsys):
    conn = as_attacker(logged)
    rechain_plainly(conn)
    conn.close()
    assert main(["--db", str(logged), "consent", "seal"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prospect: error: not sealed: the log has 4 events and no head")


# The key file: a regular file, small


@pytest.mark.parametrize("how", ["env", "option"])
@pytest.mark.parametrize("kind", ["/dev/zero", "fifo"])
def test_a_device_or_fifo_as_the_key_is_one_line(store, tmp_path, how, kind):
    # Before: /dev/zero read 3.7 GB before failing, a FIFO waited for a writer forever.
    key = kind
    if kind == "fifo":
        key = str(tmp_path / "key.fifo")
        os.mkfifo(key)
    env = dict(os.environ)
    argv = [sys.executable, "-m", "prospect_tui", "--db", str(store.path), "consent", "verify"]
    if how == "env":
        env["PROSPECT_CONSENT_KEY"] = key
    else:
        argv += ["--key", key]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert (
        done.stderr == f"prospect: error: {key}: not a regular file (the consent key must be one)\n"
    )


def test_an_oversized_key_file_is_refused(store, tmp_path, capsys):
    big = tmp_path / "big.key"
    big.write_text("ab" * 40_000, encoding="ascii")
    assert main(["--db", str(store.path), "consent", "verify", "--key", str(big)]) == 2
    assert "too big for the consent key" in capsys.readouterr().err


# Retention at the edge of the calendar


def test_purge_from_the_year_1_is_one_line(store):
    # Before: PROSPECT_NOW=0001-01-01 made the cutoff loop forever.
    env = {**os.environ, "PROSPECT_NOW": "0001-01-01T00:00:00Z"}
    argv = [sys.executable, "-m", "prospect_tui", "--db", str(store.path), "purge"]
    done = subprocess.run(
        [*argv, "--older-than", "1y"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr == (
        "prospect: error: --older-than 1y: reaches before the year 1 from 0001-01-01\n"
    )


def test_the_demo_rebuilt_starts_a_new_log(tmp_path, capsys):
    from prospect_tui.core.demo import build_demo

    path = tmp_path / "demo.db"
    store = build_demo(path)
    opt_in(store, PEOPLE[:1], campaign="essai")
    store.close()
    # Deleted and rebuilt on purpose: its outside head goes with it, so it takes consents.
    store = build_demo(path)
    opt_in(store, PEOPLE[1:2], campaign="essai")
    store.close()
    assert verify(path, capsys)[0] == 0


def test_a_rolled_back_consent_leaves_the_outside_head_as_it_was(logged, capsys):
    # Written before the commit, the outside head would run ahead of a log that rolled back,
    # and the intact database would then look like an older copy.
    store = Store(logged)
    with pytest.raises(RuntimeError), store.write():
        record_optout(store, ["p.lefevre@lefevre.fr"], caller="Élodie")
        raise RuntimeError("the rest of the outcome failed")
    store.close()
    assert '"events": 4' in heads_path(load_key()).read_text()
    assert verify(logged, capsys)[0] == 0
