"""What a questionnaire is once read: typed questions, their choices and conditions.

Plain frozen records shared by the parser, the engine, the store and the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prospect_tui.core.questionnaires.show_if import Condition

TYPES = ("single", "multi", "yesno", "scale", "number", "text", "date", "info")
# The three missing codes, stored apart from values, and how exports write them.
MISSING_CODES = ("not_applicable", "dont_know", "refused")
MISSING_EXPORT = {"not_applicable": "NA", "dont_know": "NSP", "refused": "REFUS"}
MISSING_LABELS = {"not_applicable": "N/A", "dont_know": "Don't know", "refused": "Refused"}
# The lead fields an answer may update or a question may show as its current value.
LEAD_FIELDS = ("lead.contact_name", "lead.contact_title", "lead.direct_line")
EXTRA_PREFIX = "lead.extra."


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    exclusive: bool = False  # multi: ticking it clears the others


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str
    line: int  # where its [[question]] starts in the file, for messages
    required: str = "yes"  # yes | soft (warned once, then may be skipped) | no
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    labels: dict[int, str] = field(default_factory=dict)
    show_if: str = ""
    condition: Condition | None = None
    prefill: str = ""
    writes: str = ""
    max_length: int = 500
    validate: str = ""  # "", email or phone

    @property
    def answerable(self) -> bool:
        return self.type != "info"

    @property
    def scale_values(self) -> list[int]:
        if self.type != "scale" or self.min is None or self.max is None:
            return []
        return list(range(int(self.min), int(self.max) + 1))

    @property
    def by_digit(self) -> bool:
        """Answered with one digit key: choices numbered 1..10, or a scale of at most 10 values
        that fit the digits 0-9."""
        if self.type in ("single", "yesno"):
            return len(self.choices) <= 10
        values = self.scale_values
        return bool(values) and len(values) <= 10 and values[0] >= 0 and values[-1] <= 9

    def choice(self, code: str) -> Choice | None:
        return next((c for c in self.choices if c.code == code), None)


YESNO_CHOICES = (Choice("yes", "Yes"), Choice("no", "No"))


@dataclass(frozen=True)
class Questionnaire:
    title: str
    partial_threshold: float
    questions: tuple[Question, ...]
    source: str = ""  # the TOML text, as attached

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class Answer:
    """One question's answer: a value, a missing code, or neither (skipped, or read out)."""

    value: str | float | tuple[str, ...] | None = None
    missing: str | None = None

    @property
    def substantive(self) -> bool:
        return self.value is not None and self.missing is None
