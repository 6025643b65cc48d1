"""The demo database: a fresh file with campaign "demo" and the packaged sample lead list,
plus demo-qualification and demo-satisfaction with their questionnaires.

`prospect demo` rebuilds it every time, so a demo always starts from the same state.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from prospect_tui.core.consent import forget_outside_head
from prospect_tui.core.importing import import_file
from prospect_tui.core.questionnaires.demo import build_questionnaire_demos
from prospect_tui.core.roles import SUPERVISOR, Actor
from prospect_tui.core.store import Store

DEMO_CAMPAIGN = "demo"
# Read out by the script (GDPR art. 14: name where the list came from).
DEMO_SOURCE = "Fichiers PME France (liste de démonstration)"
DEMO_SETTINGS = {"calling_hours": "off", "our_company": "InfoPro Distribution"}
# Whoever runs `prospect demo` builds a new file of his own: he supervises it.
DEMO_BUILDER = Actor("demo", SUPERVISOR)


def build_demo(path: Path) -> Store:
    """Delete any old demo database at `path`, then build a new one and return its store."""
    path = Path(path)
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    forget_outside_head(path)
    store = Store(path)
    # Any hour suits a demo: calling hours would leave the list empty at night.
    store.ensure_campaign(DEMO_CAMPAIGN, DEMO_SETTINGS)
    with as_file(files("prospect_tui.data") / "demo_leads.csv") as demo_list:
        import_file(
            store, demo_list, actor=DEMO_BUILDER, campaign=DEMO_CAMPAIGN, source=DEMO_SOURCE
        )
    build_questionnaire_demos(store, DEMO_CAMPAIGN, DEMO_SETTINGS, DEMO_BUILDER)
    return store
