"""Questionnaire files refused with one line naming the line and the question, and a
show_if that can read answers and never run code."""

from __future__ import annotations

import pytest

from prospect_tui.cli import main
from prospect_tui.core.questionnaires.parse import QuestionnaireError, parse_questionnaire
from prospect_tui.core.questionnaires.show_if import ShowIfError, evaluate, parse_condition
from tests.helpers import add_leads
from tests.unit.questionnaire_data import SMALL

HEAD = 'title = "T"\n'


def question(qid: str, kind: str = "single", extra: str = "") -> str:
    body = f'\n[[question]]\nid = "{qid}"\ntype = "{kind}"\ntext = "Q ?"\n'
    if kind in ("single", "multi") and "choices" not in extra:
        body += 'choices = [{ code = "a", label = "A" }, { code = "b", label = "B" }]\n'
    return body + extra


UNCLOSED = '\n[[question]]\nid = "b"\ntype = "info"\ntext = "x\n'
# (file text, the line and the question the one error line must name, a word of the reason)
BROKEN = [
    (HEAD + question("a") + question("a"), 10, "a", "duplicate id"),
    (HEAD + question("a", extra="show_if = \"b == 'a'\"\n") + question("b"), 8, "a", "later"),
    (HEAD + question("a", extra='show_if = "zz == 1"\n'), 8, "a", "unknown question"),
    (HEAD + question("a", "slider"), 5, "a", "unknown type"),
    (HEAD + question("s", "scale", "min = 5\nmax = 1\n"), 7, "s", "greater than max"),
    (HEAD + question("t", "text", 'writes = "lead.salary"\n'), 7, "t", "unknown field"),
    (HEAD + question("t", "text", 'writes = "lead.extra.Bad Name"\n'), 7, "t", "unknown field"),
    (HEAD + question("a") + UNCLOSED, 12, "b", "TOML syntax error"),
    (HEAD + question("a", extra="show_if = \"a == 'a'\"\n"), 8, "a", "itself"),
    (HEAD + question("Bad-Id"), 4, "Bad-Id", "snake_case"),
    (HEAD + question("a", extra="choices = []\n"), 7, "a", "choices"),
    (HEAD + question("n", "number", 'min = "low"\n'), 7, "n", "a number"),
    (HEAD + question("t", "text", 'validate = "siret"\n'), 7, "t", "validate"),
    (HEAD + question("a", extra="requird = true\n"), 8, "a", "unknown key 'requird'"),
    (HEAD + question("s", "scale", "min = 1\nmax = 5\nlabels = { 9 = 'x' }\n"), 9, "s", "outside"),
]


@pytest.mark.parametrize(("text", "line", "qid", "reason"), BROKEN)
def test_each_broken_questionnaire_is_refused_with_its_line_and_id(text, line, qid, reason):
    with pytest.raises(QuestionnaireError) as refused:
        parse_questionnaire(text, "q.toml")
    assert refused.value.errors == [refused.value.errors[0]], "one line per error"
    message = refused.value.errors[0]
    assert message.startswith(f"q.toml:{line}: question {qid!r}:"), message
    assert reason in message


def test_every_error_of_a_file_is_listed():
    text = HEAD + question("a", "slider") + question("a")
    with pytest.raises(QuestionnaireError) as refused:
        parse_questionnaire(text, "q.toml")
    assert len(refused.value.errors) == 2


CODE = [
    "__import__('os').system('id')",
    "projet.__class__",
    "open('/etc/passwd')",
    "projet == 'oui'; import os",
    "exec('1')",
    "[c for c in ()]",
    "lambda: 1",
    "projet == `id`",
    "projet if projet else projet",
]


@pytest.mark.parametrize("condition", CODE)
def test_show_if_never_runs_code(condition):
    with pytest.raises(ShowIfError):
        evaluate(parse_condition(condition), {"projet": "oui"})
    text = HEAD + question("projet") + question("q2", extra=f"show_if = {condition!r}\n")
    with pytest.raises(QuestionnaireError, match="question 'q2': show_if"):
        parse_questionnaire(text, "q.toml")


def test_a_condition_that_would_run_a_command_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    condition = f"__import__('os').system('touch {marker}')"
    with pytest.raises(ShowIfError):
        evaluate(parse_condition(condition), {})
    assert not marker.exists()


@pytest.mark.parametrize(
    ("condition", "answers", "shown"),
    [
        ("projet == 'oui'", {"projet": "oui"}, True),
        ("projet != 'oui'", {"projet": "non"}, True),
        ("projet != 'oui'", {}, False),
        ("note <= 2 or note >= 9", {"note": 1.0}, True),
        ("not (note > 3)", {"note": 2.0}, True),
        ("note > 3 and projet in ['oui', 'peut_etre']", {"note": 4.0, "projet": "oui"}, True),
        ("'serveur' in types", {"types": ("postes", "serveur")}, True),
        ("'serveur' not in types", {"types": ("postes",)}, True),
        ("types in ('stockage', 'serveur')", {"types": ("serveur",)}, True),
        ("note < 'a'", {"note": 1.0}, False),
    ],
)
def test_show_if_reads_answers(condition, answers, shown):
    assert evaluate(parse_condition(condition), answers) is shown


def test_cli_check_refuses_with_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "q.toml"
    path.write_text(HEAD + question("a") + question("a"), encoding="utf-8")
    assert main(["campaign", "questionnaire", "--check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:10: question 'a': duplicate id" in err


def test_attach_refused_attaches_nothing_and_a_good_one_prints_back(store, tmp_path, capsys):
    add_leads(store, "spring", 1)
    bad, good = tmp_path / "bad.toml", tmp_path / "good.toml"
    bad.write_text(HEAD + question("a", "slider"), encoding="utf-8")
    good.write_text(SMALL, encoding="utf-8")
    db = ["--db", str(store.path)]
    assert main(["campaign", "questionnaire", "spring", str(bad), *db]) == 2
    assert store.scalar("SELECT count(*) FROM questionnaires") == 0
    assert main(["campaign", "questionnaire", "spring", *db]) == 2
    assert "has no questionnaire" in capsys.readouterr().err
    assert main(["campaign", "questionnaire", "spring", str(good), *db]) == 0
    assert "version 1 attached" in capsys.readouterr().out
    assert main(["campaign", "questionnaire", "spring", *db]) == 0
    assert capsys.readouterr().out == SMALL


@pytest.mark.parametrize(
    "name", ["demo_satisfaction.toml", "demo_qualification.toml", "demo_followup.toml"]
)
def test_the_packaged_questionnaires_are_valid(name):
    from importlib.resources import files

    text = (files("prospect_tui.data") / name).read_text(encoding="utf-8")
    assert parse_questionnaire(text, name).questions
