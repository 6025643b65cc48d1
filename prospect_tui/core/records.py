"""Typed records of the caller's loop: a lead, a call, a campaign's settings, what was captured.

Rows stay dicts (sqlite rows read by name), typed here so a checker sees every key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict


class Lead(TypedDict):
    """A row of `leads`: one company to call, where it is in the queue, who holds it."""

    id: int
    campaign_id: int
    batch_id: int | None
    company: str
    phone_e164: str | None
    phone_national: str
    phone_type: str
    timezone: str
    city: str
    postcode: str
    contact_name: str
    contact_title: str
    email: str
    siret: str
    sector: str
    employees: str
    website: str
    extra: str
    source: str
    status: str  # open, callback or done
    final_outcome: str | None
    attempts: int  # the lead's calls not undone
    last_called_at: str | None
    next_call_at: str | None
    claimed_by: str | None
    claimed_until: str | None
    manager_name: str
    direct_line_e164: str
    best_time: str
    notes: str
    created_at: str
    erased_at: str | None


class Call(TypedDict):
    """A row of `calls`: one outcome recorded; an undone call is flagged, never deleted."""

    id: int
    lead_id: int
    campaign_id: int
    caller: str
    outcome: str
    reached: str  # none, switchboard or manager
    started_at: str
    ended_at: str
    duration_s: float
    dialled_e164: str
    note: str
    undone_at: str | None


class Campaign(TypedDict):
    """A row of `campaigns`; its settings are JSON over the defaults (CampaignSettings)."""

    id: int
    name: str
    created_at: str
    settings: str


class CampaignSettings(TypedDict):
    """A campaign's settings with every default filled in (core/campaigns.py)."""

    region: str
    calling_hours: str
    holidays_subdiv: str
    retry_minutes: dict[str, int | str]  # minutes, or "next_day"
    max_attempts: int
    queue_order: str  # retries_first or fresh_first
    claim_minutes: int
    consumer_guard: bool
    our_company: str
    script: str
    objections: str
    consent_text: str
    consent_version: str
    purpose: str


@dataclass
class OptIn:
    """What the caller captured when the IT manager agreed."""

    email: str
    contact_name: str = ""
    contact_title: str = ""


@dataclass
class CallbackRequest:
    due_at: datetime
    asked_by: str = "manager"  # or "switchboard"
    owner_only: bool = True  # for me only, or for anyone


@dataclass
class Recorded:
    """A call this session recorded: its id (undo finds its effects by it) and, for the
    counters kept without a query (Today.count), the call as stored."""

    call_id: int
    lead_id: int
    outcome: str
    reached: str
    started_at: str
    duration_s: float
