"""The interview as plain functions: which question comes next, going back, what a change
hides, when it is complete, partial or broken off, and each lead's final disposition.

No store and no screen here: answers come in as a dict (question id -> Answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from prospect_tui.core.questionnaires.model import (
    MISSING_LABELS,
    Answer,
    Choice,
    Question,
    Questionnaire,
)
from prospect_tui.core.questionnaires.show_if import Value, evaluate

Answers = Mapping[str, Answer]


class AnswerError(ValueError):
    """What the caller typed is not an answer to this question (shown, nothing stored)."""


def condition_values(answers: Answers) -> dict[str, Value]:
    """What conditions read: substantive answers only (a missing code reads as no answer)."""
    return {qid: a.value for qid, a in answers.items() if a.substantive}


def is_shown(question: Question, answers: Answers) -> bool:
    if question.condition is None:
        return True
    return evaluate(question.condition, condition_values(answers))


def shown_questions(questionnaire: Questionnaire, answers: Answers) -> list[Question]:
    """The questions this interview shows, in order (conditions read earlier answers only)."""
    return [q for q in questionnaire.questions if is_shown(q, answers)]


def next_question(questionnaire: Questionnaire, answers: Answers) -> Question | None:
    """The first shown question without an answer; None when the interview is complete."""
    return next((q for q in shown_questions(questionnaire, answers) if q.id not in answers), None)


def previous_question(
    questionnaire: Questionnaire, answers: Answers, current: str | None
) -> Question | None:
    """The shown question before `current` (None: the last one), to go back to."""
    shown = shown_questions(questionnaire, answers)
    ids = [q.id for q in shown]
    index = ids.index(current) if current in ids else len(ids)
    return shown[index - 1] if index > 0 else None


def hidden_answers(questionnaire: Questionnaire, answers: Answers) -> list[str]:
    """Answers whose question is no longer shown after a change: to remove (and audit).

    One pass in order is enough: a condition reads earlier questions only, and those are
    already settled when it is evaluated.
    """
    kept: dict[str, Answer] = {}
    hidden: list[str] = []
    for question in questionnaire.questions:
        if question.id not in answers:
            continue
        if is_shown(question, kept):
            kept[question.id] = answers[question.id]
        else:
            hidden.append(question.id)
    return hidden


def is_complete(questionnaire: Questionnaire, answers: Answers) -> bool:
    return next_question(questionnaire, answers) is None


def required_share(questionnaire: Questionnaire, answers: Answers) -> float:
    """Share of the required questions shown that have an answer or a missing code."""
    required = [
        q for q in shown_questions(questionnaire, answers) if q.answerable and q.required != "no"
    ]
    if not required:
        return 1.0
    given = sum(1 for q in required if q.id in answers and answers[q.id].value is not None)
    given += sum(1 for q in required if q.id in answers and answers[q.id].missing is not None)
    return given / len(required)


def interview_status(questionnaire: Questionnaire, answers: Answers) -> str:
    """completed, partial (at least partial_threshold answered) or breakoff."""
    if is_complete(questionnaire, answers):
        return "completed"
    if answers and required_share(questionnaire, answers) >= questionnaire.partial_threshold:
        return "partial"
    return "breakoff"


# AAPOR dispositions: each call outcome's category; an interview's status adds its own.
DISPOSITION_OF_OUTCOME = {
    "completed": "I",
    "opt_in": "I",
    "refused": "R",
    "do_not_call": "R",
    "switchboard": "NC",
    "callback": "NC",
    "no_answer": "UH",
    "busy": "UH",
    "voicemail": "UH",
    "wrong_number": "NE",
    "not_qualified": "NE",
}
DISPOSITION_OF_STATUS = {"completed": "I", "partial": "P", "breakoff": "R"}
# A lead's final disposition is the first of these among its calls.
DISPOSITION_ORDER = ("I", "P", "R", "NE", "NC", "UH")
# What each final disposition means (AAPOR Standard Definitions' categories).
DISPOSITION_LABELS = {
    "I": "Complete interview",
    "P": "Partial interview",
    "R": "Refusal and break-off",
    "NE": "Not eligible",
    "NC": "Non-contact",
    "UH": "Unknown eligibility",
}


def final_disposition(categories: Iterable[str]) -> str | None:
    """The lead's one final disposition among its calls' categories (None: no known call)."""
    found = set(categories)
    return next((c for c in DISPOSITION_ORDER if c in found), None)


def aapor_rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """RR1, RR2, COOP1, REF1, CON1 from final dispositions (shares 0-1; None: no case)."""
    i, p, r = counts.get("I", 0), counts.get("P", 0), counts.get("R", 0)
    nc, uh = counts.get("NC", 0), counts.get("UH", 0)
    d = i + p + r + nc + uh

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "RR1": share(i, d),
        "RR2": share(i + p, d),
        "COOP1": share(i, i + p + r),
        "REF1": share(r, d),
        "CON1": share(i + p + r, d),
    }


# The edition the rates follow, named beside them wherever they are printed.
AAPOR_EDITION = "AAPOR Standard Definitions, 10th edition, 2023"


def rr3_rr4(counts: Mapping[str, int], e: float | None = None) -> dict[str, Any]:
    """RR3 and RR4, which count only the share `e` of the unknown-eligibility cases (UH, UO)
    as eligible: e given, or estimated as the eligible share (I+P+R+NC+O) of the cases
    whose eligibility is known (those plus NE); None when nothing is known to estimate it."""
    eligible = sum(counts.get(c, 0) for c in ("I", "P", "R", "NC", "O"))
    unknown = counts.get("UH", 0) + counts.get("UO", 0)
    estimated = e is None
    if estimated:
        known = eligible + counts.get("NE", 0)
        e = eligible / known if known else None
    if e is None:
        return {"RR3": None, "RR4": None, "e": None, "e_estimated": True}
    base = eligible + e * unknown
    i, p = counts.get("I", 0), counts.get("P", 0)
    return {
        "RR3": round(i / base, 4) if base else None,
        "RR4": round((i + p) / base, 4) if base else None,
        "e": round(e, 4),
        "e_estimated": estimated,
    }


# Answers as typed


def choice_for_digit(question: Question, digit: int) -> str | None:
    """The code a digit key picks: choices 1..9 then 0 for the tenth; a scale's own value."""
    if question.type in ("single", "yesno", "multi"):
        index = 9 if digit == 0 else digit - 1
        return question.choices[index].code if index < len(question.choices) else None
    if question.type == "scale" and digit in question.scale_values:
        return str(digit)
    return None


def toggle(question: Question, ticked: tuple[str, ...], code: str) -> tuple[str, ...]:
    """A multi's ticked codes after toggling `code` (an exclusive choice clears the others)."""
    choice = question.choice(code)
    if choice is None:
        return ticked
    if code in ticked:
        return tuple(c for c in ticked if c != code)
    if choice.exclusive:
        return (code,)
    kept = [c for c in ticked if not (question.choice(c) or choice).exclusive]
    return tuple(c.code for c in question.choices if c.code in {*kept, code})


_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\Z")
# A number as typed in French or English: digits grouped by three with a space (plain, no-break
# U+00A0 or narrow no-break U+202F, as French formats write them), then a decimal comma or
# point. Only ASCII digits: float() would also take "1e3", "nan" or other scripts' digits.
_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?\Z", re.ASCII)


def parse_number(text: str) -> float:
    """ "1 200" -> 1200, "1 200,5" -> 1200.5, "2,5" and "2.5" -> 2.5; AnswerError for text that is
    not a number or that reads two ways ("1.200", "1,200.5", "1.200,5")."""
    text = text.strip()
    shown = repr(text[:40])
    marks = {c for c in text if c in ".,"}
    if len(marks) > 1 or sum(c in ".," for c in text) > 1:
        # "1.200,5", "1,200.5", "1.234.567": which mark is the decimal one?
        last = max(text.rfind("."), text.rfind(",")) if len(marks) > 1 else len(text)
        whole, decimals = _digits(text[:last]), _digits(text[last + 1 :])
        raise AnswerError(
            f"{shown} is ambiguous: type {whole}{',' + decimals if decimals else ''}"
            " (thousands with a space or nothing, decimals after a comma)"
        )
    found = _NUMBER.match(text)
    if found is None:
        raise AnswerError(f"{shown} is not a number")
    sign, whole, decimals = found.groups()
    if decimals is not None and len(decimals) == 3 and len(whole) <= 3 and whole[0] != "0":
        # "1.200" is 1200 in French and 1.2 in English; "1,200" the other way round.
        shorter = decimals.rstrip("0")
        if shorter == decimals:  # "1,125": a trailing zero tells the decimals apart
            shorter += "0"
        decimal_form = f"{sign}{whole}" + (f",{shorter}" if shorter else "")
        raise AnswerError(
            f"{shown} is ambiguous: type {sign}{whole}{decimals} (thousands)"
            f" or {decimal_form} (decimals)"
        )
    return float(f"{sign}{_digits(whole)}.{decimals or 0}")


def _digits(text: str) -> str:
    return "".join(c for c in text if c in "0123456789+-")


def parse_answer(question: Question, text: str, region: str = "FR") -> str | float | None:
    """The value of a typed answer (scale, number, text, date); AnswerError says why not.

    An empty text is no answer (None): the caller decides whether the question may be skipped.
    """
    text = text.strip()
    if not text:
        return None
    if question.type in ("scale", "number"):
        number = parse_number(text)
        if question.type == "scale" and number != int(number):
            raise AnswerError("a whole number is needed")
        low, high = question.min, question.max
        if (low is not None and number < low) or (high is not None and number > high):
            raise AnswerError(f"between {_shown(low)} and {_shown(high)}, please")
        return number
    if question.type == "date":
        found = _DATE.match(text)
        try:
            if found is None:
                raise ValueError
            day, month, year = (int(part) for part in found.groups())
            return datetime(year, month, day).date().isoformat()
        except ValueError:
            raise AnswerError(f"{text!r}: a date like 31/12/2026 (JJ/MM/AAAA) is needed") from None
    if question.type == "text":
        if len(text) > question.max_length:
            raise AnswerError(f"{len(text)} characters: at most {question.max_length}")
        return _checked_text(question, text, region)
    if question.type in ("single", "yesno"):
        if question.choice(text) is None:
            raise AnswerError(f"{text!r} is not one of the choices")
        return text
    raise AnswerError(f"a {question.type} question is not typed")


def _checked_text(question: Question, text: str, region: str) -> str:
    if question.validate == "email":
        from prospect_tui.core.emails import check_email

        checked = check_email(text)
        if not checked.ok:
            raise AnswerError(checked.error)
        return str(checked.normalized)
    if question.validate == "phone":
        from prospect_tui.core.phones import parse_phone

        phone = parse_phone(text, region)
        if phone is None:
            raise AnswerError(f"{text!r} is not a valid phone number")
        return str(phone.e164)
    return text


def _shown(number: float | None) -> str:
    if number is None:
        return "any"
    return str(int(number)) if number == int(number) else str(number)


def value_text(question: Question, answer: Answer) -> str:
    """An answer as the caller sees it on screen (a label, a number, a date, a text)."""
    if answer.missing:
        return MISSING_LABELS[answer.missing]
    value = answer.value
    if value is None:
        return "(skipped)" if question.answerable else ""
    if isinstance(value, tuple):
        return ", ".join((question.choice(c) or _unknown(c)).label for c in value) or "(none)"
    if isinstance(value, float):
        return _shown(value)
    if question.type in ("single", "yesno"):
        return (question.choice(value) or _unknown(value)).label
    return value


def _unknown(code: str) -> Choice:
    """A code the current version no longer offers: shown as itself."""
    return Choice(code, code)
