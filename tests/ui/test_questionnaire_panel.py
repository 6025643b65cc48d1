"""Pilot tests of the questionnaire panel: digits answer, a branch, going back, a missing code,
a typed answer written to the lead, a resume after a quit, Enter records `completed`."""

from __future__ import annotations

from prospect_tui.app import make_app
from prospect_tui.core.config import Config
from prospect_tui.core.questionnaires.parse import parse_questionnaire
from prospect_tui.core.questionnaires.storage import attach_text
from prospect_tui.widgets.questionnaire_panel import QuestionnairePanel
from tests.helpers import A_SUPERVISOR, add_leads, card_text, screen_text, toasts
from tests.unit.questionnaire_data import SMALL


def answers(store) -> dict[str, tuple]:
    rows = store.rows("SELECT question_id, value, missing FROM answers ORDER BY id")
    return {r["question_id"]: (r["value"], r["missing"]) for r in rows}


async def test_answers_with_digits_branch_back_missing_and_completed(store):
    add_leads(store, "sat", 3)
    attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
    app = make_app(store, "alice", "sat", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        panel = app.screen.query_one(QuestionnairePanel)
        assert panel.has_focus and "Sur 5, l'accueil ?" in screen_text(app)
        await pilot.press("4")  # a digit answers the scale: no outcome recorded
        await pilot.press("1")  # projet: 1 = Yes -> the branch opens
        await pilot.pause()
        assert "Lesquels ?" in screen_text(app)
        await pilot.press("up")  # back to projet, answer No instead
        await pilot.press("2")
        await pilot.pause()
        assert answers(store) == {"accueil": ("4", None), "projet": ("no", None)}
        assert "Nom du responsable" in screen_text(app)
        await pilot.press("ctrl+u", *"Mme Jacques 2", "enter")  # q and 2 are typed
        await pilot.pause()
        assert "Interview complete" in screen_text(app)
        assert "Mme Jacques 2" in card_text(app)  # the answer wrote the lead's contact
        assert store.scalar("SELECT count(*) FROM calls") == 0
        await pilot.press("enter")
        await pilot.pause()
        assert "Société 001" in card_text(app)
        # The next lead: the card has the focus again and digits are outcome keys.
        await pilot.press("f8")  # not the panel's: nothing happens
        await pilot.press("q", "f9")  # refused to accueil: a missing code, not a score
        await pilot.pause()
        await pilot.press("escape", "1")  # back on the card, 1 is "no answer"
        await pilot.pause()
    calls = store.rows("SELECT lead_id, outcome FROM calls ORDER BY id")
    assert calls == [{"lead_id": 1, "outcome": "completed"}, {"lead_id": 2, "outcome": "no_answer"}]
    missing = store.row("SELECT question_id, value, missing FROM answers WHERE interview_id = 2")
    assert missing == {"question_id": "accueil", "value": None, "missing": "refused"}
    status = store.rows("SELECT call_id, status FROM interview_calls ORDER BY call_id")
    assert status == [{"call_id": 1, "status": "completed"}, {"call_id": 2, "status": "partial"}]


async def test_missing_code_keys_are_shown_and_remappable(store):
    add_leads(store, "sat", 1)
    attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
    keymap = {"questionnaire.dont_know": "f2"}
    app = make_app(store, "alice", "sat", config=Config(keymap=keymap))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert "f2 Don't know" in screen_text(app) and "f9 Refused" in screen_text(app)
        await pilot.press("f2")
        await pilot.pause()
    assert answers(store) == {"accueil": (None, "dont_know")}


async def test_the_stats_screen_shows_the_questions_view(store):
    from prospect_tui.app import make_stats_app
    from prospect_tui.core.questionnaires.model import Answer
    from prospect_tui.core.questionnaires.storage import give_answer, load_interview

    campaign = add_leads(store, "sat", 2)
    attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
    for lead_id, score, missing in ((1, 4.0, None), (2, None, "dont_know")):
        interview = load_interview(store, lead_id, campaign["id"])
        question = interview.version.questionnaire.question("accueil")
        give_answer(store, interview, question, Answer(score, missing), "alice")
    app = make_stats_app(store, "alice", "sat", config=Config(), period="today")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        for _ in range(100):
            await pilot.pause(0.05)
            shown = str(app.screen.query_one("#questions-figures").render())
            if "accueil" in shown:
                break
        assert "accueil (scale): 1 answered; NA 0, NSP 1, REFUS 0" in shown
        assert "mean 4.00 (n=1)" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "StatsScreen"


async def test_the_legend_offers_q_only_where_there_are_questions(store):
    add_leads(store, "sat", 2)
    app = make_app(store, "alice", "sat", config=Config())
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await pilot.pause()
        assert "q Questions" not in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
        assert "This campaign has no questionnaire." in toasts(app)
        # A supervisor attaches one while the session runs: the next `q` opens it.
        attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
        await pilot.press("q")
        await pilot.pause()
        assert "Sur 5, l'accueil ?" in screen_text(app)
        await pilot.press("escape")  # back on the card, where `q` is a key again
        await pilot.pause()
        assert "q Questions" in screen_text(app)
    app = make_app(store, "alice", "sat", config=Config())
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert "q Questions" in screen_text(app)
