"""The edit form (key e): correct the company, phone or contact of the lead on screen.

The phone is validated by the core; an error keeps the form open with what was typed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from prospect_tui.core import UserError
from prospect_tui.core.leads import edit_lead
from prospect_tui.core.store import Store
from prospect_tui.widgets.safe import SafeInput, safe


class EditLeadScreen(ModalScreen[dict | None]):
    AUTO_FOCUS = "#company"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, store: Store, lead: dict, region: str) -> None:
        super().__init__()
        self.store = store
        self.lead = lead
        self.phone_region = region

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label("Edit lead", classes="form-title")
            yield SafeInput(self.lead["company"], placeholder="Company", id="company")
            yield SafeInput(self.lead["phone_national"], placeholder="Phone", id="phone")
            yield SafeInput(self.lead["contact_name"], placeholder="Contact name", id="contact")
            yield Static("", id="form-error", classes="form-error")
            yield Static("Enter saves · Escape cancels", classes="form-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            saved = edit_lead(
                self.store,
                self.lead["id"],
                self.query_one("#company", Input).value,
                self.query_one("#phone", Input).value,
                self.query_one("#contact", Input).value,
                self.phone_region,
            )
        except UserError as error:
            self.query_one("#form-error", Static).update(safe(f"✗ {error}"))
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)
