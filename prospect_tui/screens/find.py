"""Find a lead (key /) by company, contact or phone, and jump to it.

Results update as the caller types; Enter on a result returns its lead id.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from prospect_tui.core.leads import find_leads
from prospect_tui.core.store import Store
from prospect_tui.widgets.safe import SafeInput, safe


class FindScreen(ModalScreen[int | None]):
    AUTO_FOCUS = "#query"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, store: Store, campaign_id: int) -> None:
        super().__init__()
        self.store = store
        self.campaign_id = campaign_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label("Find a lead", classes="form-title")
            yield SafeInput(placeholder="Company, contact or phone", id="query")
            yield OptionList(id="results")
            yield Static("↓ to the results · Enter jumps · Escape cancels", classes="form-help")

    def on_input_changed(self, event: Input.Changed) -> None:
        results = self.query_one(OptionList)
        results.clear_options()
        for lead in find_leads(self.store, self.campaign_id, event.value):
            state = lead["final_outcome"] or lead["status"]
            results.add_option(
                Option(
                    safe(f"{lead['company']} · {lead['phone_national']} · {state}"),
                    id=str(lead["id"]),
                )
            )
        if results.option_count:
            results.highlighted = 0

    def on_input_submitted(self) -> None:
        results = self.query_one(OptionList)
        if results.highlighted is not None:
            self.dismiss(int(results.get_option_at_index(results.highlighted).id))

    def on_key(self, event) -> None:
        if event.key == "down" and self.query_one(Input).has_focus:
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)
