"""A question asked once before a consequential key takes effect (the opt-out, key o).

Enter confirms, Escape cancels; nothing in it takes typed text.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from prospect_tui.widgets.safe import safe


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter", "dismiss(True)", "Confirm", id="confirm.yes"),
        Binding("escape", "dismiss(False)", "Cancel", id="confirm.no"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(safe(self.title_text), classes="form-title")
            yield Static(safe(self.text, lines=True))
            yield Static("Enter confirms · Escape cancels", classes="form-help")
