"""Consent proof, opt-out, erasure and retention: an append-only, keyed hash-chained event log.

Rows are never updated or deleted (triggers, migration m002) except to become an erasure tombstone.

Why the proof resists tampering by someone holding only the database file: each event's hash
is an HMAC with a key kept outside the database (core/consent_key.py), so an edited or forged
event cannot be given a valid hash; the head of the chain (event count, last hash, when and
from how many unkeyed events it was sealed) is kept in `consent_head` under an HMAC of its
own, and again beside the key (the outside head, rewritten after each commit that extends
the log), so a log cut, emptied, stripped of its head or replaced by an older copy no longer
matches. A database from before the key has a plain hash chain: it stays "unsealed" (verify
fails) until a supervisor seals it with the key (`prospect consent seal`, recorded as an
event); a log with no events and no head starts keyed at its first event.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prospect_tui.core import UserError
from prospect_tui.core.clock import iso
from prospect_tui.core.consent_key import (
    ConsentKey,
    OutsideHead,
    heads_path,
    load_key,
    read_outside_head,
    write_outside_head,
)
from prospect_tui.core.emails import check_email
from prospect_tui.core.phones import parse_phone
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import after_commit
from prospect_tui.core.suppression import is_suppressed, suppress, suppression_hash

if TYPE_CHECKING:
    from prospect_tui.core.store import Store

# The triggers keeping the log append-only are frozen in core/schema.py (m002): a change
# to them is a new migration there, not an edit here.

# What erasure blanks. The hash covers a digest of these (personal_hash) rather than the
# values themselves, so a tombstone keeps its digest and the chain still verifies.
PERSONAL_FIELDS = ("email", "email_typed", "contact_name", "contact_title", "phone_e164")
PUBLIC_FIELDS = (
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


def personal_digest(event: dict[str, Any]) -> str:
    return _sha256([event.get(k) for k in PERSONAL_FIELDS])


def event_hash(event: dict[str, Any], prev_hash: str) -> str:
    """The chained hash; an erased row contributes its stored digest instead of its fields."""
    personal = event["personal_hash"] if event.get("erased_at") else personal_digest(event)
    return _sha256([prev_hash, *[event.get(k) for k in PUBLIC_FIELDS], personal])


def _all_events(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    cursor = conn.execute("SELECT * FROM consent_events ORDER BY id")
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def record_consent(
    conn: sqlite3.Connection,
    *,
    event: str,
    lead: dict[str, Any] | None,
    call_id: int | None,
    email: str,
    email_typed: str,
    contact_name: str,
    contact_title: str,
    caller: str,
    at: str,
    phone_e164: str,
    settings: dict[str, Any],
) -> int:
    """Append one event (inside the caller's transaction) and chain it to the last one."""
    row = {
        "lead_id": lead["id"] if lead else None,
        "campaign_id": lead["campaign_id"] if lead else None,
        "call_id": call_id,
        "event": event,
        "email": email,
        "email_typed": email_typed,
        "contact_name": contact_name,
        "contact_title": contact_title,
        "caller": caller,
        "at": at,
        "phone_e164": phone_e164,
        "consent_text": settings.get("consent_text", ""),
        "consent_version": str(settings.get("consent_version", "")),
        "purpose": settings.get("purpose", ""),
        "source": lead["source"] if lead else "",
    }
    key = load_key()
    database = database_name(conn)
    head = _head_for_append(conn, key, database, at)
    last = conn.execute("SELECT hash FROM consent_events ORDER BY id DESC LIMIT 1").fetchone()
    row["prev_hash"] = last[0] if last else ""
    row["personal_hash"] = personal_digest(row)
    # An unsealed older log goes on with plain hashes until a supervisor seals it.
    row["hash"] = (
        keyed_hash(key, row, row["prev_hash"]) if head else event_hash(row, row["prev_hash"])
    )
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = conn.execute(
        f"INSERT INTO consent_events ({columns}) VALUES ({marks})", tuple(row.values())
    )
    if head is not None:
        head = replace(head, events=head.events + 1, last_hash=row["hash"])
        _write_head(conn, key, head)
        outside = OutsideHead(head.events, head.last_hash, at)
        after_commit(conn, lambda: write_outside_head(key, database, outside), key=database)
    return int(cursor.lastrowid or 0)


def database_name(conn: sqlite3.Connection) -> str:
    """The absolute path of the database file: what its outside head is kept under."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return _resolved(file or "")
    return ""


@cache
def _resolved(file: str) -> str:
    # Resolving costs more than the rest of an append: once per file and process.
    return str(Path(file).resolve()) if file else ""


def _head_for_append(
    conn: sqlite3.Connection, key: ConsentKey, database: str, at: str
) -> ChainHead | None:
    """The head the next event extends (None: an unsealed older log), or why none may be added.

    Only a log with no events and no head starts keyed by itself; a log that lost its head
    or that is behind its outside head is refused, so nothing is added on top of tampering.
    """
    head = read_head(conn)
    outside = read_outside_head(key, database)
    if head is not None:
        _check_key(head, key)
        problem = _outside_problem(conn, head.events, head.last_hash, outside, key)
    else:
        count = int(conn.execute("SELECT count(*) FROM consent_events").fetchone()[0])
        if outside is not None:
            problem = _headless_problem(outside, count)
        elif count == 0:
            return _write_head(conn, key, ChainHead(0, "", at, 0, "", key.id))
        else:
            problem = _downgrade_problem(_all_events(conn), key)
    if problem is not None:
        raise UserError(f"no consent event can be added: {problem}; see `prospect consent verify`")
    return head


def forget_outside_head(path: Path) -> None:
    """Forget the head kept beside the key for the database at `path`, deleted on purpose
    (the demo, rebuilt at each run): a new log there starts afresh."""
    key = load_key()
    database = str(Path(path).resolve())
    if read_outside_head(key, database) is not None:
        write_outside_head(key, database, None)


def _headless_problem(outside: OutsideHead, count: int) -> str:
    return (
        f"the log has {_events(count)} and no head, but its head kept outside the database"
        f" says {_events(outside.events)} on {outside.at[:10]}: emptied, stripped or replaced"
    )


def _outside_problem(
    conn: sqlite3.Connection,
    events: int,
    last_hash: str,
    outside: OutsideHead | None,
    key: ConsentKey,
) -> str | None:
    """How the database's head disagrees with the one kept beside the key, or None.

    The database may be ahead (a crash between its commit and the outside write) only if
    the outside head is one of its earlier states; behind, it is an older copy.
    """
    if outside is None:
        return None
    database = database_name(conn)
    if not hmac.compare_digest(outside.mac, outside.expected_mac(key, database)):
        return f"the head kept outside the database in {heads_path(key)} does not match the key"
    if outside.events > events:
        return (
            f"the log holds {_events(events)} but had {outside.events} on {outside.at[:10]}"
            " (head kept outside the database): an older copy, or a cut log"
        )
    if outside.events == 0:
        return None
    at_outside = last_hash
    if outside.events < events:
        found = conn.execute(
            "SELECT hash FROM consent_events ORDER BY id LIMIT 1 OFFSET ?", (outside.events - 1,)
        ).fetchone()
        at_outside = found[0] if found else ""
    if not hmac.compare_digest(at_outside, outside.last_hash):
        return (
            f"event {outside.events} is not the one the head kept outside the database"
            f" recorded on {outside.at[:10]} (rewritten or replaced)"
        )
    return None


def _events(count: int) -> str:
    return f"{count} event" if count == 1 else f"{count} events"


def _downgrade_problem(events: list[dict[str, Any]], key: ConsentKey) -> str | None:
    """A log without a head that holds keyed events lost its head: a downgrade."""
    prev = ""
    for event in events:
        if hmac.compare_digest(event["hash"], keyed_hash(key, event, prev)):
            return f"event {event['id']} is keyed but the log has no head (removed: a downgrade)"
        prev = event["hash"]
    return None


# The keyed chain and its head


def keyed_hash(key: ConsentKey, event: dict[str, Any], prev_hash: str) -> str:
    """An event's HMAC: what `event_hash` covers, under the key kept outside the database.

    It covers the stored `personal_hash`: verification checks first that it is the digest
    of the contact fields (or that the row is a blank tombstone).
    """
    values = ["event", prev_hash, *[event.get(k) for k in PUBLIC_FIELDS], event["personal_hash"]]
    message = json.dumps(values, ensure_ascii=False).encode()
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    """The `consent_head` row: how long the log is and how it ends, under an HMAC."""

    events: int
    last_hash: str
    sealed_at: str
    unkeyed_events: int  # the plain-hashed events of an older database, sealed as they were
    sealed_hash: str  # the hash of the last of them ('' when none)
    key_id: str
    mac: str = ""

    def expected_mac(self, key: ConsentKey) -> str:
        values = [
            "head",
            self.events,
            self.last_hash,
            self.sealed_at,
            self.unkeyed_events,
            self.sealed_hash,
            self.key_id,
        ]
        message = json.dumps(values).encode()
        return hmac.new(key.secret, message, hashlib.sha256).hexdigest()


_HEAD_FIELDS = ("events", "last_hash", "sealed_at", "unkeyed_events", "sealed_hash", "key_id")


def read_head(conn: sqlite3.Connection) -> ChainHead | None:
    found = conn.execute(f"SELECT {', '.join(_HEAD_FIELDS)}, mac FROM consent_head").fetchone()
    return ChainHead(*found) if found else None


def _write_head(conn: sqlite3.Connection, key: ConsentKey, head: ChainHead) -> ChainHead:
    """Store `head` under a fresh HMAC; returns it as stored."""
    sealed = replace(head, mac=head.expected_mac(key))
    conn.execute(
        f"INSERT OR REPLACE INTO consent_head (id, {', '.join(_HEAD_FIELDS)}, mac)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
        tuple(getattr(sealed, name) for name in (*_HEAD_FIELDS, "mac")),
    )
    return sealed


def _check_key(head: ChainHead, key: ConsentKey) -> None:
    """Appending with another key would make the whole log unverifiable: refuse it."""
    if head.key_id != key.id or not hmac.compare_digest(head.mac, head.expected_mac(key)):
        raise UserError(
            f"the consent log is sealed with key {head.key_id}, not with {key.path} ({key.id}):"
            " every session on this database must use the same key (PROSPECT_CONSENT_KEY)"
        )


def _plain_problem(events: list[dict[str, Any]]) -> tuple[int, str] | None:
    """The first break in a plain (unkeyed) hash chain: (event id, message), or None."""
    prev = ""
    for event in events:
        problem = _row_problem(event, prev)
        if problem is None and event["hash"] != event_hash(event, prev):
            problem = f"event {event['id']}: fields changed after recording"
        if problem is not None:
            return event["id"], problem
        prev = event["hash"]
    return None


def _row_problem(event: dict[str, Any], prev: str) -> str | None:
    """What is wrong with an event whatever its hash formula: its link and its contact fields."""
    number = event["id"]
    if event["prev_hash"] != prev:
        return f"event {number}: not chained to the event before it (removed?)"
    if event["erased_at"]:
        if any(event[k] for k in PERSONAL_FIELDS):
            return f"event {number}: marked erased but still holds data"
    elif event["personal_hash"] != personal_digest(event):
        return f"event {number}: contact details changed after recording"
    return None


@dataclass(frozen=True)
class Sealed:
    """What `consent seal` did: the unkeyed events it sealed (or the log it took as restored),
    when, by whom."""

    events: int
    at: str
    by: str
    restored: bool = False

    def summary(self) -> str:
        if self.restored:
            return (
                f"consent log of {_events(self.events)} taken as restored, by {self.by}"
                f" on {self.at[:10]}: the head kept beside the key follows it again"
            )
        return f"consent log sealed: {self.events} unkeyed events, by {self.by} on {self.at[:10]}"


def seal(store: Store, actor: Actor, *, replace_outside: bool = False) -> Sealed:
    """Seal an older, unkeyed log with the key, and record who did it as a keyed event.

    Refused (one line) for a log whose plain chain is broken, one that holds keyed events
    (its head was removed), one the head kept beside the key knows longer, and one already
    sealed, unless `replace_outside`: the database was replaced or restored on purpose, the
    head beside the key is made to follow it, and the event says what it replaced.
    """
    require(actor, "consent.seal")
    key = load_key()
    at = store.now()
    with store.write() as conn:
        head = read_head(conn)
        events = _all_events(conn)
        database = database_name(conn)
        outside = read_outside_head(key, database)
        if head is not None:
            sealed = _accept_restored(conn, events, head, outside, key, at, replace_outside)
        else:
            sealed = _seal_unkeyed(conn, events, outside, key, at, replace_outside)
        if outside is not None:
            # Now, not after the commit: the event below is checked against it.
            write_outside_head(key, database, sealed, replace=True)
        replaced = ""
        if outside is not None:
            replaced = (
                f"; the head kept outside said {_events(outside.events)} on {outside.at[:10]}"
            )
        what = "taken as restored" if head is not None else "unkeyed events sealed"
        record_consent(
            conn,
            event=SEALED,
            lead=None,
            call_id=None,
            email="",
            email_typed="",
            contact_name="",
            contact_title="",
            caller=actor.name,
            at=at,
            phone_e164="",
            settings={"consent_text": f"{len(events)} {what}{replaced}"},
        )
    return Sealed(len(events), at, actor.name, restored=head is not None)


def _seal_unkeyed(
    conn: sqlite3.Connection,
    events: list[dict[str, Any]],
    outside: OutsideHead | None,
    key: ConsentKey,
    at: str,
    replace_outside: bool,
) -> OutsideHead:
    """Write the head of an unkeyed log that verifies; returns it as the outside head."""
    problem = _downgrade_problem(events, key)
    if problem is None and outside is not None and not replace_outside:
        problem = _headless_problem(outside, len(events))
        problem += "; restore the database from the backup, or seal with --replace"
    found = _plain_problem(events)
    if problem is None and found is not None:
        problem = found[1]
    if problem is not None:
        raise UserError(f"not sealed: {problem}")
    last = events[-1]["hash"] if events else ""
    _write_head(conn, key, ChainHead(len(events), last, at, len(events), last, key.id))
    return OutsideHead(len(events), last, at)


def _accept_restored(
    conn: sqlite3.Connection,
    events: list[dict[str, Any]],
    head: ChainHead,
    outside: OutsideHead | None,
    key: ConsentKey,
    at: str,
    replace_outside: bool,
) -> OutsideHead:
    """A sealed log that verifies with the key, taken as it is over the head kept outside."""
    if not replace_outside:
        raise UserError(
            f"the consent log is already sealed (on {head.sealed_at[:10]}); a database"
            " restored on purpose over a newer one is accepted with --replace"
        )
    found = _keyed_problem(events, head, key)
    if found is not None:
        raise UserError(f"not sealed: {found[1]}")
    if _outside_problem(conn, head.events, head.last_hash, outside, key) is None:
        raise UserError("nothing to replace: the log matches the head kept beside the key")
    return OutsideHead(head.events, head.last_hash, at)


# The event that records a seal: who sealed the older events, when, and how many.
SEALED = "sealed"


def _keyed_problem(
    events: list[dict[str, Any]], head: ChainHead, key: ConsentKey
) -> tuple[int | None, str] | None:
    """The first thing that breaks the sealed chain: (event id or None, message), or None."""
    if not hmac.compare_digest(head.mac, head.expected_mac(key)):
        return None, (
            f"the head of the consent log does not match the key {key.path} ({key.id}):"
            f" rewritten, or sealed with another key ({head.key_id})"
        )
    prev = ""
    for position, event in enumerate(events, 1):
        number = event["id"]
        problem = _row_problem(event, prev)
        if problem is None and position <= head.unkeyed_events:
            if event["hash"] != event_hash(event, prev):
                problem = f"event {number}: fields changed after recording"
            elif position == head.unkeyed_events and event["hash"] != head.sealed_hash:
                problem = f"event {number}: the log up to here is not the one sealed on"
                problem += f" {head.sealed_at[:10]} (rewritten)"
        elif problem is None and not hmac.compare_digest(
            event["hash"], keyed_hash(key, event, prev)
        ):
            problem = f"event {number}: fields changed after recording, or not written by"
            problem += " prospect (its keyed hash does not match)"
        if problem is None and position > head.events:
            problem = f"event {number}: not in the sealed log of {head.events} events (added)"
        if problem is None and position == head.events and event["hash"] != head.last_hash:
            problem = f"event {number}: not the last event the log was sealed with (rewritten)"
        if problem is not None:
            return number, problem
        prev = event["hash"]
    if len(events) < head.events:
        missing = (events[-1]["id"] if events else 0) + 1
        return missing, (
            f"event {missing}: missing; the log holds {len(events)} events but was sealed with"
            f" {head.events} (cut or emptied)"
        )
    return None


@dataclass
class ChainReport:
    """What `consent verify` found (its --json keys: ok, first_bad_id, message, and more)."""

    ok: bool
    first_bad_id: int | None
    message: str
    events: int = 0
    erased: int = 0
    sealed_at: str | None = None
    sealed_by: str | None = None
    unkeyed_events: int | None = None
    head_hash: str | None = None
    key_id: str | None = None
    key_path: str | None = None
    outside_head: str | None = None  # the file beside the key the head was compared with
    unverified_exports: int = 0  # opt-in exports made with --unverified, ever

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "first_bad_id": self.first_bad_id,
            "message": self.message,
            "events": self.events,
            "erased": self.erased,
            "sealed_at": self.sealed_at,
            "sealed_by": self.sealed_by,
            "unkeyed_events": self.unkeyed_events,
            "head_hash": self.head_hash,
            "key_id": self.key_id,
            "key": self.key_path,
            "outside_head": self.outside_head,
            "unverified_exports": self.unverified_exports,
        }


def check_chain(store: Store, key_file: Path | None = None) -> ChainReport:
    """Verify the consent log against its head, the head kept beside the key, and the calls
    and suppressions it must account for (an auditor's key copy: `key_file`).

    Changes nothing: a log without a head stays unsealed until `seal`.
    """
    key = load_key(key_file, create=key_file is None)
    conn = store.conn
    database = database_name(conn)
    with _snapshot(conn):
        head = read_head(conn)
        events = _all_events(conn)
        exported = int(conn.execute("SELECT count(*) FROM unverified_exports").fetchone()[0])
        outside = read_outside_head(key, database)
        missing = _unaccounted(conn, events)
        found = _chain_problem(conn, events, head, outside, key)
    report = ChainReport(True, None, "", events=len(events), key_id=key.id)
    report.unverified_exports = exported
    report.key_path = str(key.path)
    report.outside_head = str(heads_path(key)) if outside is not None else None
    report.erased = sum(1 for event in events if event["erased_at"])
    if found is None and missing:
        found = None, missing
    if found is not None:
        report.ok, (report.first_bad_id, report.message) = False, found
        return report
    report.message = f"consent log intact: {len(events)} events ({report.erased} erased)"
    if head is None:
        report.message = "consent log empty: no consent events yet"
        return report
    report.sealed_at, report.unkeyed_events = head.sealed_at, head.unkeyed_events
    report.head_hash = head.last_hash
    if len(events) > head.unkeyed_events and events[head.unkeyed_events]["event"] == SEALED:
        report.sealed_by = events[head.unkeyed_events]["caller"]
    if head.unkeyed_events or report.sealed_by:
        by = f" by {report.sealed_by}" if report.sealed_by else ""
        report.message += (
            f"; sealed on {head.sealed_at[:10]}{by} from {head.unkeyed_events} unkeyed events"
        )
    return report


def _chain_problem(
    conn: sqlite3.Connection,
    events: list[dict[str, Any]],
    head: ChainHead | None,
    outside: OutsideHead | None,
    key: ConsentKey,
) -> tuple[int | None, str] | None:
    """The first thing wrong with the log, its head or its outside head: (event id, message)."""
    if head is not None:
        found = _keyed_problem(events, head, key)
        if found is None:
            problem = _outside_problem(conn, head.events, head.last_hash, outside, key)
            found = None if problem is None else (None, problem)
        return found
    if outside is not None:
        return None, _headless_problem(outside, len(events))
    if not events:
        return None
    problem = _downgrade_problem(events, key)
    if problem is not None:
        return None, problem
    return _plain_problem(events) or (
        None,
        f"consent log unsealed: {len(events)} unkeyed events; a supervisor seals them with"
        " the key (`prospect consent seal`)",
    )


# Named in full up to this many; the rest counted.
_NAMED = 5


def _unaccounted(conn: sqlite3.Connection, events: list[dict[str, Any]]) -> str:
    """Opt-in calls with no consent event and objections with no suppression, in one line
    ('' when none): the log must account for every one of them."""
    granted = {event["call_id"] for event in events if event["event"] == "granted"}
    calls = [
        call_id
        for (call_id,) in conn.execute(
            "SELECT id FROM calls WHERE outcome = 'opt_in' AND undone_at IS NULL ORDER BY id"
        )
        if call_id not in granted
    ]
    # An objection (no call: an opt-out) must have put its address and number on the list;
    # a withdrawal of an undone opt-in (with its call) is no objection, nor one a later event
    # of its lead took back (an opt-out key undone: `undo_optout`).
    latest = {event["lead_id"]: event["id"] for event in events if event["lead_id"] is not None}
    unlisted = [
        event["id"]
        for event in events
        if event["event"] == "withdrawn"
        and event["call_id"] is None
        and latest.get(event["lead_id"], event["id"]) == event["id"]
        and not event["erased_at"]
        and any(
            value and not is_suppressed(conn, kind, value)
            for kind, value in (("email", event["email"]), ("phone", event["phone_e164"]))
        )
    ]
    parts = []
    if calls:
        parts.append(f"opt-in calls with no consent event: {_named(calls)}")
    if unlisted:
        parts.append(
            f"withdrawals whose address or number is not suppressed: events {_named(unlisted)}"
        )
    return "; ".join(parts)


def _named(ids: list[int]) -> str:
    shown = ", ".join(str(number) for number in ids[:_NAMED])
    return shown + (f" and {len(ids) - _NAMED} more" if len(ids) > _NAMED else "")


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction, so the log and its head are read as of the same instant."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def verify_chain(store: Store, key_file: Path | None = None) -> tuple[bool, int | None, str]:
    """(intact, id of the first bad event or None, a one-line message for people)."""
    report = check_chain(store, key_file)
    return report.ok, report.first_bad_id, report.message


def latest_event(conn: sqlite3.Connection, lead_id: int) -> dict[str, Any] | None:
    cursor = conn.execute(
        "SELECT * FROM consent_events WHERE lead_id = ? ORDER BY id DESC LIMIT 1", (lead_id,)
    )
    found = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], found, strict=True)) if found else None


# Opt-out


def identify(value: str, region: str = "FR") -> tuple[str, str] | None:
    """("email", normalized) or ("phone", E.164) for one entry, None when it is neither."""
    text = value.strip().strip("'\"").strip()
    if "@" in text:
        checked = check_email(text)
        return ("email", checked.normalized.lower()) if checked.ok else None
    # Strict: only what a phone cell can hold, so dates and ids in a CSV are not numbers.
    if not _PHONE_CELL.match(text) or sum(ch.isdigit() for ch in text) < 9:
        return None
    phone = parse_phone(text, region)
    return ("phone", phone.e164) if phone else None


_PHONE_CELL = re.compile(r"^[\d\s+().\-/]+$")


def read_optout_file(path: Path) -> list[str]:
    """Every email or phone cell in a CSV (any separator or line ending) or a one-per-line list."""
    entries: list[str] = []
    # Imported here: the importer is not needed to start a calling session.
    from prospect_tui.core.importing.layout import text_rows

    for _, row in text_rows(path):
        entries.extend(cell.strip() for cell in row if identify(cell) is not None)
    return entries


@dataclass
class OptOutReport:
    """What an opt-out run did, entry by entry (the `--json` report)."""

    matched: list[dict[str, Any]] = field(default_factory=list)  # {entry, kind, leads, withdrawn}
    unknown: list[str] = field(default_factory=list)  # suppressed, but no lead had it
    invalid: list[str] = field(default_factory=list)  # neither an email nor a phone number
    withdrawn: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "unknown": self.unknown,
            "invalid": self.invalid,
            "withdrawal_events": self.withdrawn,
        }

    def summary(self) -> str:
        return (
            f"{len(self.matched)} matched ({self.withdrawn} consents withdrawn),"
            f" {len(self.unknown)} unknown (suppressed anyway), {len(self.invalid)} invalid"
        )


class _Index:
    """Leads by lowercased email and by phone, built once per run (opt-out files are bulk)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_email: dict[str, set[int]] = {}
        self.by_phone: dict[str, set[int]] = {}
        rows = conn.execute(
            "SELECT id, email, phone_e164, direct_line_e164 FROM leads WHERE erased_at IS NULL"
        )
        for lead_id, email, phone, direct in rows:
            self._add(self.by_email, (email or "").lower(), lead_id)
            self._add(self.by_phone, phone, lead_id)
            self._add(self.by_phone, direct, lead_id)
        rows = conn.execute(
            "SELECT lead_id, email, phone_e164 FROM consent_events"
            " WHERE lead_id IS NOT NULL AND erased_at IS NULL"
        )
        for lead_id, email, phone in rows:
            self._add(self.by_email, email.lower(), lead_id)
            self._add(self.by_phone, phone, lead_id)

    @staticmethod
    def _add(index: dict[str, set[int]], key: str | None, lead_id: int) -> None:
        if key:
            index.setdefault(key, set()).add(lead_id)

    def leads(self, kind: str, value: str) -> set[int]:
        return (self.by_email if kind == "email" else self.by_phone).get(value, set())


def _settings_of(conn: sqlite3.Connection, campaign_id: int | None) -> dict[str, Any]:
    from prospect_tui.core.campaigns import DEFAULTS, campaign_settings

    found = conn.execute("SELECT settings FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
    return dict(campaign_settings({"settings": found[0]})) if found else dict(DEFAULTS)


def _identities(conn: sqlite3.Connection, lead: dict[str, Any]) -> set[tuple[str, str]]:
    """Every email and number this lead's contact is known by (lead row and consent log)."""
    found = {("email", (lead["email"] or "").lower()), ("phone", lead["phone_e164"] or "")}
    found.add(("phone", lead["direct_line_e164"] or ""))
    for email, phone in conn.execute(
        "SELECT email, phone_e164 FROM consent_events WHERE lead_id = ? AND erased_at IS NULL",
        (lead["id"],),
    ):
        found |= {("email", email.lower()), ("phone", phone)}
    return {(kind, value) for kind, value in found if value}


def _withdraw_lead(
    conn: sqlite3.Connection, lead: dict[str, Any], *, caller: str, at: str, typed: str, reason: str
) -> int | None:
    """Withdraw consent, suppress every identity and close the lead; the new event id or None.

    A withdrawal is recorded even for a lead that never agreed (the objection itself is
    worth proving), but not twice in a row, so re-running the same file changes nothing.
    """
    for kind, value in _identities(conn, lead):
        suppress(conn, kind, value, reason, caller, at)
    # The objection takes effect at once: nobody is offered this lead again.
    conn.execute(
        "UPDATE leads SET status = 'done', final_outcome = COALESCE(final_outcome, 'do_not_call'),"
        " next_call_at = NULL, claimed_by = NULL, claimed_until = NULL WHERE id = ?",
        (lead["id"],),
    )
    conn.execute(
        "UPDATE callbacks SET done_at = ? WHERE lead_id = ? AND done_at IS NULL", (at, lead["id"])
    )
    last = latest_event(conn, lead["id"])
    if last is not None and last["event"] == "withdrawn":
        return None
    granted = last if last is not None and last["event"] == "granted" else None
    return record_consent(
        conn,
        event="withdrawn",
        lead=lead,
        call_id=None,
        email=granted["email"] if granted else (lead["email"] or "").lower(),
        email_typed=typed,
        contact_name=granted["contact_name"] if granted else lead["contact_name"],
        contact_title=granted["contact_title"] if granted else lead["contact_title"],
        caller=caller,
        at=at,
        phone_e164=granted["phone_e164"] if granted else lead["phone_e164"] or "",
        # What is withdrawn is the wording that was agreed to, even if the campaign's changed.
        settings=granted if granted else _settings_of(conn, lead["campaign_id"]),
    )


def record_optout(
    store: Store, entries: Iterable[str], *, caller: str, reason: str = "optout"
) -> OptOutReport:
    """Withdraw consent for every known contact among `entries` and suppress them all.

    Unknown entries are suppressed too (an objection is absolute, and protects later
    imports); the whole run is one transaction.
    """
    report = OptOutReport()
    at = store.now()
    seen: set[tuple[str, str]] = set()
    with store.write() as conn:
        index = _Index(conn)
        for entry in entries:
            identity = identify(entry)
            if identity is None:
                if entry.strip():
                    report.invalid.append(entry.strip())
                continue
            if identity in seen:
                continue
            seen.add(identity)
            kind, value = identity
            suppress(conn, kind, value, reason, caller, at)
            lead_ids = sorted(index.leads(kind, value))
            if not lead_ids:
                report.unknown.append(value)
                continue
            withdrawn = 0
            for lead_id in lead_ids:
                lead = store.lead(lead_id)
                if lead is None:
                    continue  # indexed in this transaction: cannot be gone
                event_id = _withdraw_lead(
                    conn, lead, caller=caller, at=at, typed=entry.strip(), reason=reason
                )
                withdrawn += event_id is not None
            report.withdrawn += withdrawn
            report.matched.append(
                {"entry": value, "kind": kind, "leads": lead_ids, "withdrawn": withdrawn}
            )
    return report


def optout_lead(store: Store, lead_id: int, caller: str) -> int | None:
    """The opt-out key on a lead's card: withdraw, suppress email and numbers, close the lead.

    Returns the withdrawal event's id (None when the latest event was already a withdrawal).
    """
    with store.write() as conn:
        lead = store.lead(lead_id)
        if lead is None:
            raise UserError(f"lead {lead_id} no longer exists")
        return _withdraw_lead(
            conn, lead, caller=caller, at=store.now(), typed="", reason="optout_key"
        )


def undo_optout(
    store: Store, before: dict[str, Any], withdrawal_id: int, caller: str, claim_minutes: int
) -> None:
    """Take back an opt-out key pressed by mistake (`u` in the same session): the suppression
    rows it added go and the lead is open again as `before`, claimed by `caller`; the log keeps the
    withdrawal and adds its undoing, a re-grant of the consent it withdrew if there was one
    (exports read the latest event), else a `withdrawal_undone` event."""
    now = store.clock()
    at = iso(now)
    with store.write() as conn:
        withdrawal = latest_event(conn, before["id"])
        if withdrawal is None or withdrawal["id"] != withdrawal_id:
            raise UserError(f"{before['company']}: its consent changed since the opt-out")
        lead = store.lead(before["id"])
        assert lead is not None
        for kind, value in _identities(conn, lead):
            conn.execute(
                "DELETE FROM suppressions WHERE kind = ? AND hash = ? AND reason = 'optout_key'"
                " AND added_by = ? AND added_at = ?",
                (kind, suppression_hash(kind, value), caller, withdrawal["at"]),
            )
        conn.execute(
            "UPDATE leads SET status = ?, final_outcome = ?, next_call_at = ?, claimed_by = ?,"
            " claimed_until = ? WHERE id = ?",
            (
                before["status"],
                before["final_outcome"],
                before["next_call_at"],
                caller,
                iso(now + timedelta(minutes=claim_minutes)),
                lead["id"],
            ),
        )
        conn.execute(
            "UPDATE callbacks SET done_at = NULL WHERE lead_id = ? AND done_at = ?",
            (lead["id"], withdrawal["at"]),
        )
        previous = store.row(
            "SELECT * FROM consent_events WHERE lead_id = ? AND id < ? ORDER BY id DESC LIMIT 1",
            (lead["id"], withdrawal_id),
        )
        regrant = previous is not None and previous["event"] == "granted"
        source = previous if previous is not None and regrant else withdrawal
        record_consent(
            conn,
            event="granted" if regrant else "withdrawal_undone",
            lead=lead,
            call_id=None,
            email=source["email"],
            email_typed=source["email_typed"],
            contact_name=source["contact_name"],
            contact_title=source["contact_title"],
            caller=caller,
            at=at,
            phone_e164=source["phone_e164"],
            settings=source,
        )


# Erasure and retention

_LEAD_ERASED = (
    "UPDATE leads SET company = '', phone_e164 = NULL, phone_national = '', city = '',"
    " postcode = '', contact_name = '', contact_title = '', email = '', siret = '',"
    " website = '', extra = '{}', manager_name = '', direct_line_e164 = '', best_time = '',"
    " notes = '', status = 'done', next_call_at = NULL, claimed_by = NULL,"
    " claimed_until = NULL, erased_at = :at WHERE id = :id"
)


@dataclass
class Erasure:
    """What an erasure or a purge removed (counts only: the data itself is gone)."""

    leads: list[int] = field(default_factory=list)
    calls: int = 0
    consent_events: int = 0

    def summary(self) -> str:
        return (
            f"erased {len(self.leads)} leads, {self.calls} call notes,"
            f" {self.consent_events} consent events (kept as tombstones)"
        )


def _erase_leads(conn: sqlite3.Connection, lead_ids: Iterable[int], at: str) -> Erasure:
    """Blank every personal field of these leads, their calls' notes and consent rows.

    Leads and calls stay as anonymous rows so counts and statistics still add up.
    """
    done = Erasure()
    for lead_id in lead_ids:
        conn.execute(_LEAD_ERASED, {"at": at, "id": lead_id})
        done.calls += conn.execute(
            "UPDATE calls SET note = '', dialled_e164 = '' WHERE lead_id = ?"
            " AND (note != '' OR dialled_e164 != '')",
            (lead_id,),
        ).rowcount
        conn.execute(
            "UPDATE callbacks SET done_at = ? WHERE lead_id = ? AND done_at IS NULL", (at, lead_id)
        )
        done.consent_events += _tombstone(conn, "lead_id = ?", (lead_id,), at)
        done.leads.append(lead_id)
    return done


def _tombstone(conn: sqlite3.Connection, where: str, params: tuple[Any, ...], at: str) -> int:
    blanks = ", ".join(f"{name} = ''" for name in PERSONAL_FIELDS)
    return conn.execute(
        f"UPDATE consent_events SET {blanks}, erased_at = ? WHERE erased_at IS NULL AND {where}",
        (at, *params),
    ).rowcount


def forget(store: Store, value: str, *, actor: Actor) -> Erasure:
    """Erase one person everywhere, keeping only the suppression hashes of their identities."""
    require(actor, "erase")
    identity = identify(value)
    if identity is None:
        raise UserError(f"{value!r} is neither a valid email address nor a phone number")
    kind, normal = identity
    at = store.now()
    with store.write() as conn:
        lead_ids = sorted(_Index(conn).leads(kind, normal))
        identities = {identity}
        for lead_id in lead_ids:
            lead = store.lead(lead_id)
            if lead is not None:
                identities |= _identities(conn, lead)
        for found_kind, found_value in identities:
            suppress(conn, found_kind, found_value, "erasure", actor.name, at)
        done = _erase_leads(conn, lead_ids, at)
        # Events whose lead was already erased or missing, found by the value itself.
        column = "lower(email)" if kind == "email" else "phone_e164"
        done.consent_events += _tombstone(conn, f"{column} = ?", (normal,), at)
    return done


_AGE = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$", re.IGNORECASE)
# Retention is counted in years; a longer age is a typo, and would leave the calendar.
_MOST = {"y": 100, "m": 1200, "w": 5217, "d": 36524}


def cutoff(age: str, now: datetime) -> datetime:
    """The moment `age` ("3y", "18m", "6w", "90d") before `now`, by the calendar."""
    match = _AGE.match(age)
    shown = age.strip() if len(age.strip()) <= 16 else age.strip()[:12] + "..."
    if match is None:
        raise UserError(f"--older-than {shown!r}: write it like 3y, 18m, 6w or 90d")
    digits, unit = match.group(1).lstrip("0") or "0", match.group(2).lower()
    count = int(digits) if len(digits) <= 6 else _MOST[unit] + 1
    if count > _MOST[unit]:
        raise UserError(f"--older-than {shown}: at most 100 years ({_MOST[unit]}{unit})")
    try:
        if unit in "wd":
            return now - timedelta(days=count * (7 if unit == "w" else 1))
        months = count * (12 if unit == "y" else 1)
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        # 29 February or the 31st in a shorter month: that month's last day.
        day = min(now.day, calendar.monthrange(year, month + 1)[1]) if year >= 1 else 1
        return now.replace(year=year, month=month + 1, day=day)
    except (ValueError, OverflowError):
        raise UserError(
            f"--older-than {shown}: reaches before the year 1 from {now.date().isoformat()}"
        ) from None


# Retention runs from collection (import) or the last contact that came from the prospect:
# a call where the manager answered, or a consent event.
_PURGE_SQL = """
SELECT id, company, last_contact FROM (
  SELECT l.id, l.company, max(
      l.created_at,
      coalesce((SELECT max(c.started_at) FROM calls c WHERE c.lead_id = l.id
                 AND c.reached = 'manager' AND c.undone_at IS NULL), ''),
      coalesce((SELECT max(e.at) FROM consent_events e WHERE e.lead_id = l.id), '')
  ) AS last_contact
  FROM leads l WHERE l.erased_at IS NULL
) WHERE last_contact < ? ORDER BY last_contact, id
"""


def purge_candidates(store: Store, older_than: str, *, actor: Actor) -> list[dict[str, Any]]:
    """Leads with no contact from the prospect since `older_than` ago, oldest first."""
    require(actor, "purge")
    return store.rows(_PURGE_SQL, (iso(cutoff(older_than, store.clock())),))


def purge(store: Store, older_than: str, *, actor: Actor) -> Erasure:
    """Erase every lead `purge_candidates` lists, in one transaction.

    No suppression is added: expiry is not an objection, so a later list may bring the
    company back.
    """
    at = store.now()
    with store.write() as conn:
        lead_ids = [r["id"] for r in purge_candidates(store, older_than, actor=actor)]
        return _erase_leads(conn, lead_ids, at)
