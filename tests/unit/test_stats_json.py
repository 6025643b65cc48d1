"""`prospect stats --json` is a contract: on a fixed history its output never changes.

tests/unit/data/stats_golden.json was written by the code before core/stats/ was split;
every change to how figures are computed or typed must leave these bytes as they are.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from prospect_tui.cli import main

GOLDEN = Path(__file__).parent / "data" / "stats_golden.json"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "seed_history.py"
ASKED = {
    "all time": ["stats", "--json"],
    "this month": ["stats", "--period", "month", "--json"],
    "a week, one campaign, one caller": [
        "stats",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-08",
        "--campaign",
        "seed",
        "--caller",
        "chloe",
        "--json",
    ],
}


def seeded(path: Path) -> None:
    spec = importlib.util.spec_from_file_location("seed_history", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.seed(path, 300, 3000, "seed", 4, 11, now=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


def outputs(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    found = {}
    for name, args in ASKED.items():
        assert main(["--db", str(path), *args]) == 0
        found[name] = capsys.readouterr().out
    return found


def test_stats_json_is_byte_for_byte_what_it_was(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PROSPECT_CONFIG", str(tmp_path / "no-config.toml"))
    path = tmp_path / "history.db"
    seeded(path)
    found = outputs(path, capsys)
    assert json.loads(found["all time"])["calls"] > 2000  # a real history, not an empty one
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for name in ASKED:
        assert found[name] == golden[name], name
