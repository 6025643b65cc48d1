"""One typed Config, built by the command line and passed down: no module keeps a plain-dict
copy, a zone of its own, or asks a process-wide copy for the team's zone."""

from __future__ import annotations

from pathlib import Path

import pytest

import prospect_tui

PACKAGE = Path(prospect_tui.__file__).parent
# The old ways: the dict form of the config, the session's own zone, the cached zone.
GONE = ("as_dict(", "HOME_ZONE", "home_zone()")


@pytest.mark.parametrize("text", GONE)
def test_no_module_reads_the_config_the_old_way(text):
    found = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*.py"))
        if text in path.read_text(encoding="utf-8")
    ]
    assert found == []
