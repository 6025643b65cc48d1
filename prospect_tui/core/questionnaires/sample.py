"""The whole sample of a campaign: every lead, respondent or not, with its final AAPOR
disposition (the one `stats --questions` counts), its attempts and its interview's status.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from prospect_tui.core.clock import parse_iso
from prospect_tui.core.questionnaires.engine import DISPOSITION_LABELS
from prospect_tui.core.questionnaires.export import identity, write_key
from prospect_tui.core.questionnaires.figures import lead_dispositions
from prospect_tui.core.questionnaires.survey_files import Cell, Table, Variable, write_table
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import Store

# Contract: names and order never change (a key or case id column comes first when asked).
SAMPLE_HEADERS = (
    "lead_id",
    "company",
    "phone_e164",
    "disposition",
    "disposition_label",
    "attempts",
    "first_call_at",
    "last_call_at",
    "last_caller",
    "interview",
)
_LABELS = {
    "lead_id": "lead id in prospect",
    "disposition": "final AAPOR disposition (I, P, R, NE, NC, UH)",
    "attempts": "calls made (undone calls left out)",
    "interview": "interview status (empty: no interview)",
}
_KINDS = {"attempts": "number", "first_call_at": "moment", "last_call_at": "moment"}
NOT_CALLED = "not called"

# Every lead of the campaign with its calls (undone ones left out), the caller of its latest
# call and its interview's status after its latest call ('open' before any).
_SAMPLE_SQL = """
SELECT l.id, l.company, l.phone_e164, count(c.id), min(c.started_at), max(c.started_at),
    (SELECT k.caller FROM calls k WHERE k.lead_id = l.id AND k.campaign_id = l.campaign_id
     AND k.undone_at IS NULL ORDER BY k.started_at DESC, k.id DESC LIMIT 1),
    (SELECT coalesce((SELECT ic.status FROM interview_calls ic JOIN calls k ON k.id = ic.call_id
                      WHERE ic.interview_id = i.id AND k.undone_at IS NULL
                      ORDER BY k.id DESC LIMIT 1), 'open')
     FROM interviews i WHERE i.lead_id = l.id AND i.campaign_id = l.campaign_id)
FROM leads l LEFT JOIN calls c
    ON c.lead_id = l.id AND c.campaign_id = l.campaign_id AND c.undone_at IS NULL
WHERE l.campaign_id = ?
GROUP BY l.id
ORDER BY l.id
"""


def export_sample(
    store: Store,
    campaign_name: str,
    output: Path | None,
    fmt: str = "csv",
    *,
    actor: Actor,
    zone: ZoneInfo,
    key: str | None = None,
    pseudonymise: bool = False,
) -> int:
    """One row per lead of the campaign (CSV to stdout when `output` is None); the rows."""
    require(actor, "export.sample")
    campaign = store.campaign(campaign_name)
    who = identity(store, campaign["id"], key, pseudonymise, output)
    dispositions = lead_dispositions(store, campaign["id"])
    fixed = [h for h in SAMPLE_HEADERS if who.keep(h) and (who.cases is None or h != "lead_id")]
    variables = who.headers() + [
        Variable(h, _LABELS.get(h, h.replace("_", " ")), _KINDS.get(h, "text")) for h in fixed
    ]

    def rows() -> Iterator[list[Cell]]:
        for lead, company, phone, attempts, first, last, caller, status in store.conn.execute(
            _SAMPLE_SQL, (campaign["id"],)
        ):
            code = dispositions.get(lead)
            called = lead in dispositions
            known: dict[str, Cell] = {
                "lead_id": str(lead),
                "company": company,
                "phone_e164": phone,
                "disposition": code,
                "disposition_label": DISPOSITION_LABELS.get(code or "", "")
                if called
                else NOT_CALLED,
                "attempts": float(attempts),
                "first_call_at": parse_iso(first) if first else None,
                "last_call_at": parse_iso(last) if last else None,
                "last_caller": caller,
                "interview": status,
            }
            yield who.cells(lead, company, phone) + [known[h] for h in fixed]

    table = Table(variables, rows(), "sample")
    return write_table(table, output, fmt, lambda: write_key(who, output), zone)
