"""Consent proof, opt-out, erasure and retention: one module per job, the public names here.

chain: the keyed event log, its head and seal; optout: withdrawals and opt-out files;
erasure: `forget`; retention: `purge`. The migration SQL stays frozen in core/schema.py.
"""

from __future__ import annotations

from prospect_tui.core.consent.chain import (
    PERSONAL_FIELDS,
    PUBLIC_FIELDS,
    SEALED,
    ChainHead,
    ChainReport,
    Sealed,
    check_chain,
    database_name,
    event_hash,
    forget_outside_head,
    keyed_hash,
    latest_event,
    personal_digest,
    read_head,
    record_consent,
    seal,
    verify_chain,
)
from prospect_tui.core.consent.erasure import (
    Erasure,
    erase_leads,
    forget,
)
from prospect_tui.core.consent.optout import (
    LeadIndex,
    OptOutReport,
    identify,
    lead_identities,
    optout_lead,
    read_optout_file,
    record_optout,
    undo_optout,
)
from prospect_tui.core.consent.retention import (
    cutoff,
    purge,
    purge_candidates,
)

__all__ = [
    "ChainHead",
    "ChainReport",
    "Erasure",
    "LeadIndex",
    "OptOutReport",
    "PERSONAL_FIELDS",
    "PUBLIC_FIELDS",
    "SEALED",
    "Sealed",
    "check_chain",
    "cutoff",
    "database_name",
    "erase_leads",
    "event_hash",
    "forget",
    "forget_outside_head",
    "identify",
    "keyed_hash",
    "latest_event",
    "lead_identities",
    "optout_lead",
    "personal_digest",
    "purge",
    "purge_candidates",
    "read_head",
    "read_optout_file",
    "record_consent",
    "record_optout",
    "seal",
    "undo_optout",
    "verify_chain",
]
