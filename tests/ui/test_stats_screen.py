"""Pilot tests of the stats screen: the period changes the figures; access follows the config."""

from __future__ import annotations

from prospect_tui.app import make_stats_app
from prospect_tui.core.config import Config
from prospect_tui.core.dialing import Dialer
from prospect_tui.screens.stats import StatsScreen
from tests.helpers import add_leads, session


def call(store, caller, campaign, code):
    dialer = Dialer(store, caller, campaign)
    lead = dialer.next_lead()
    dialer.record(lead["id"], code, started_at=store.clock(), duration_s=60)


async def wait_for_headline(app, pilot, text: str) -> str:
    for _ in range(100):
        shown = str(app.screen.query_one("#headline").render())
        if text in shown:
            return shown
        await pilot.pause(0.05)
    raise AssertionError(f"{text!r} never shown; headline was {shown!r}")


def callers_shown(app) -> list[str]:
    table = app.screen.query_one("#callers")
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_changing_the_period_changes_the_figures(store, clock):
    campaign = add_leads(store, "spring", 10)
    call(store, "alice", campaign, "refused")  # Monday 23 November
    clock.advance(days=-7)
    for _ in range(3):
        call(store, "alice", campaign, "no_answer")  # the Monday before
    clock.advance(days=7)
    app = make_stats_app(store, "alice", config=Config())
    async with app.run_test(size=(140, 50)) as pilot:
        assert isinstance(app.screen, StatsScreen)
        await wait_for_headline(app, pilot, "1 calls")
        assert "1 IT managers" in str(app.screen.query_one("#headline").render())
        app.screen.query_one("#period").value = "lastweek"
        await wait_for_headline(app, pilot, "3 calls")
        assert "0 IT managers" in str(app.screen.query_one("#headline").render())
        app.screen.query_one("#period").value = "all"
        await wait_for_headline(app, pilot, "4 calls")
        funnel = str(app.screen.query_one("#funnel").render())
        assert "Called" in funnel and "IT manager reached" in funnel


async def test_new_calls_appear_without_a_key_press(store, clock):
    campaign = add_leads(store, "spring", 5)
    app = make_stats_app(store, "alice", config=Config())
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for_headline(app, pilot, "0 calls")
        call(store, "bob", campaign, "busy")
        for _ in range(100):
            if "1 calls" in str(app.screen.query_one("#headline").render()):
                break
            await pilot.pause(0.1)
        assert "1 calls" in str(app.screen.query_one("#headline").render())


async def test_a_caller_who_is_not_a_supervisor_sees_only_his_own_figures(store):
    campaign = add_leads(store, "spring", 10)
    call(store, "alice", campaign, "busy")
    call(store, "bob", campaign, "refused")
    config = Config(supervisors=("claire",))
    app = make_stats_app(store, "alice", config=config)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for_headline(app, pilot, "1 calls")
        assert callers_shown(app) == ["alice"]
        assert "only supervisors" in str(app.screen.query_one("#access").render())
    app = make_stats_app(store, "alice", config=config, requested_caller="bob")
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        assert "refused: only a supervisor" in str(app.screen.query_one("#access").render())
        assert callers_shown(app) == []
    app = make_stats_app(store, "claire", config=config)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for_headline(app, pilot, "2 calls")
        assert callers_shown(app) == ["alice", "bob"]


async def test_stats_key_opens_the_screen_from_the_session(store, clock):
    add_leads(store, "spring", 3)
    async with session(store, size=(140, 50)) as (app, pilot):
        await pilot.press("1")
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        await wait_for_headline(app, pilot, "1 calls")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)


async def test_the_questions_view_reads_labels_and_names_the_edition(store):
    from prospect_tui.core.questionnaires.model import Answer
    from prospect_tui.core.questionnaires.parse import parse_questionnaire
    from prospect_tui.core.questionnaires.storage import attach_text, give_answer, load_interview
    from tests.helpers import A_SUPERVISOR
    from tests.unit.questionnaire_data import SMALL

    campaign = add_leads(store, "sat", 1)
    attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
    interview = load_interview(store, 1, campaign["id"])
    questionnaire = interview.version.questionnaire
    for qid, value in (("accueil", 5.0), ("projet", "yes"), ("projet_type", ("serveur",))):
        give_answer(store, interview, questionnaire.question(qid), Answer(value), "alice")
    app = make_stats_app(store, "alice", "sat", config=Config(), period="today")
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("a")
        shown = ""
        for _ in range(100):
            await pilot.pause(0.05)
            shown = str(app.screen.query_one("#questions-figures").render())
            if "projet_type" in shown:
                break
    # The choices' labels, not their codes; the rates with their edition.
    assert "Serveurs" in shown and "Yes" in shown and "5 Excellent" in shown
    assert "serveur " not in shown
    assert "RR3" in shown and "AAPOR Standard Definitions, 10th edition, 2023" in shown
