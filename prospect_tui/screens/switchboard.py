"""The switchboard form (key 4): what was learnt on the way to the IT manager.

Every field is optional and Enter records at once, even with nothing typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from prospect_tui.core.phones import parse_phone
from prospect_tui.widgets.safe import SafeInput, safe


@dataclass
class SwitchboardInfo:
    manager_name: str
    direct_line: str
    best_time: str


class SwitchboardScreen(ModalScreen[SwitchboardInfo | None]):
    AUTO_FOCUS = "#manager"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, lead: dict, region: str) -> None:
        super().__init__()
        self.lead = lead
        self.phone_region = region

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(safe(f"Switchboard · {self.lead['company']}"), classes="form-title")
            yield SafeInput(
                self.lead["manager_name"], placeholder="IT manager's name", id="manager"
            )
            yield SafeInput(placeholder="Direct line", id="direct-line")
            yield SafeInput(self.lead["best_time"], placeholder="Best time to call", id="best-time")
            yield Static("", id="form-error", classes="form-error")
            yield Static("Enter records (fields optional) · Escape cancels", classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        direct = self.query_one("#direct-line", Input).value
        if direct.strip() and parse_phone(direct, self.phone_region) is None:
            self.query_one("#form-error", Static).update(
                safe(f"✗ {direct.strip()!r} is not a valid phone number")
            )
            self.set_focus(self.query_one("#direct-line", Input))
            return
        self.dismiss(
            SwitchboardInfo(
                manager_name=self.query_one("#manager", Input).value,
                direct_line=direct,
                best_time=self.query_one("#best-time", Input).value,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
