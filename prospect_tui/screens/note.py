"""The note form (key n): one line added to the lead's notes, dated and signed.

Notes are appended, never overwritten, so nothing typed is lost.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class NoteScreen(ModalScreen[str | None]):
    CSS_PATH = "forms.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, lead: dict) -> None:
        super().__init__()
        self.lead = lead

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(f"Note · {self.lead['company']}", classes="form-title")
            yield Input(placeholder="What to remember about this company", id="note")
            yield Static("Enter saves · Escape cancels", classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
