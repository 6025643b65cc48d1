"""Consent proof: append-only triggers, the hash chain, opt-out, erasure and retention."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlite_utils

from prospect_tui import cli
from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.consent import (
    cutoff,
    forget,
    optout_lead,
    purge,
    purge_candidates,
    read_optout_file,
    record_optout,
    undo_optout,
    verify_chain,
)
from prospect_tui.core.exporter import optin_rows
from prospect_tui.core.schema import migrations, v1_event_hash
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import is_suppressed
from tests.helpers import A_SUPERVISOR
from tests.unit.consent_data import add_lead, opt_in

PEOPLE = [
    {"company": "Dupont SA", "phone": "01 42 68 53 00", "email": "j.dupont@dupont-sa.fr"},
    {"company": "Martin Frères", "phone": "04 78 12 34 56", "email": "dsi@martin-freres.fr"},
    {"company": "Lefèvre & Fils", "phone": "02 40 11 22 33", "email": "p.lefevre@lefevre.fr"},
]


def events(store: Store) -> list[dict]:
    return store.rows("SELECT * FROM consent_events ORDER BY id")


def exported_emails(store: Store) -> list[str]:
    return [row[2] for row in optin_rows(store)]


# The log is append-only


def test_trigger_refuses_update(store):
    opt_in(store, PEOPLE[:1])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE consent_events SET email = 'other@x.fr'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE consent_events SET event = 'withdrawn'")
    assert events(store)[0]["email"] == "j.dupont@dupont-sa.fr"


def test_trigger_refuses_delete(store):
    opt_in(store, PEOPLE[:2])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM consent_events WHERE id = 1")
    assert len(events(store)) == 2


def test_trigger_allows_only_a_complete_tombstone(store):
    opt_in(store, PEOPLE[:1])
    # Marking erased while keeping the address, or changing the date on the way: refused.
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE consent_events SET erased_at = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute(
            "UPDATE consent_events SET erased_at = 'x', email = '', email_typed = '',"
            " contact_name = '', contact_title = '', phone_e164 = '', at = '2020-01-01T00:00:00Z'"
        )
    store.conn.execute(
        "UPDATE consent_events SET erased_at = 'x', email = '', email_typed = '',"
        " contact_name = '', contact_title = '', phone_e164 = ''"
    )
    # Once a tombstone, always a tombstone.
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE consent_events SET erased_at = NULL")


# The chain


def test_verify_passes_on_an_intact_log(store):
    opt_in(store, PEOPLE)
    assert verify_chain(store) == (True, None, "consent log intact: 3 events (0 erased)")


def tamper(store: Store, sql: str) -> None:
    """What someone with the file and the sqlite3 shell could do: drop the guard, edit."""
    store.conn.execute("DROP TRIGGER consent_events_no_update")
    store.conn.execute("DROP TRIGGER consent_events_no_delete")
    store.conn.execute(sql)


@pytest.mark.parametrize(
    ("sql", "bad_id", "words"),
    [
        ("UPDATE consent_events SET email = 'x@evil.fr' WHERE id = 2", 2, "contact details"),
        ("UPDATE consent_events SET at = '2020-01-01T00:00:00Z' WHERE id = 2", 2, "fields"),
        ("UPDATE consent_events SET consent_text = 'oui' WHERE id = 1", 1, "fields"),
        ("DELETE FROM consent_events WHERE id = 2", 3, "not chained"),
        ("UPDATE consent_events SET email = '', erased_at = 'x' WHERE id = 3", 3, "still holds"),
    ],
)
def test_verify_catches_a_tampered_row(store, sql, bad_id, words):
    opt_in(store, PEOPLE)
    tamper(store, sql)
    ok, first_bad, message = verify_chain(store)
    assert not ok and first_bad == bad_id and words in message


def test_consent_verify_command(store, capsys):
    opt_in(store, PEOPLE)
    assert main(["--db", str(store.path), "consent", "verify"]) == 0
    assert "intact: 3 events" in capsys.readouterr().out
    tamper(store, "UPDATE consent_events SET contact_name = 'Personne' WHERE id = 2")
    store.conn.commit()
    assert main(["--db", str(store.path), "consent", "verify"]) == 1
    assert "event 2" in capsys.readouterr().err
    assert main(["--db", str(store.path), "consent", "verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["first_bad_id"] == 2


def _legacy_database(path) -> sqlite3.Connection:
    """A file as the first schema (m001 only) left it, with two events hashed the old way."""
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m002_consent_append_only")
    prev = ""
    for i in (1, 2):
        row = {
            "lead_id": None,
            "campaign_id": None,
            "call_id": None,
            "event": "granted",
            "email": f"old{i}@x.fr",
            "email_typed": f"old{i}@x.fr",
            "contact_name": "",
            "contact_title": "",
            "caller": "bob",
            "at": "2026-01-0{i}T10:00:00Z",
            "phone_e164": "",
            "consent_text": "ok?",
            "consent_version": "1",
            "purpose": "p",
            "source": "",
        }
        row["prev_hash"], row["hash"] = prev, v1_event_hash(row, prev)
        prev = row["hash"]
        db["consent_events"].insert(row)
    return db.conn


def test_migration_keeps_an_intact_legacy_chain_unsealed(tmp_path):
    _legacy_database(tmp_path / "old.db").close()
    store = Store(tmp_path / "old.db")
    # Before: sealed at first use by whoever opened it, so a forged plain chain got sealed too.
    assert verify_chain(store) == (
        False,
        None,
        "consent log unsealed: 2 unkeyed events; a supervisor seals them with the key"
        " (`prospect consent seal`)",
    )
    assert store.row("SELECT * FROM consent_head") is None


def test_migration_does_not_seal_in_a_broken_legacy_chain(tmp_path):
    conn = _legacy_database(tmp_path / "old.db")
    conn.execute("UPDATE consent_events SET email = 'edited@x.fr' WHERE id = 1")
    conn.commit()
    conn.close()
    ok, first_bad, _ = verify_chain(Store(tmp_path / "old.db"))
    assert not ok and first_bad == 1


# Opt-out


def test_optout_file_withdraws_suppresses_and_reports(store, tmp_path, capsys):
    opt_in(store, PEOPLE)
    unsubscribes = tmp_path / "desinscrits.csv"
    unsubscribes.write_text(
        "Email Address,First Name,Unsubscribed At\n"
        "J.Dupont@Dupont-SA.fr,Jean,2026-11-20 10:00:00\n"
        "inconnu@nowhere.fr,Paul,2026-11-21 09:00:00\n"
        "04 78 12 34 56,,\n",
        encoding="utf-8",
    )
    assert main(["--db", str(store.path), "optout", str(unsubscribes), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [m["entry"] for m in report["matched"]] == ["j.dupont@dupont-sa.fr", "+33478123456"]
    assert report["unknown"] == ["inconnu@nowhere.fr"]
    assert report["withdrawal_events"] == 2
    withdrawn = [e for e in events(store) if e["event"] == "withdrawn"]
    assert [e["email"] for e in withdrawn] == ["j.dupont@dupont-sa.fr", "dsi@martin-freres.fr"]
    assert withdrawn[0]["phone_e164"] == "+33142685300"
    # Both identities of each matched contact are suppressed, and so is the unknown one.
    for kind, value in [
        ("email", "j.dupont@dupont-sa.fr"),
        ("phone", "+33142685300"),
        ("email", "dsi@martin-freres.fr"),
        ("phone", "+33478123456"),
        ("email", "inconnu@nowhere.fr"),
    ]:
        assert is_suppressed(store.conn, kind, value), value
    assert verify_chain(store)[0]


def test_optout_twice_records_one_withdrawal(store):
    opt_in(store, PEOPLE[:1])
    first = record_optout(store, ["j.dupont@dupont-sa.fr"], caller="me")
    again = record_optout(store, ["j.dupont@dupont-sa.fr", "01 42 68 53 00"], caller="me")
    assert first.withdrawn == 1 and again.withdrawn == 0
    assert [e["event"] for e in events(store)] == ["granted", "withdrawn"]


def test_optout_plain_list_in_any_encoding_and_invalid_entries(tmp_path, store):
    listing = tmp_path / "liste.txt"
    for encoding in ("utf-8-sig", "cp1252"):
        listing.write_bytes(
            "dsi@société.fr\r\n06 12 34 56 78\r\n\r\nn'importe\r\n".encode(encoding)
        )
        assert read_optout_file(listing) == ["dsi@société.fr", "06 12 34 56 78"]
    report = record_optout(store, ["n'importe quoi", "06 12 34 56 78"], caller="me")
    assert report.invalid == ["n'importe quoi"] and report.unknown == ["+33612345678"]
    with pytest.raises(UserError, match="no such file"):
        read_optout_file(tmp_path / "missing.csv")


def test_optout_then_export_leaves_the_address_out(store):
    opt_in(store, PEOPLE)
    record_optout(store, ["p.lefevre@lefevre.fr"], caller="me")
    assert exported_emails(store) == ["j.dupont@dupont-sa.fr", "dsi@martin-freres.fr"]


def test_optout_then_reimport_suppresses_the_number(store, tmp_path):
    from prospect_tui.core.importing import import_file

    opt_in(store, PEOPLE[:1])
    record_optout(store, ["j.dupont@dupont-sa.fr"], caller="me")
    again = tmp_path / "nouveau-fichier.csv"
    again.write_text(
        "Raison sociale;Téléphone;Ville\n"
        "Dupont SA;01.42.68.53.00;Paris\n"
        "Neuve SARL;0387654321;Metz\n",
        encoding="cp1252",
    )
    report = import_file(store, again, campaign="Automne", actor=A_SUPERVISOR)
    assert report.suppressed == 1 and report.imported == 1


def test_optout_key_on_a_lead_card(store, clock):
    lead_id = opt_in(store, PEOPLE[:1])[0]
    event_id = optout_lead(store, lead_id, "Élodie")
    event = store.row("SELECT * FROM consent_events WHERE id = ?", (event_id,))
    assert event["event"] == "withdrawn" and event["caller"] == "Élodie"
    assert event["email"] == "j.dupont@dupont-sa.fr"
    assert is_suppressed(store.conn, "phone", "+33142685300")
    assert exported_emails(store) == []
    assert optout_lead(store, lead_id, "Élodie") is None


def test_optout_key_on_a_lead_never_called_closes_it(store):
    campaign = store.ensure_campaign("Printemps", {"calling_hours": "off"})
    lead_id = add_lead(store, campaign, company="Rapide", phone="01 42 00 00 01")
    assert optout_lead(store, lead_id, "Élodie") is not None
    lead = store.lead(lead_id)
    assert (lead["status"], lead["final_outcome"]) == ("done", "do_not_call")
    assert is_suppressed(store.conn, "phone", "+33142000001")
    with pytest.raises(UserError):
        optout_lead(store, 999, "Élodie")


def test_an_optout_key_taken_back_regrants_the_consent_it_withdrew(store, clock):
    lead_id = opt_in(store, PEOPLE[:1])[0]
    before = store.lead(lead_id)
    event_id = optout_lead(store, lead_id, "Élodie")
    assert exported_emails(store) == []
    clock.advance(seconds=5)
    undo_optout(store, before, event_id, "Élodie", 5)
    events = store.rows("SELECT event, email, call_id FROM consent_events ORDER BY id")
    assert [e["event"] for e in events] == ["granted", "withdrawn", "granted"]
    assert events[2]["email"] == "j.dupont@dupont-sa.fr" and events[2]["call_id"] is None
    assert not is_suppressed(store.conn, "phone", "+33142685300")
    assert exported_emails(store) == ["j.dupont@dupont-sa.fr"]
    lead = store.lead(lead_id)
    assert (lead["status"], lead["final_outcome"]) == (before["status"], before["final_outcome"])
    assert lead["claimed_by"] == "Élodie"
    assert verify_chain(store)[0]
    with pytest.raises(UserError, match="consent changed since the opt-out"):
        undo_optout(store, before, event_id, "Élodie", 5)


# Erasure


def test_forget_erases_the_person_everywhere(store, capsys):
    people = [dict(PEOPLE[0], note="M. Dupont, DSI, préfère le matin"), PEOPLE[1]]
    lead_id = opt_in(store, people)[0]
    record_optout(store, ["j.dupont@dupont-sa.fr"], caller="me")
    assert main(["--db", str(store.path), "forget", "J.Dupont@dupont-sa.fr"]) == 0
    assert "erased 1 leads" in capsys.readouterr().out
    lead = store.lead(lead_id)
    assert lead["company"] == "" and lead["phone_e164"] is None and lead["erased_at"]
    assert lead["contact_name"] == lead["email"] == lead["phone_national"] == ""
    call = store.row("SELECT * FROM calls WHERE lead_id = ?", (lead_id,))
    assert call["note"] == "" and call["dialled_e164"] == "" and call["outcome"] == "opt_in"
    erased = [e for e in events(store) if e["lead_id"] == lead_id]
    assert len(erased) == 2 and all(e["erased_at"] and e["email"] == "" for e in erased)
    dump = "\n".join(store.conn.iterdump())
    assert "dupont" not in dump.lower() and "+33142685300" not in dump
    # What stays: the suppression hashes, a verifiable chain, the other contact.
    assert is_suppressed(store.conn, "email", "j.dupont@dupont-sa.fr")
    assert is_suppressed(store.conn, "phone", "+33142685300")
    assert verify_chain(store) == (True, None, "consent log intact: 3 events (2 erased)")
    assert exported_emails(store) == ["dsi@martin-freres.fr"]


def test_forget_by_phone_and_unknown_or_invalid_values(store):
    lead_id = opt_in(store, PEOPLE[:2])[1]
    done = forget(store, "+33 4 78 12 34 56", actor=A_SUPERVISOR)
    assert done.leads == [lead_id] and done.consent_events == 1
    assert exported_emails(store) == ["j.dupont@dupont-sa.fr"]
    nobody = forget(store, "nobody@nowhere.fr", actor=A_SUPERVISOR)
    assert nobody.leads == [] and is_suppressed(store.conn, "email", "nobody@nowhere.fr")
    with pytest.raises(UserError, match="neither"):
        forget(store, "Jean Dupont", actor=A_SUPERVISOR)
    assert verify_chain(store)[0]


# Retention


def test_cutoff_by_the_calendar():
    now = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert cutoff("3y", now) == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert cutoff("18m", now) == datetime(2026, 8, 29, 12, 0, tzinfo=UTC)
    assert cutoff("90d", now) == datetime(2027, 12, 1, 12, 0, tzinfo=UTC)
    assert cutoff("2w", now) == datetime(2028, 2, 15, 12, 0, tzinfo=UTC)
    with pytest.raises(UserError, match="3y"):
        cutoff("three years", now)


def test_purge_dry_run_then_real(store, clock, capsys, monkeypatch):
    # The command line opens its own store: give it the test's clock.
    monkeypatch.setattr(cli, "open_store", lambda args: Store(store.path, clock=clock))
    old = opt_in(store, PEOPLE[:1], campaign="2022")  # agreed in November 2026 ...
    campaign = store.ensure_campaign("Vieux", {"calling_hours": "off"})
    silent = add_lead(store, campaign, company="Jamais joint", phone="05 56 00 00 01")
    clock.advance(days=365 * 3 + 30)  # ... three years and a month ago.
    recent = opt_in(store, PEOPLE[1:2], campaign="2029")
    db = ["--db", str(store.path)]

    assert [r["id"] for r in purge_candidates(store, "3y", actor=A_SUPERVISOR)] == [old[0], silent]
    assert main([*db, "purge", "--older-than", "3y"]) == 0
    out = capsys.readouterr().out
    assert "dry run: 2 prospects" in out and "Dupont SA" in out and "--yes" in out
    assert store.lead(old[0])["company"] == "Dupont SA"  # nothing changed

    assert main([*db, "purge", "--yes"]) == 0
    assert "erased 2 leads" in capsys.readouterr().out
    assert store.lead(old[0])["company"] == "" and store.lead(silent)["erased_at"]
    assert store.lead(recent[0])["company"] == "Martin Frères"
    assert exported_emails(store) == ["dsi@martin-freres.fr"]
    assert verify_chain(store)[0]
    # Expiry is not an objection: the company may come back in a later list.
    assert not is_suppressed(store.conn, "phone", "+33142685300")
    assert purge_candidates(store, "3y", actor=A_SUPERVISOR) == []


def test_purge_counts_a_recent_answer_from_the_manager(store, clock):
    lead_id = opt_in(store, PEOPLE[:1])[0]
    clock.advance(days=365 * 2)
    with store.write() as conn:  # a call two years later where the manager answered
        conn.execute(
            "INSERT INTO calls (lead_id, campaign_id, caller, outcome, reached, started_at,"
            " ended_at) SELECT id, campaign_id, 'x', 'refused', 'manager', ?, ? FROM leads"
            " WHERE id = ?",
            (store.now(), store.now(), lead_id),
        )
    clock.advance(days=365 * 2)
    assert purge_candidates(store, "3y", actor=A_SUPERVISOR) == []
    assert len(purge(store, "1y", actor=A_SUPERVISOR).leads) == 1


# The keyed chain and its sealed head: what an attacker holding the file can no longer do


def _forge_granted(store: Store, email: str) -> None:
    """Append a `granted` event for a made-up contact, hashed the way the code is public."""
    from prospect_tui.core.consent import event_hash, personal_digest

    last = events(store)[-1]
    row = {k: last[k] for k in ("lead_id", "campaign_id", "consent_text", "purpose", "source")}
    row.update(
        call_id=None,
        event="granted",
        email=email,
        email_typed=email,
        contact_name="Faux Contact",
        contact_title="DSI",
        caller="Élodie",
        at="2026-11-23T10:05:00Z",
        phone_e164="",
        consent_version="1",
        erased_at=None,
    )
    row["lead_id"] = add_lead(
        store, store.campaign("Printemps"), company="Forgée SARL", phone="05 56 11 22 33"
    )
    row["personal_hash"] = personal_digest(row)
    row["prev_hash"] = last["hash"]
    row["hash"] = event_hash(row, last["hash"])
    names = [k for k in row if k != "erased_at"]
    store.conn.execute(
        f"INSERT INTO consent_events ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [row[k] for k in names],
    )


def _rehash_from(store: Store, event_id: int) -> None:
    """Change one event's address, then recompute its hash and every later one with the
    public formula, as a forger who read the code would."""
    from prospect_tui.core.consent import event_hash, personal_digest

    store.conn.execute("UPDATE consent_events SET email = 'x@evil.fr' WHERE id = ?", (event_id,))
    prev = ""
    for event in events(store):
        if event["id"] >= event_id:
            event["personal_hash"] = personal_digest(event)
            event["hash"] = event_hash(event, prev)
            store.conn.execute(
                "UPDATE consent_events SET personal_hash = ?, prev_hash = ?, hash = ? WHERE id = ?",
                (event["personal_hash"], prev, event["hash"], event["id"]),
            )
        prev = event["hash"]


TAMPERS = {
    "emptied": (lambda s: s.conn.execute("DELETE FROM consent_events"), 1, "missing"),
    # The withdrawals are what an attacker wants gone: cut the last one off.
    "tail cut": (lambda s: s.conn.execute("DELETE FROM consent_events WHERE id = 4"), 4, "cut"),
    "rewritten and re-hashed": (lambda s: _rehash_from(s, 2), 2, "keyed hash"),
    "forged event appended": (lambda s: _forge_granted(s, "faux@forge.fr"), 5, "keyed hash"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_each_tamper_fails_verify_and_stops_the_export(store, tmp_path, capsys, name):
    opt_in(store, PEOPLE)
    record_optout(store, ["p.lefevre@lefevre.fr"], caller="me")  # event 4: a withdrawal
    assert verify_chain(store)[0]
    change, bad_id, words = TAMPERS[name]
    store.conn.execute("DROP TRIGGER consent_events_no_update")
    store.conn.execute("DROP TRIGGER consent_events_no_delete")
    change(store)
    store.conn.commit()
    db = ["--db", str(store.path)]

    assert main([*db, "consent", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"event {bad_id}" in err and words in err and err.count("\n") == 1
    assert main([*db, "consent", "verify", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["first_bad_id"] == bad_id

    out = tmp_path / "optins.csv"
    assert main([*db, "export", "optins", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prospect: error: the consent log fails verification")
    assert err.count("\n") == 1 and not out.exists()


def test_the_forged_contact_is_exported_only_unverified_and_that_is_recorded(
    store, tmp_path, capsys
):
    opt_in(store, PEOPLE[:1])
    store.conn.execute("DROP TRIGGER consent_events_no_update")
    _forge_granted(store, "faux@forge.fr")
    store.conn.commit()
    out = tmp_path / "optins.csv"
    db = ["--db", str(store.path)]
    assert main([*db, "export", "optins", "-o", str(out)]) == 2
    assert not out.exists() and "forge" not in capsys.readouterr().out

    assert main([*db, "export", "optins", "-o", str(out), "--unverified"]) == 0
    err = capsys.readouterr().err
    assert "warning: exporting from a consent log that fails verification" in err
    assert "faux@forge.fr" in out.read_text(encoding="utf-8-sig")
    recorded = store.rows("SELECT * FROM unverified_exports")
    assert len(recorded) == 1 and recorded[0]["at"] == "2026-11-23T10:00:00Z"
    assert recorded[0]["exported_by"] and "event 2" in recorded[0]["problem"]
    assert main([*db, "consent", "verify", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["unverified_exports"] == 1


def test_an_auditor_verifies_with_a_copy_of_the_key(store, tmp_path, capsys):
    from prospect_tui.core.locations import consent_key_path

    opt_in(store, PEOPLE)
    copy = tmp_path / "audit.key"
    copy.write_bytes(consent_key_path().read_bytes())
    db = ["--db", str(store.path), "consent", "verify"]
    assert main([*db, "--key", str(copy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["events"] == 3 and report["unkeyed_events"] == 0
    assert report["head_hash"] == events(store)[-1]["hash"]
    # Another key (a copy from elsewhere, or a forger's): nothing verifies.
    other = tmp_path / "other.key"
    other.write_text("ab" * 32 + "\n", encoding="ascii")
    assert main([*db, "--key", str(other)]) == 1
    assert "does not match the key" in capsys.readouterr().err
    assert main([*db, "--key", str(tmp_path / "missing.key")]) == 2
    assert "no consent key there" in capsys.readouterr().err


def test_the_key_is_private_and_located(tmp_path, monkeypatch, capsys):
    from prospect_tui.core.consent_key import load_key

    path = tmp_path / "conf" / "prospect-tui" / "consent.key"
    monkeypatch.setenv("PROSPECT_CONSENT_KEY", str(path))
    key = load_key()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert load_key().secret == key.secret and len(key.secret) == 32
    assert main(["--db", str(tmp_path / "p.db"), "locate"]) == 0
    assert f"consent key: {path}" in capsys.readouterr().out


def test_a_session_with_another_key_cannot_append(store, tmp_path, monkeypatch):
    opt_in(store, PEOPLE[:1])
    monkeypatch.setenv("PROSPECT_CONSENT_KEY", str(tmp_path / "someone-else.key"))
    with pytest.raises(UserError, match="same key"):
        opt_in(store, PEOPLE[1:2])
    assert len(events(store)) == 1


def test_a_legacy_chain_sealed_by_a_supervisor_says_so(tmp_path, capsys):
    _legacy_database(tmp_path / "old.db").close()
    store = Store(tmp_path / "old.db")
    assert main(["--db", str(store.path), "consent", "seal", "--user", "anne"]) == 0
    sealed = "consent log sealed: 2 unkeyed events, by anne on 2026-11-23\n"
    assert capsys.readouterr().out == sealed
    assert main(["--db", str(store.path), "consent", "verify"]) == 0
    assert capsys.readouterr().out == (
        "consent log intact: 3 events (0 erased); sealed on 2026-11-23 by anne"
        " from 2 unkeyed events\n"
    )
    head = store.row("SELECT * FROM consent_head")
    assert head["unkeyed_events"] == 2 and head["events"] == 3
    sealed = events(store)[-1]
    assert (sealed["event"], sealed["caller"]) == ("sealed", "anne")
    assert sealed["consent_text"] == "2 unkeyed events sealed"
    # Sealed: rewriting the old, plain-hashed part with recomputed hashes is caught too.
    store.conn.execute("DROP TRIGGER consent_events_no_update")
    _rehash_from(store, 1)
    assert verify_chain(store)[:2] == (False, 2)


@pytest.mark.parametrize("age", ["2100y", "99999999999d", "1201m", "5218w", "9" * 5000 + "d"])
def test_purge_ages_beyond_a_century_are_one_line(store, capsys, age):
    # Before: 2100y looped forever at 100% CPU, 99999999999d ended in an OverflowError.
    assert main(["--db", str(store.path), "purge", "--older-than", age]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prospect: error: --older-than") and "at most 100 years" in err
    assert err.count("\n") == 1 and len(err) < 200


def test_a_century_is_still_accepted():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert cutoff("100y", now) == datetime(1926, 11, 23, tzinfo=UTC)
    assert cutoff("36524d", now).year == 1926
