"""Questionnaire files in: TOML read, every rule checked, each error with its line and question.

tomllib gives no line per key, so each question's `[[question]]` line is found in the text.
"""

from __future__ import annotations

import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, TypeGuard

from prospect_tui.core import UserError
from prospect_tui.core.files import read_small_text
from prospect_tui.core.questionnaires.model import (
    EXTRA_PREFIX,
    LEAD_FIELDS,
    TYPES,
    YESNO_CHOICES,
    Choice,
    Question,
    Questionnaire,
)
from prospect_tui.core.questionnaires.show_if import ShowIfError, parse_condition, references

MAX_FILE_BYTES = 1_000_000
MAX_QUESTIONS = 500
MAX_CHOICES = 100
SNAKE = re.compile(r"[a-z][a-z0-9_]*\Z")
_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*question[ \t]*\]\]", re.MULTILINE)
_KEY = re.compile(r"\s*([^\s=]+)\s*=")
_ID = re.compile(r"""^\s*id\s*=\s*["']([^"']*)["']""", re.MULTILINE)
# Names a show_if error lists before "and N more".
SHOWN_NAMES = 3
_TOP_KEYS = {"title", "partial_threshold", "question"}
_COMMON_KEYS = {"id", "type", "text", "required", "show_if"}
# What each type accepts beyond the common keys: a key elsewhere is a mistake worth naming.
_TYPE_KEYS = {
    "single": {"choices", "writes"},
    "multi": {"choices", "writes"},
    "yesno": {"writes"},
    "scale": {"min", "max", "labels"},
    "number": {"min", "max", "prefill", "writes"},
    "text": {"max_length", "validate", "prefill", "writes"},
    "date": {"prefill", "writes"},
    "info": set(),
}


class QuestionnaireError(UserError):
    """A questionnaire refused: one line per error, each naming its line and question."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


def _lines(text: str) -> list[int]:
    """The line of each `[[question]]` header, counted on from the previous one."""
    lines, line, counted = [], 1, 0
    for found in _HEADER.finditer(text):
        line += text.count("\n", counted, found.start())
        counted = found.start()
        lines.append(line)
    return lines


def _questions(kind: str, names: list[str]) -> str:
    """The questions a show_if error names: "a later question ('x')", or, for many,
    "unknown questions ('a', 'b', 'c' and 8,997 more)"."""
    if len(names) == 1:
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} question ({names[0]!r})"
    shown = ", ".join(repr(name) for name in names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return f"{kind} questions ({shown}{f' and {more:,} more' if more > 0 else ''})"


def _field_allowed(name: str) -> bool:
    if name in LEAD_FIELDS:
        return True
    return name.startswith(EXTRA_PREFIX) and bool(SNAKE.match(name[len(EXTRA_PREFIX) :]))


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    """Collects every error of one file, then builds the questionnaire if there is none."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.errors: list[str] = []
        self.headers = _lines(text)
        self.lines = text.splitlines()
        # Each stretch of lines is indexed once (key -> first line): a file of thousands of
        # errors is checked in one pass, not one pass per error.
        self.key_lines: dict[tuple[int, int], dict[str, int]] = {}

    def key_line(self, start: int, end: int | None, key: str) -> int:
        """The line of `key = ...` between lines start and end (the header's line if not found)."""
        stop = len(self.lines) if end is None else end - 1
        found = self.key_lines.get((start, stop))
        if found is None:
            found = {}
            for number in range(start, stop):
                if key_match := _KEY.match(self.lines[number]):
                    found.setdefault(key_match.group(1), number + 1)
            self.key_lines[(start, stop)] = found
        return found.get(key, start)

    @cached_property
    def ids_in_text(self) -> set[str]:
        """Every `id = "..."` written in the file, earlier or later."""
        return set(_ID.findall(self.text))

    def error(self, line: int, message: str, question: str | None = None) -> None:
        where = f"{self.name}:{line}:" if line else f"{self.name}:"
        who = f" question {question!r}:" if question else ""
        self.errors.append(f"{where}{who} {message}")

    def question_line(self, index: int, key: str | None = None) -> int:
        if index >= len(self.headers):
            return 0
        start = self.headers[index]
        if key is None:
            return start
        end = self.headers[index + 1] if index + 1 < len(self.headers) else None
        return self.key_line(start, end, key)

    def read(self) -> Questionnaire | None:
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            self.syntax_error(error)
            return None
        except RecursionError:  # tomllib recurses once per level of nested arrays or tables
            self.error(0, "arrays or tables nested too deeply")
            return None
        for key in sorted(set(data) - _TOP_KEYS):
            self.error(self.key_line(0, None, key), f"unknown key {key!r}")
        title = data.get("title", "")
        if not isinstance(title, str) or not title.strip():
            self.error(self.key_line(0, None, "title"), "title: a non-empty text is needed")
        threshold = data.get("partial_threshold", 0.5)
        if not _number(threshold) or not 0 <= threshold <= 1:
            line = self.key_line(0, None, "partial_threshold")
            self.error(line, "partial_threshold: a share between 0 and 1 is needed (0.5)")
        raw = data.get("question", [])
        if not isinstance(raw, list) or not raw:
            self.error(0, "no [[question]]: a questionnaire needs at least one question")
            return None
        if len(raw) > MAX_QUESTIONS:
            self.error(0, f"{len(raw)} questions: at most {MAX_QUESTIONS}")
            return None
        questions: list[Question] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            question = self.question(index, item, seen)
            if question is not None:
                questions.append(question)
        if self.errors:
            return None
        return Questionnaire(title.strip(), float(threshold), tuple(questions), self.text)

    def syntax_error(self, error: tomllib.TOMLDecodeError) -> None:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        line = int(found.group(1)) if found else 0
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        # The question the broken line belongs to, by the last `id = ` above it.
        question = None
        for text_line in self.text.splitlines()[: max(line, 0)]:
            if _HEADER.match(text_line):
                question = None
            elif id_match := re.match(r"""^\s*id\s*=\s*["']([^"']*)["']""", text_line):
                question = id_match.group(1)
        self.error(line, f"TOML syntax error: {message}", question)

    def question(self, index: int, item: Any, seen: dict[str, int]) -> Question | None:
        line = self.question_line(index)
        if not isinstance(item, dict):
            self.error(line, f"question {index + 1} is not a table")
            return None
        qid = item.get("id")
        label = qid if isinstance(qid, str) else f"#{index + 1}"
        errors_before = len(self.errors)

        def fail(key: str | None, message: str) -> None:
            self.error(self.question_line(index, key), message, label)

        if not isinstance(qid, str) or not SNAKE.match(qid) or len(qid) > 64:
            fail("id", "id: a snake_case id is needed (letters, digits, _; e.g. accueil)")
        elif qid in seen:
            fail("id", f"duplicate id (first used on line {seen[qid]})")
        else:
            seen[qid] = line
        kind = item.get("type")
        if kind not in TYPES:
            fail("type", f"unknown type {kind!r} (choose from {', '.join(TYPES)})")
            return None
        for key in sorted(set(item) - _COMMON_KEYS - _TYPE_KEYS[kind]):
            fail(key, f"unknown key {key!r} for a {kind} question")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            fail("text", "text: the words to read out are needed")
        required = item.get("required", kind != "info")
        if required not in (True, False, "soft"):
            fail("required", 'required: true, false or "soft"')
        fields = self.type_fields(kind, item, fail)
        show_if, condition = item.get("show_if", ""), None
        if show_if != "":
            condition = self.condition(show_if, seen, qid, fail)
        for key in ("writes", "prefill"):
            target = item.get(key, "")
            if target != "" and (not isinstance(target, str) or not _field_allowed(target)):
                fail(
                    key,
                    f"{key}: unknown field {target!r} (lead.contact_name, lead.contact_title,"
                    " lead.direct_line or lead.extra.<name>)",
                )
        if len(self.errors) > errors_before:
            return None
        return Question(
            id=str(qid),
            type=kind,
            text=str(text).strip(),
            line=line,
            required={True: "yes", False: "no", "soft": "soft"}[required],
            show_if=show_if,
            condition=condition,
            prefill=item.get("prefill", ""),
            writes=item.get("writes", ""),
            **fields,
        )

    def condition(self, show_if: Any, seen: dict[str, int], qid: Any, fail: Any) -> Any:
        if not isinstance(show_if, str):
            fail("show_if", "show_if: a condition in a text is needed")
            return None
        try:
            tree = parse_condition(show_if)
        except ShowIfError as error:
            fail("show_if", f"show_if: {error}")
            return None
        later: list[str] = []
        unknown: list[str] = []
        for name in dict.fromkeys(references(tree)):
            if name == qid:
                fail("show_if", f"show_if names the question itself ({name!r})")
            elif name not in seen:
                (later if name in self.ids_in_text else unknown).append(name)
        for names, kind in ((later, "later"), (unknown, "unknown")):
            if names:
                fail("show_if", f"show_if names {_questions(kind, names)}: only earlier ones")
        return tree

    def type_fields(self, kind: str, item: dict[str, Any], fail: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if kind in ("single", "multi"):
            fields["choices"] = self.choices(kind, item.get("choices"), fail)
        elif kind == "yesno":
            fields["choices"] = YESNO_CHOICES
        elif kind in ("scale", "number"):
            low, high = item.get("min"), item.get("max")
            integer = kind == "scale"
            for key, value in (("min", low), ("max", high)):
                if value is None and integer:
                    fail(key, f"{key}: a scale needs whole-number min and max")
                elif value is not None and (
                    not _number(value) or (integer and not isinstance(value, int))
                ):
                    fail(key, f"{key}: {'a whole number' if integer else 'a number'} is needed")
            if _number(low) and _number(high) and low > high:
                fail("min", f"min ({low}) is greater than max ({high})")
            elif integer and isinstance(low, int) and isinstance(high, int) and high - low > 100:
                fail("max", "a scale has at most 101 values")
            fields["min"] = float(low) if _number(low) else None
            fields["max"] = float(high) if _number(high) else None
            labels = item.get("labels", {})
            if kind == "scale":
                fields["labels"] = self.labels(labels, low, high, fail)
        elif kind == "text":
            length = item.get("max_length", 500)
            if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 5000:
                fail("max_length", "max_length: a whole number from 1 to 5000 is needed")
            else:
                fields["max_length"] = length
            check = item.get("validate", "")
            if check not in ("", "email", "phone"):
                fail("validate", f'validate: "email" or "phone", not {check!r}')
            fields["validate"] = check if isinstance(check, str) else ""
        if kind in ("text",) and item.get("writes") == "lead.direct_line":
            fields["validate"] = "phone"
        return fields

    def choices(self, kind: str, raw: Any, fail: Any) -> tuple[Choice, ...]:
        if not isinstance(raw, list) or not raw:
            fail("choices", "choices: a list of { code, label } is needed")
            return ()
        if len(raw) > MAX_CHOICES:
            fail("choices", f"choices: at most {MAX_CHOICES}")
            return ()
        found: list[Choice] = []
        for number, choice in enumerate(raw, 1):
            if not isinstance(choice, dict):
                fail("choices", f"choice {number}: a table {{ code, label }} is needed")
                continue
            code, label = choice.get("code"), choice.get("label")
            unknown = set(choice) - {"code", "label", "exclusive"}
            if unknown:
                fail("choices", f"choice {number}: unknown key {sorted(unknown)[0]!r}")
            if not isinstance(code, str) or not SNAKE.match(code):
                fail("choices", f"choice {number}: a snake_case code is needed")
                continue
            if any(c.code == code for c in found):
                fail("choices", f"duplicate choice code {code!r}")
            if not isinstance(label, str) or not label.strip():
                fail("choices", f"choice {code!r}: a label is needed")
                continue
            exclusive = choice.get("exclusive", False)
            if exclusive not in (True, False) or (exclusive and kind != "multi"):
                fail("choices", f"choice {code!r}: exclusive is true or false, on multi only")
            found.append(Choice(code, label.strip(), exclusive is True))
        return tuple(found)

    def labels(self, raw: Any, low: Any, high: Any, fail: Any) -> dict[int, str]:
        if not isinstance(raw, dict):
            fail("labels", 'labels: a table like { 1 = "Bad", 5 = "Good" } is needed')
            return {}
        found: dict[int, str] = {}
        for key, label in raw.items():
            if not re.fullmatch(r"-?\d+", key) or not isinstance(label, str):
                fail("labels", f"labels: {key!r} is not a value of the scale with a text")
                continue
            value = int(key)
            if _number(low) and _number(high) and not low <= value <= high:
                fail("labels", f"labels: {value} is outside the scale ({low}-{high})")
            found[value] = label
        return found


def parse_questionnaire(text: str, name: str = "questionnaire") -> Questionnaire:
    """The questionnaire in `text`; QuestionnaireError lists every error, one line each."""
    checker = _Checker(text, name)
    questionnaire = checker.read()
    if questionnaire is None or checker.errors:
        raise QuestionnaireError(checker.errors)
    return questionnaire


def read_questionnaire(path: Path) -> Questionnaire:
    """A questionnaire file, read and validated (a regular file of at most 1 MB)."""
    text = read_small_text(Path(path), "questionnaire (TOML)", MAX_FILE_BYTES)
    return parse_questionnaire(text, str(path))
