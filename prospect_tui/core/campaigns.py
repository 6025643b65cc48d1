"""Campaign settings: stored as JSON on the campaign row, over these defaults.

`prospect campaign set NAME KEY VALUE` writes one key; reading merges the defaults.
"""

from __future__ import annotations

import json

from prospect_tui.core.store import Store

CONSENT_TEXT = (
    "Acceptez-vous de recevoir par e-mail nos promotions mensuelles sur le matériel et les "
    "logiciels informatiques ? Vous pourrez vous désinscrire à tout moment par un lien "
    "présent dans chaque e-mail."
)

DEFAULTS: dict = {
    "region": "FR",
    "calling_hours": "mon-fri 09:00-12:30,14:00-18:30",
    "retry_minutes": {"no_answer": 120, "busy": 15, "voicemail": 240, "switchboard": "next_day"},
    "max_attempts": 6,
    "claim_minutes": 10,
    "consent_text": CONSENT_TEXT,
    "consent_version": "1",
    "purpose": "monthly IT promotions by email",
    "consumer_guard": False,
}


def campaign_settings(campaign: dict) -> dict:
    """The campaign's settings with every default filled in."""
    stored = json.loads(campaign.get("settings") or "{}")
    return {**DEFAULTS, **stored}


def set_setting(store: Store, name: str, key: str, value: object) -> dict:
    campaign = store.campaign(name)
    stored = json.loads(campaign["settings"] or "{}")
    stored[key] = value
    with store.write() as conn:
        conn.execute(
            "UPDATE campaigns SET settings = ? WHERE id = ?", (json.dumps(stored), campaign["id"])
        )
    return store.campaign(name)
