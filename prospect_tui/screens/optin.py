"""The opt-in form (key 7): the IT manager's email, checked as it is typed.

Enter saves only a valid address; Escape cancels and records nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from prospect_tui.core.dialing import OptIn
from prospect_tui.core.emails import check_email


class OptInScreen(ModalScreen[OptIn | None]):
    CSS_PATH = "optin.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="optin.cancel")]

    def __init__(self, lead: dict, settings: dict) -> None:
        super().__init__()
        self.lead = lead
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Vertical(id="optin-form"):
            yield Label(f"Opt-in · {self.lead['company']}", id="optin-title")
            yield Static(self.settings["consent_text"], id="consent-text")
            yield Input(self.lead["contact_name"], placeholder="Contact name", id="contact-name")
            yield Input(self.lead["contact_title"], placeholder="Title", id="contact-title")
            yield Input(placeholder="Email address", id="email")
            yield Static("Type the address.", id="email-check")
            yield Static("Enter saves (the contact agreed to the text above) · Escape cancels")

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "email":
            self.show_check(event.value)

    def show_check(self, typed: str) -> None:
        check = check_email(typed)
        line = self.query_one("#email-check", Static)
        line.set_class(not check.ok, "invalid")
        line.update(f"✓ {check.normalized}" if check.ok else f"✗ {check.error}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        email = self.query_one("#email", Input).value
        if event.input.id != "email":
            self.query_one("#email", Input).focus()
            return
        check = check_email(email)
        if not check.ok:
            self.show_check(email)
            self.app.bell()
            return
        self.dismiss(
            OptIn(
                email=email,
                contact_name=self.query_one("#contact-name", Input).value.strip(),
                contact_title=self.query_one("#contact-title", Input).value.strip(),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
