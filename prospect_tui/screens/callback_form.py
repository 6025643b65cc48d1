"""The callback form (key 5): when, who asked, and whether it is for me only.

The time is typed ('1' in an hour, '2' tomorrow morning, '3' next week, or '25/11 14:30').
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from prospect_tui.core import UserError
from prospect_tui.core.callbacks import QUICK_CHOICES, parse_when
from prospect_tui.core.dialing import CallbackRequest
from prospect_tui.widgets.safe import SafeInput, safe


class CallbackForm(ModalScreen[CallbackRequest | None]):
    AUTO_FOCUS = "#when"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, lead: dict, now_fn, zone: str) -> None:
        super().__init__()
        self.lead = lead
        self.now_fn = now_fn
        # The team's zone (`home_timezone`): "14:30" is read on its clock.
        self.zone = zone

    def compose(self) -> ComposeResult:
        quick = " · ".join(f"{key} {label}" for key, label in QUICK_CHOICES.items())
        with Vertical(classes="form"):
            yield Label(safe(f"Callback · {self.lead['company']}"), classes="form-title")
            yield Static(quick, classes="form-help")
            yield SafeInput(placeholder="When: 1, 2, 3, 14:30 or 25/11 9h", id="when")
            yield Checkbox("Asked by the IT manager himself", True, id="by-manager")
            yield Checkbox("For me only", True, id="mine")
            yield Static("", id="form-error", classes="form-error")
            yield Static("Enter records · Tab moves · Escape cancels", classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            due = parse_when(event.value, self.now_fn(), self.zone)
        except UserError as error:
            self.query_one("#form-error", Static).update(safe(f"✗ {error}"))
            return
        self.dismiss(
            CallbackRequest(
                due_at=due,
                asked_by="manager"
                if self.query_one("#by-manager", Checkbox).value
                else "switchboard",
                owner_only=self.query_one("#mine", Checkbox).value,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
