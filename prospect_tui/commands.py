"""Exports in the command palette: opt-ins (CSV, xlsx), calls and the weekly report.

In a browser (`prospect serve`) the file arrives as a download; in a terminal it is written
where the user says. Callers export their own opt-ins; supervisors everything (the roles
table: the palette offers what the role may do, and the core checks it again).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from prospect_tui.core import UserError, exporter
from prospect_tui.core.report import default_week, write_report
from prospect_tui.core.roles import may
from prospect_tui.widgets.safe import SafeInput, safe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Export:
    title: str
    help: str
    file_name: str
    mime_type: str
    write: Callable[[Path], Any]


def exports(app: Any) -> list[Export]:
    """What this user may export: everybody's opt-ins, or his own."""
    store, actor = app.store, app.actor
    supervisor = may(actor, "export.optins")
    own = None if supervisor else actor.name
    campaign = app.campaign["name"] if app.campaign else None
    zone = app.config.home_zone
    today = store.clock().astimezone(zone).date()
    whose = "every caller's" if supervisor else "your"
    found = [
        Export(
            "Export opt-ins (CSV)",
            f"{whose} opt-in contacts, for Excel",
            f"prospect-optins-{today}.csv",
            "text/csv",
            partial(
                exporter.export_optins,
                store,
                fmt="csv",
                campaign=campaign,
                caller=own,
                actor=actor,
            ),
        ),
        Export(
            "Export opt-ins (xlsx)",
            f"{whose} opt-in contacts, as a spreadsheet",
            f"prospect-optins-{today}.xlsx",
            XLSX,
            partial(
                exporter.export_optins,
                store,
                fmt="xlsx",
                campaign=campaign,
                caller=own,
                actor=actor,
            ),
        ),
    ]
    if may(actor, "export.calls"):
        found.append(
            Export(
                "Export calls (CSV)",
                "every call, one row each",
                f"prospect-calls-{today}.csv",
                "text/csv",
                partial(exporter.export_calls, store, campaign=campaign, actor=actor),
            )
        )
    if may(actor, "report"):
        # As `prospect report` without --week: the week that has data.
        week, why = default_week(store, zone=zone)
        year, number, _ = week.first.isocalendar()
        found.append(
            Export(
                "Weekly report (HTML)",
                f"the figures of {week.label} ({why})",
                f"prospect-report-{year}-W{number:02d}.html",
                "text/html",
                lambda path: write_report(
                    store, path, week.first, None, None, actor=actor, zone=zone
                ),
            )
        )
    return found


def export_commands(app: App) -> Iterator[SystemCommand]:
    for export in exports(app):
        yield SystemCommand(export.title, export.help, partial(start_export, app, export))


def start_export(app: App, export: Export) -> None:
    if app.is_web:
        deliver(app, export)
    else:
        app.push_screen(ExportPathScreen(export))


def deliver(app: App, export: Export) -> None:
    """Build the file in a private temporary folder and hand it to the browser."""
    with tempfile.TemporaryDirectory(prefix="prospect-export-") as folder:
        path = Path(folder) / export.file_name
        try:
            export.write(path)
        except UserError as error:
            app.notify(str(error), severity="error", markup=False)
            return
        # Opened before the folder goes: the open file outlives its name until delivered.
        handle = path.open("rb")
    app.deliver_binary(handle, save_filename=export.file_name, mime_type=export.mime_type)
    app.notify(f"{export.file_name}: sent to your browser", markup=False)


class ExportPathScreen(ModalScreen[None]):
    """Asks where to write the file, in a terminal."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel", id="export.cancel")]
    DEFAULT_CSS = """
    ExportPathScreen { align: center middle; }
    ExportPathScreen > Vertical {
        width: 80; height: auto; padding: 1 2; border: round $accent; background: $surface;
    }
    """

    def __init__(self, export: Export) -> None:
        super().__init__()
        self.export = export

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(safe(f"{self.export.title}: write to (Enter, Esc to cancel)"))
            yield SafeInput(str(Path.cwd() / self.export.file_name), id="export-path")

    @on(Input.Submitted, "#export-path")
    def write(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        try:
            self.export.write(path)
        except UserError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.notify(f"written to {path}", markup=False)
        self.dismiss()
