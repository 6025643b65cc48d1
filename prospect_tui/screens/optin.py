"""The opt-in form (key 7): the IT manager's email, checked as it is typed.

Shows the normal form, a typo suggestion (ctrl+t accepts it, never applied silently), a
phonetic read-back and the consent wording; Enter saves only a valid address.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from prospect_tui.core.dialing import OptIn
from prospect_tui.core.emails import check_email, is_generic, spell_back, suggest_fix
from prospect_tui.widgets.safe import SafeInput, safe


class OptInScreen(ModalScreen[OptIn | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="optin.cancel"),
        Binding("ctrl+t", "accept_suggestion", "Accept suggestion", id="optin.accept_fix"),
    ]

    def __init__(self, lead: dict, settings: dict, alphabet: str = "fr") -> None:
        super().__init__()
        self.lead = lead
        self.settings = settings
        self.alphabet = alphabet
        self.suggestion: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="optin-form"):
            yield Label(safe(f"Opt-in · {self.lead['company']}"), id="optin-title")
            yield Static(safe(self.settings["consent_text"], lines=True), id="consent-text")
            name = self.lead["contact_name"] or self.lead["manager_name"]
            yield SafeInput(name, placeholder="Contact name", id="contact-name")
            yield SafeInput(self.lead["contact_title"], placeholder="Title", id="contact-title")
            yield SafeInput(placeholder="Email address", id="email")
            yield Static("Type the address.", id="email-check")
            yield Static("", id="suggestion")
            yield Static("", id="read-back")
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
        if check.ok:
            generic = is_generic(check.normalized)
            line.set_class(generic, "warning")
            warning = "  ⚠ generic mailbox, not the IT manager's own" if generic else ""
            line.update(safe(f"✓ {check.normalized}{warning}"))
        else:
            line.set_class(False, "warning")
            line.update(safe(f"✗ {check.error}"))
        self.suggestion = suggest_fix(typed.strip(), self.lead.get("website", ""))
        self.query_one("#suggestion", Static).update(
            safe(f"Did you mean {self.suggestion} ?  ctrl+t accepts" if self.suggestion else "")
        )
        heard = check.normalized or typed.strip()
        self.query_one("#read-back", Static).update(
            safe(f"Read back: {spell_back(heard, self.alphabet)}" if "@" in heard else "")
        )

    def action_accept_suggestion(self) -> None:
        if self.suggestion:
            email = self.query_one("#email", Input)
            email.value = self.suggestion
            email.cursor_position = len(email.value)
            email.focus()

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
