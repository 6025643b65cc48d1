"""Which campaign a served session opens on: the one `serve --campaign` names, the prospecting
demo for `demo --serve` (not the newest campaign, a survey), an unknown name refused at start.
"""

from __future__ import annotations

import argparse

import pytest

from prospect_tui import cli
from prospect_tui.serve.server import app_command


def test_a_served_app_opens_on_the_campaign_named(store) -> None:
    assert app_command(store, "spring")("ann")[-2:] == ["--campaign", "spring"]
    assert "--campaign" not in app_command(store)("ann")


def test_the_served_demo_opens_callers_on_the_prospecting_campaign(tmp_path, monkeypatch) -> None:
    served: list[argparse.Namespace] = []
    monkeypatch.setattr("prospect_tui.serve.run_server", lambda store, args: served.append(args))
    cli.main(["--db", str(tmp_path / "demo.db"), "demo", "--serve"])
    assert served[0].campaign == "demo"


def test_serving_an_unknown_campaign_stops_at_start(tmp_path, capsys) -> None:
    db = str(tmp_path / "demo.db")
    cli.main(["--db", db, "campaign", "list"])
    assert cli.main(["--db", db, "serve", "--campaign", "nope", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nope" in error


@pytest.fixture(autouse=True)
def _no_demo_users_printed(monkeypatch) -> None:
    # demo --serve prints its generated passwords: keep the test's output quiet.
    monkeypatch.setattr("prospect_tui.serve.add_demo_users", lambda store: [])
