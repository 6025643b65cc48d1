"""The interview engine without a screen or a store: branching, going back, what a change
hides, completion, partial and break-off, typed answers, dispositions and AAPOR rates."""

from __future__ import annotations

import pytest

from prospect_tui.core.questionnaires.engine import (
    AnswerError,
    aapor_rates,
    choice_for_digit,
    final_disposition,
    hidden_answers,
    interview_status,
    next_question,
    parse_answer,
    previous_question,
    shown_questions,
    toggle,
)
from prospect_tui.core.questionnaires.model import Answer
from prospect_tui.core.questionnaires.parse import parse_questionnaire
from tests.unit.questionnaire_data import SMALL

Q = parse_questionnaire(SMALL)


def ids(questions):
    return [q.id for q in questions]


def test_the_branch_is_taken_only_on_yes():
    yes = {"accueil": Answer(4.0), "projet": Answer("yes")}
    no = {"accueil": Answer(4.0), "projet": Answer("no")}
    assert next_question(Q, yes).id == "projet_type"
    assert next_question(Q, no).id == "contact"
    assert ids(shown_questions(Q, no)) == ["accueil", "projet", "contact"]


def test_a_missing_code_answers_but_never_opens_a_branch():
    refused = {"accueil": Answer(None, "dont_know"), "projet": Answer(None, "refused")}
    assert next_question(Q, refused).id == "contact"


def test_going_back_walks_the_shown_questions_only():
    no = {"accueil": Answer(4.0), "projet": Answer("no")}
    assert previous_question(Q, no, "contact").id == "projet"
    assert previous_question(Q, no, "accueil") is None
    done = {**no, "contact": Answer("Mme Roy")}
    assert previous_question(Q, done, None).id == "contact"


def test_changing_an_earlier_answer_hides_the_branch_answers():
    answers = {
        "accueil": Answer(4.0),
        "projet": Answer("no"),  # changed from yes: projet_type is no longer shown
        "projet_type": Answer(("postes",)),
    }
    assert hidden_answers(Q, answers) == ["projet_type"]


def test_complete_partial_and_breakoff():
    assert interview_status(Q, {}) == "breakoff"
    one = {"accueil": Answer(3.0)}
    # Required shown: accueil, projet (contact is optional): 1 of 2 = the 0.5 threshold.
    assert interview_status(Q, one) == "partial"
    done = {"accueil": Answer(3.0), "projet": Answer("no"), "contact": Answer(None)}
    assert interview_status(Q, done) == "completed"


def test_digits_pick_choices_and_scale_values():
    assert choice_for_digit(Q.question("projet"), 1) == "yes"
    assert choice_for_digit(Q.question("projet"), 3) is None
    assert choice_for_digit(Q.question("accueil"), 5) == "5"
    assert choice_for_digit(Q.question("accueil"), 0) is None


def test_an_exclusive_choice_clears_the_others_and_is_cleared_by_them():
    multi = Q.question("projet_type")
    ticked = toggle(multi, toggle(multi, (), "serveur"), "postes")
    assert ticked == ("postes", "serveur")
    assert toggle(multi, ticked, "aucun") == ("aucun",)
    assert toggle(multi, ("aucun",), "postes") == ("postes",)


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("accueil", "4", 4.0),
        ("accueil", " 2 ", 2.0),
        ("contact", "  Mme Roy ", "Mme Roy"),
        ("contact", "", None),
    ],
)
def test_typed_answers(question, typed, expected):
    assert parse_answer(Q.question(question), typed) == expected


@pytest.mark.parametrize(
    ("typed", "why"), [("6", "between 1 and 5"), ("2.5", "whole"), ("x", "not a number")]
)
def test_typed_answers_refused(typed, why):
    with pytest.raises(AnswerError, match=why):
        parse_answer(Q.question("accueil"), typed)


POSTES = parse_questionnaire(
    'title = "t"\n[[question]]\nid = "postes"\ntype = "number"\ntext = "Combien ?"\n'
).question("postes")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1 200", 1200.0),
        ("1\u00a0200", 1200.0),  # no-break space, as French formats write thousands
        ("1\u202f200", 1200.0),  # narrow no-break space
        ("1 200,5", 1200.5),
        ("1 234 567", 1234567.0),
        ("2,5", 2.5),
        ("2.5", 2.5),
        ("-2,5", -2.5),
        ("0,125", 0.125),  # no thousands start with 0
        ("1234,567", 1234.567),  # four digits before the mark: not a thousands group
        ("1 200.500", 1200.5),  # the space says which mark groups thousands
        ("  12 ", 12.0),
    ],
)
def test_numbers_typed_the_french_way(typed, expected):
    assert parse_answer(POSTES, typed) == expected


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("1.200,5", "ambiguous: type 1200,5"),
        ("1,200.5", "ambiguous: type 1200,5"),
        ("1.200", r"ambiguous: type 1200 \(thousands\) or 1,2 \(decimals\)"),
        ("1,200", r"ambiguous: type 1200 \(thousands\) or 1,2"),
        ("1,125", r"or 1,1250 \(decimals\)"),
        ("1.234.567", "ambiguous: type 1234567"),
        ("12 00", "not a number"),
        ("1e3", "not a number"),
        ("nan", "not a number"),
        ("\u0663", "not a number"),  # an Arabic-Indic digit: float() would take it
        ("deux", "not a number"),
    ],
)
def test_ambiguous_or_foreign_numbers_are_refused_with_a_message(typed, why):
    with pytest.raises(AnswerError, match=why):
        parse_answer(POSTES, typed)


def test_dates_are_typed_day_first():
    date = parse_questionnaire(
        'title = "t"\n[[question]]\nid = "quand"\ntype = "date"\ntext = "Quand ?"\n'
    ).question("quand")
    assert parse_answer(date, "05/02/2027") == "2027-02-05"
    with pytest.raises(AnswerError, match="JJ/MM/AAAA"):
        parse_answer(date, "31/02/2027")


def test_final_disposition_takes_the_first_of_i_p_r_ne_nc_uh():
    assert final_disposition(["UH", "NC", "R"]) == "R"
    assert final_disposition(["UH", "P", "I"]) == "I"
    assert final_disposition(["UH", "NE"]) == "NE"
    assert final_disposition([]) is None


def test_aapor_rates_from_counts():
    rates = aapor_rates({"I": 2, "P": 1, "R": 1, "NC": 2, "UH": 4, "NE": 3})
    assert rates == {"RR1": 0.2, "RR2": 0.3, "COOP1": 0.5, "REF1": 0.1, "CON1": 0.4}
    assert aapor_rates({})["RR1"] is None


def test_the_questionnaire_package_imports_no_ui_library():
    import subprocess
    import sys
    from pathlib import Path

    import prospect_tui.core.questionnaires as package

    modules = sorted(p.stem for p in Path(package.__file__).parent.glob("*.py"))
    assert len(modules) >= 8
    imports = "; ".join(f"import prospect_tui.core.questionnaires.{m}" for m in modules)
    ui = "sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))"
    code = f"{imports}; import sys; print({ui})"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
