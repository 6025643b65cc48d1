"""A one-line text form: a note on the lead (key n), or the reason for an override (key h).

Notes are appended, never overwritten, so nothing typed is lost.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from prospect_tui.widgets.safe import SafeInput, safe


class NoteScreen(ModalScreen[str | None]):
    AUTO_FOCUS = "#note"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, lead: dict | None, title: str = "") -> None:
        super().__init__()
        self.title_text = title or f"Note · {lead['company'] if lead else ''}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(safe(self.title_text), classes="form-title")
            yield SafeInput(placeholder="Type and press Enter", id="note")
            yield Static("Enter saves · Escape cancels", classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
