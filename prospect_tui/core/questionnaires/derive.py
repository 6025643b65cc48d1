"""A campaign built from another's results: its leads whose latest outcome is one of those
given, with what was learnt; withdrawn, do-not-call and erased leads left out and counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prospect_tui.core import UserError
from prospect_tui.core.clock import iso
from prospect_tui.core.outcomes import BY_CODE
from prospect_tui.core.questionnaires.parse import read_questionnaire
from prospect_tui.core.questionnaires.storage import attach_text
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppressed_hashes, suppression_hash

# Each source lead's latest call in the period (undone calls never count), its latest
# consent event, and what the switchboard or the manager told us.
_LATEST_SQL = """
SELECT l.*, c.outcome AS latest_outcome,
    (SELECT e.event FROM consent_events e WHERE e.lead_id = l.id ORDER BY e.id DESC LIMIT 1)
        AS consent,
    (SELECT e.email FROM consent_events e WHERE e.lead_id = l.id AND e.event = 'granted'
        ORDER BY e.id DESC LIMIT 1) AS opted_email
FROM leads l JOIN calls c ON c.id = (
    SELECT k.id FROM calls k WHERE k.lead_id = l.id AND k.undone_at IS NULL
    AND k.started_at >= ? AND k.started_at < ? ORDER BY k.started_at DESC, k.id DESC LIMIT 1)
WHERE l.campaign_id = ?
ORDER BY l.id
"""
_COPIED = (
    "company", "phone_e164", "phone_national", "phone_type", "timezone", "city", "postcode",
    "contact_name", "contact_title", "email", "siret", "sector", "employees", "website",
    "extra", "source", "manager_name", "direct_line_e164", "best_time",
)  # fmt: skip


@dataclass
class Derived:
    campaign: str
    leads: int = 0
    skipped: dict[str, int] = field(
        default_factory=lambda: {"withdrawn": 0, "do_not_call": 0, "erased": 0}
    )

    def as_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "leads": self.leads, "skipped": self.skipped}

    def summary(self) -> str:
        s = self.skipped
        return (
            f"campaign {self.campaign!r}: {self.leads} leads; left out {s['withdrawn']}"
            f" withdrawn, {s['do_not_call']} do-not-call, {s['erased']} erased"
        )


def _bound(text: str | None, end: bool, zone: ZoneInfo) -> str:
    """A --since/--until day as a stored-time bound (days of `zone`, as the stats count them)."""
    if not text:
        return "9999" if end else ""
    from prospect_tui.core.stats import local_midnight, parse_day

    day = parse_day(text) + (timedelta(days=1) if end else timedelta())
    return iso(local_midnight(day, zone))


def copy_lead(conn: Any, lead: dict[str, Any], campaign_id: int, now: str, **learnt: str) -> None:
    """A new lead on `campaign_id` with the fields of `lead`, overridden by `learnt`."""
    values = {name: lead[name] for name in _COPIED} | learnt
    names = [*values, "campaign_id", "created_at"]
    conn.execute(
        f"INSERT INTO leads ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [*values.values(), campaign_id, now],
    )


def campaign_from(
    store: Store,
    name: str,
    source: str,
    *,
    outcomes: list[str],
    since: str | None = None,
    until: str | None = None,
    questionnaire: Path | None = None,
    actor: Actor,
    zone: ZoneInfo,
) -> Derived:
    """Create campaign `name` from `source`'s leads whose latest outcome is in `outcomes`
    (and their latest call between the days `since` and `until` of `zone`).

    Membership is frozen now: later calls on the source change nothing. All or nothing.
    """
    require(actor, "campaign.create")
    if questionnaire is not None:
        require(actor, "questionnaire.attach")
    unknown = [o for o in outcomes if o not in BY_CODE]
    if unknown or not outcomes:
        known = ", ".join(BY_CODE)
        raise UserError(f"unknown outcome {', '.join(unknown) or '(none)'} (choose from {known})")
    origin = store.campaign(source)
    if name in store.campaign_names():
        raise UserError(f"campaign {name!r} already exists: choose a new name")
    parsed = read_questionnaire(questionnaire) if questionnaire is not None else None
    start, end = _bound(since, False, zone), _bound(until, True, zone)
    made = Derived(name)
    with store.write() as conn:
        phones = suppressed_hashes(conn, "phone")
        emails = suppressed_hashes(conn, "email")
        settings = json.loads(origin["settings"] or "{}")
        campaign_id = conn.execute(
            "INSERT INTO campaigns (name, created_at, settings) VALUES (?, ?, ?) RETURNING id",
            (name, store.now(), json.dumps(settings)),
        ).fetchone()[0]
        for lead in store.rows(_LATEST_SQL, (start, end, origin["id"])):
            if lead["latest_outcome"] not in outcomes:
                continue
            if lead["erased_at"]:
                made.skipped["erased"] += 1
                continue
            if lead["consent"] == "withdrawn":
                made.skipped["withdrawn"] += 1
                continue
            numbers = [n for n in (lead["phone_e164"], lead["direct_line_e164"]) if n]
            email = lead["opted_email"] or lead["email"]
            if any(suppression_hash("phone", n) in phones for n in numbers) or (
                email and suppression_hash("email", email) in emails
            ):
                made.skipped["do_not_call"] += 1
                continue
            extra = json.loads(lead["extra"] or "{}")
            extra["source_campaign"] = source
            copy_lead(
                conn,
                lead,
                campaign_id,
                store.now(),
                contact_name=lead["manager_name"] or lead["contact_name"],
                email=email,
                extra=json.dumps(extra, ensure_ascii=False),
                source=f"{lead['source']} (campaign {source})".strip(),
            )
            made.leads += 1
        if parsed is not None:
            attach_text(store, name, parsed, Path(questionnaire or "").name, actor)
    return made
