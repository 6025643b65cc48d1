"""Consent proof: an append-only, keyed hash-chained event log, its head and its seal.

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

import hashlib
import hmac
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prospect_tui.core import UserError
from prospect_tui.core.consent_key import (
    ConsentKey,
    OutsideHead,
    heads_path,
    load_key,
    read_outside_head,
    write_outside_head,
)
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import after_commit
from prospect_tui.core.suppression import is_suppressed

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
