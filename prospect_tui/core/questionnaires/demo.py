"""The two questionnaire demo campaigns: the demo companies as a client file to qualify,
and a satisfaction survey, each with its questionnaire from data/.
"""

from __future__ import annotations

import json
from importlib.resources import files

from prospect_tui.core.questionnaires.derive import copy_lead
from prospect_tui.core.questionnaires.parse import parse_questionnaire
from prospect_tui.core.questionnaires.storage import attach_text
from prospect_tui.core.roles import Actor
from prospect_tui.core.store import Store

# campaign -> (questionnaire file in data/, how many of the demo companies it calls)
DEMO_QUESTIONNAIRES = {
    "demo-qualification": ("demo_qualification.toml", 40),
    "demo-satisfaction": ("demo_satisfaction.toml", 30),
}


def build_questionnaire_demos(
    store: Store, source: str, settings: dict[str, str], actor: Actor
) -> None:
    """Copy the first demo leads into each campaign, as clients, and attach its questionnaire."""
    leads = store.rows(
        "SELECT * FROM leads WHERE campaign_id = ? ORDER BY id", (store.campaign(source)["id"],)
    )
    for name, (file_name, count) in DEMO_QUESTIONNAIRES.items():
        text = (files("prospect_tui.data") / file_name).read_text(encoding="utf-8")
        with store.write() as conn:
            campaign = store.ensure_campaign(name, settings)
            for number, lead in enumerate(leads[:count], 1):
                extra = json.loads(lead["extra"] or "{}") | {"client_id": f"C{number:04d}"}
                copy_lead(
                    conn,
                    lead,
                    campaign["id"],
                    store.now(),
                    extra=json.dumps(extra, ensure_ascii=False),
                    source="Fichier clients InfoPro (démonstration)",
                )
            attach_text(store, name, parse_questionnaire(text, file_name), file_name, actor)
