"""The campaign settings screen (key g): every setting, edited with the CLI's validation.

Enter on a row puts its value in the editor; Enter there saves through the core, which
refuses a role that may not change settings (a notification).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from prospect_tui.core import UserError
from prospect_tui.core.campaigns import describe, set_setting
from prospect_tui.core.roles import Actor, Refused
from prospect_tui.core.store import Store
from prospect_tui.widgets.safe import SafeInput, safe, safe_text

SHOWN_WIDTH = 60


def _shown(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN_WIDTH else text[: SHOWN_WIDTH - 1] + "…"


class SettingsScreen(Screen[bool]):
    AUTO_FOCUS = "#settings"
    BINDINGS = [Binding("escape", "close", "Back", id="settings.close")]

    def __init__(self, store: Store, campaign: str, actor: Actor) -> None:
        super().__init__()
        self.store = store
        self.campaign = campaign
        self.actor = actor
        self.key: str | None = None
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            safe(f"Campaign {self.campaign!r} · Enter edits a setting"), id="settings-title"
        )
        yield DataTable(id="settings", cursor_type="row", zebra_stripes=True)
        yield SafeInput(placeholder="Pick a setting above", id="value", disabled=True)
        yield Static("", id="settings-error", classes="form-error")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Setting", "Value", "")
        self.fill()

    def fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        described = describe(self.store, self.campaign)
        for key, value in described["settings"].items():
            default = "default" if key in described["defaults"] else ""
            table.add_row(safe_text(key), safe_text(_shown(value)), default, key=key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.key = str(event.row_key.value)
        value = describe(self.store, self.campaign)["settings"][self.key]
        editor = self.query_one("#value", Input)
        editor.disabled = False
        editor.value = str(value)
        editor.placeholder = self.key
        editor.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.key is None:
            return
        error = self.query_one("#settings-error", Static)
        try:
            set_setting(self.store, self.campaign, self.key, event.value, actor=self.actor)
        except Refused as refusal:
            self.notify(str(refusal), severity="error", markup=False)
            return
        except UserError as problem:
            error.update(safe(f"✗ {problem}"))
            return
        error.update("")
        self.changed = True
        self.fill()
        self.query_one(DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(self.changed)
