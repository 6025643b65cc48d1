"""The help screen (key ?): every key of the session, as bound now (keymap included).

Built from the screen's live bindings so a remapped key shows its new name.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Label("Keys", classes="form-title")
            lines = [f"{key:>10}  {description}" for key, description in self.keys]
            yield Static("\n".join(lines), markup=False)
            yield Static("Escape closes · ctrl+p opens the command palette", classes="form-help")
