"""The callbacks list (key c): every callback this caller may make, soonest first.

Enter on a row jumps to that lead.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from prospect_tui.core.callbacks import pending_callbacks
from prospect_tui.core.clock import iso, parse_iso
from prospect_tui.core.store import Store
from prospect_tui.widgets.safe import safe_text


class CallbackList(Screen[int | None]):
    AUTO_FOCUS = "DataTable"
    BINDINGS = [Binding("escape", "close", "Back", id="callbacks.close")]

    def __init__(self, store: Store, campaign_id: int, caller: str, zone: str) -> None:
        super().__init__()
        self.store = store
        self.campaign_id = campaign_id
        self.caller = caller
        self.zone = ZoneInfo(zone)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="callbacks-summary")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        rows = pending_callbacks(self.store, self.campaign_id, self.caller)
        now = iso(self.store.clock())
        overdue = sum(1 for row in rows if row["due_at"] <= now)
        self.query_one("#callbacks-summary", Static).update(
            f"{len(rows)} callbacks pending, {overdue} due now · Enter jumps to the lead"
        )
        table = self.query_one(DataTable)
        table.add_columns("Due", "Company", "Phone", "Asked by", "For", "IT manager")
        for row in rows:
            due = parse_iso(row["due_at"]).astimezone(self.zone)
            table.add_row(
                f"{due:%a %d/%m %H:%M}",
                safe_text(row["company"]),
                safe_text(row["phone_national"]),
                safe_text(row["asked_by"]),
                safe_text(row["owner"] or "anyone"),
                safe_text(row["manager_name"]),
                key=str(row["lead_id"]),
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value))

    def action_close(self) -> None:
        self.dismiss(None)
