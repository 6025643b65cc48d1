"""Withdrawal and opt-out: the `o` key, its undo, and opt-out files (`prospect consent optout`).

Each objection suppresses every identity of the contact and closes his leads at once.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prospect_tui.core import UserError
from prospect_tui.core.clock import iso
from prospect_tui.core.consent.chain import latest_event, record_consent
from prospect_tui.core.emails import check_email
from prospect_tui.core.phones import parse_phone
from prospect_tui.core.suppression import suppress, suppression_hash

if TYPE_CHECKING:
    from prospect_tui.core.store import Store


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


class LeadIndex:
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


def lead_identities(conn: sqlite3.Connection, lead: dict[str, Any]) -> set[tuple[str, str]]:
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
    for kind, value in lead_identities(conn, lead):
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
        index = LeadIndex(conn)
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
        for kind, value in lead_identities(conn, lead):
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
