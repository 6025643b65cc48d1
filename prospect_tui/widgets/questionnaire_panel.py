"""The questionnaire panel beside (or under) the lead card: one question at a time, answered
with digits or typed, committed as soon as it is given.

Keys while it has the focus: digits answer, Up/shift+tab go back, three keys give the missing
codes (ids questionnaire.*, remappable), Escape gives the focus back to the card.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import fill_fields
from prospect_tui.core.questionnaires.engine import (
    AnswerError,
    choice_for_digit,
    next_question,
    parse_answer,
    previous_question,
    shown_questions,
    toggle,
    value_text,
)
from prospect_tui.core.questionnaires.model import MISSING_CODES, MISSING_LABELS, Answer, Question
from prospect_tui.core.questionnaires.storage import (
    Interview,
    close_interview,
    give_answer,
    lead_field,
    load_interview,
)
from prospect_tui.core.store import Store
from prospect_tui.widgets.safe import SafeInput, safe
from prospect_tui.widgets.text_line import TextLine

# What a question's text may name of the lead; an empty one is left out with its space.
QUESTION_FIELDS = ("company", "contact_name", "contact_title")


class QuestionnairePanel(Vertical, can_focus=True):
    DEFAULT_CSS = """
    QuestionnairePanel {
        display: none;
        width: 1fr;
        padding: 0 1;
        border-left: vkey $accent;
    }
    QuestionnairePanel.under {
        width: 100%;
        height: 11;
        border-left: none;
        border-top: hkey $accent;
    }
    QuestionnairePanel:focus-within #q-progress { color: $accent; text-style: bold; }
    QuestionnairePanel #q-progress { color: $text-muted; }
    QuestionnairePanel #q-hint { color: $warning; }
    QuestionnairePanel #q-keys { color: $text-muted; }
    QuestionnairePanel Input { display: none; }
    QuestionnairePanel Input.typed { display: block; }
    """
    # Priority bindings: the app runs them as soon as it reads the key, before passing it
    # down to the focused widget and up again (a message hop per widget), so answering is as
    # direct as an outcome key and every key of the panel keeps its order. While a typed
    # answer's input has the focus, digits and Enter are its own (check_action).
    BINDINGS = [
        replace(binding, priority=True)
        for binding in (
            Binding("f7", "missing('not_applicable')", "N/A", id="questionnaire.not_applicable"),
            Binding("f8", "missing('dont_know')", "Don't know", id="questionnaire.dont_know"),
            Binding("f9", "missing('refused')", "Refused", id="questionnaire.refused"),
            Binding("up,shift+tab", "back", "Back", id="questionnaire.back"),
            Binding("escape", "leave", "Card", id="questionnaire.leave"),
            Binding("enter", "confirm", "Confirm", show=False, id="questionnaire.confirm"),
            *(Binding(str(digit), f"digit({digit})", show=False) for digit in range(10)),
        )
    ]

    class Finished(Message):
        """Enter on a complete interview: record the call as `completed`."""

    class Leave(Message):
        """Escape: the focus goes back to the card."""

    class LeadChanged(Message):
        """An answer wrote a lead field: the card must show it."""

        def __init__(self, lead: dict[str, Any]) -> None:
            super().__init__()
            self.lead = lead

    def __init__(self, store: Store, caller: str, campaign_id: int, region: str) -> None:
        super().__init__(id="questionnaire")
        self.store = store
        self.caller = caller
        self.campaign_id = campaign_id
        self.phone_region = region
        self.lead: dict[str, Any] | None = None
        self.interview: Interview | None = None
        self.current: Question | None = None
        self.ticked: tuple[str, ...] = ()
        self.warned: set[str] = set()  # soft-required questions already warned about

    def compose(self) -> Any:
        # One-line parts are TextLines: redrawn per answer without a relayout.
        yield TextLine(id="q-progress")
        yield Static(id="q-text", markup=False)
        yield Static(id="q-choices", markup=False)
        yield SafeInput(id="q-input")
        yield TextLine(id="q-hint")
        yield Static(id="q-keys", markup=False)

    # Loading a lead

    def show_lead(self, lead: dict[str, Any] | None) -> None:
        """Load the interview of `lead` (resumed where it stopped), or clear the panel."""
        self.lead = lead
        self.interview = None
        self.warned.clear()
        if lead is not None:
            self.interview = load_interview(self.store, lead["id"], self.campaign_id)
        self.go_to(self.next_unanswered())

    def next_unanswered(self) -> Question | None:
        if self.interview is None:
            return None
        return next_question(self.interview.version.questionnaire, self.interview.answers)

    def go_to(self, question: Question | None) -> None:
        self.current = question
        self.ticked = ()
        given = self.given(question)
        if question is not None and given is not None and isinstance(given.value, tuple):
            self.ticked = given.value
        self.say("")
        self.draw()

    def given(self, question: Question | None) -> Answer | None:
        if question is None or self.interview is None:
            return None
        return self.interview.answers.get(question.id)

    # Drawing

    def draw(self) -> None:
        progress = self.query_one("#q-progress", TextLine)
        text = self.query_one("#q-text", Static)
        choices = self.query_one("#q-choices", Static)
        typed = self.query_one("#q-input", Input)
        question = self.current
        if question is None or not self.is_typed(question):
            typed.remove_class("typed")
            if typed.has_focus:  # a hidden input must not keep the keys
                self.screen.set_focus(self)
        if self.lead is None or self.interview is None:
            progress.set("Questionnaire")
            text.update("No lead on screen." if self.lead is None else "No questionnaire.")
            choices.update("")
            return
        questionnaire = self.interview.version.questionnaire
        shown = shown_questions(questionnaire, self.interview.answers)
        if question is None:
            progress.set(f"{questionnaire.title} · complete ({len(shown)} questions)")
            text.update("Interview complete: Enter records the call as completed.")
            choices.update("")
            return
        number = next((i for i, q in enumerate(shown, 1) if q.id == question.id), len(shown))
        required = {"yes": "", "soft": " · may be skipped after a warning", "no": " · optional"}
        progress.set(
            f"{questionnaire.title} · {number}/{len(shown)} · {question.id}"
            f"{required[question.required]}"
        )
        text.update(safe(self.filled(question.text), lines=True))
        choices.update(safe(self.choices_text(question), lines=True))
        if self.is_typed(question):
            typed.add_class("typed")
            given = self.given(question)
            prefill = lead_field(self.lead, question.prefill) if question.prefill else ""
            value = value_text(question, given) if given and given.substantive else prefill
            typed.value = value
            typed.cursor_position = len(value)
            if self.has_focus_within:  # at once: the next key typed is the answer's
                self.screen.set_focus(typed)

    def filled(self, text: str) -> str:
        """The question with {contact_name}, {company}... of the lead on screen put in."""
        lead = self.lead or {}

        def field(name: str) -> str | None:
            if name == "caller":
                return self.caller
            return str(lead.get(name) or "") if name in QUESTION_FIELDS else None

        return fill_fields(text, field)

    @staticmethod
    def is_typed(question: Question) -> bool:
        return question.type in ("number", "text", "date") or (
            question.type == "scale" and not question.by_digit
        )

    def choices_text(self, question: Question) -> str:
        given = self.given(question)
        now = f"Answer now: {value_text(question, given)}\n" if given is not None else ""
        if question.type in ("single", "yesno"):
            keys = [f"{i % 10}  {c.label}" for i, c in enumerate(question.choices, 1)]
            return now + "\n".join(keys)
        if question.type == "multi":
            lines = [
                f"{i % 10} [{'x' if c.code in self.ticked else ' '}] {c.label}"
                for i, c in enumerate(question.choices, 1)
            ]
            return now + "\n".join(lines) + "\nEnter confirms"
        if question.type == "scale":
            values = question.scale_values
            ends = f"{values[0]}-{values[-1]}"
            labels = "  ".join(f"{v} = {label}" for v, label in sorted(question.labels.items()))
            how = "digit" if question.by_digit else "number, then Enter"
            return now + f"{ends} ({how})" + (f"\n{labels}" if labels else "")
        if question.type == "date":
            return now + "JJ/MM/AAAA, then Enter"
        if question.type == "info":
            return "Read it out, then Enter"
        return now + "Type, then Enter"

    def draw_keys(self) -> None:
        """The missing-code and back keys as bound now (after the user's keymap); drawn when
        the focus comes or goes, not per answer (reading the bindings costs)."""
        if not self.has_focus_within:
            self.query_one("#q-keys", Static).update(Content("q answers here · Esc: card"))
            return
        active: dict[str, Binding] = {}
        for bound in self.screen.active_bindings.values():
            if bound.binding.id:  # the first key of a binding with several (up, not shift+tab)
                active.setdefault(bound.binding.id, bound.binding)
        parts = []
        for code in MISSING_CODES:
            binding = active.get(f"questionnaire.{code}")
            if binding is not None:
                parts.append(f"{self.app.get_key_display(binding)} {MISSING_LABELS[code]}")
        back = active.get("questionnaire.back")
        if back is not None:
            parts.append(f"{self.app.get_key_display(back)} back")
        parts.append("Esc card")
        self.query_one("#q-keys", Static).update(Content(" · ".join(parts)))

    def say(self, message: str) -> None:
        self.query_one("#q-hint", TextLine).set(message)

    def on_focus(self) -> None:
        self.draw()
        self.draw_keys()

    def on_descendant_focus(self) -> None:
        self.draw_keys()

    def on_blur(self) -> None:
        self.call_after_refresh(self.draw_keys)

    # Answering

    def commit(self, answer: Answer) -> None:
        """Store the answer now (a crash loses nothing), then move to the next question."""
        assert self.interview is not None and self.current is not None
        question = self.current
        try:
            removed = give_answer(self.store, self.interview, question, answer, self.caller)
        except UserError as error:
            self.say(str(error))
            return
        if question.writes and answer.substantive and self.lead is not None:
            lead = self.store.lead(self.lead["id"])
            if lead is not None:
                self.lead = lead
                self.post_message(self.LeadChanged(lead))
        self.go_to(self.next_unanswered())
        if removed:
            self.say(f"Removed, no longer asked: {', '.join(removed)}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = self.query_one("#q-input", Input).has_focus
        return not (typing and action in ("digit", "confirm"))

    def action_digit(self, digit: int) -> None:
        question = self.current
        if question is None:
            return
        if question.type == "multi":
            code = choice_for_digit(question, digit)
            if code is not None:
                self.ticked = toggle(question, self.ticked, code)
                self.query_one("#q-choices", Static).update(
                    safe(self.choices_text(question), lines=True)
                )
            return
        if not question.by_digit or question.type not in ("single", "yesno", "scale"):
            return
        code = choice_for_digit(question, digit)
        if code is None:
            self.say(f"{digit} is not one of the choices")
            return
        self.commit(Answer(float(code) if question.type == "scale" else code))

    def action_confirm(self) -> None:
        question = self.current
        if self.interview is None:
            return
        if question is None:
            self.post_message(self.Finished())
        elif question.type == "multi" and self.ticked:
            self.commit(Answer(self.ticked))
        elif question.type == "info":
            self.commit(Answer())
        else:
            self.skip(question)

    def skip(self, question: Question) -> None:
        """Enter with no answer: a required question needs one (or a missing code)."""
        if question.required == "yes":
            self.say("An answer is needed here, or a missing code.")
        elif question.required == "soft" and question.id not in self.warned:
            self.warned.add(question.id)
            self.say("Should be answered: Enter again to skip it.")
        else:
            self.commit(Answer())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        question = self.current
        if question is None:
            return
        try:
            value = parse_answer(question, event.value, self.phone_region)
        except AnswerError as error:
            self.say(str(error))
            return
        if value is None:
            self.skip(question)
        else:
            self.commit(Answer(value))

    def action_missing(self, code: str) -> None:
        if self.current is not None and self.current.answerable:
            self.commit(Answer(None, code))

    def action_back(self) -> None:
        if self.interview is None:
            return
        questionnaire = self.interview.version.questionnaire
        current = self.current.id if self.current is not None else None
        previous = previous_question(questionnaire, self.interview.answers, current)
        if previous is None:
            self.say("This is the first question.")
            return
        self.go_to(previous)

    def action_leave(self) -> None:
        self.post_message(self.Leave())

    # The call ends

    def call_recorded(self, lead_id: int, call_id: int) -> None:
        """Tie the call just recorded on `lead_id` to its interview (inside that transaction)."""
        if self.interview is not None and self.interview.lead_id == lead_id:
            close_interview(self.store, self.interview, call_id)

    @property
    def active(self) -> bool:
        """Whether the lead's campaign has a questionnaire at all."""
        return self.interview is not None
