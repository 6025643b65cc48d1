"""The import screen (key i, or the palette): pick a file, check how it was read, import.

The preview shows the detected encoding, separator, header row and column mapping; the
import runs in a worker thread on its own connection so the screen stays live.
"""

from __future__ import annotations

import logging
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, DirectoryTree, Footer, Header, Input, ProgressBar, Static

from prospect_tui.core import UserError
from prospect_tui.core.importing import (
    SPREADSHEET_SUFFIXES,
    ImportReport,
    import_file,
    parse_mapping,
    read_lead_file,
    shown,
)
from prospect_tui.core.store import Store
from prospect_tui.screens.working import ReportsWorkerErrors

LEAD_SUFFIXES = SPREADSHEET_SUFFIXES | {".csv", ".txt", ".tsv"}
PREVIEW_ROWS = 8
log = logging.getLogger(__name__)


def one_line(error: BaseException) -> str:
    """An unexpected error as one line: its kind and the start of its message."""
    return shown(f"{type(error).__name__}: {error}")


class LeadFileTree(DirectoryTree):
    """Folders and lead files only."""

    def filter_paths(self, paths):
        return [p for p in paths if p.is_dir() or p.suffix.lower() in LEAD_SUFFIXES]


class ImportScreen(ReportsWorkerErrors, Screen[ImportReport | None]):
    WORKING_LINE = "#report"  # a failed import ends "Importing…" there (app.py)
    AUTO_FOCUS = "#path"  # typed or pasted first; the tree is there to browse
    BINDINGS = [
        Binding("escape", "close", "Back", id="import.close"),
        Binding("ctrl+s", "start_import", "Import", id="import.start"),
    ]

    def __init__(self, store: Store, campaign: str, start: Path | None = None) -> None:
        super().__init__()
        self.store = store
        self.campaign = campaign
        self.start = start or Path.cwd()
        self.report: ImportReport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="import-top"):
            yield LeadFileTree(self.start, id="tree")
            with Vertical(id="import-side"):
                yield Input(placeholder="File path (Enter previews)", id="path")
                yield Input(
                    placeholder="Mapping changes: phone=Tél. standard, company=Nom", id="mapping"
                )
                yield Input(self.campaign, placeholder="Campaign", id="campaign")
                yield Input(placeholder="Source (vendor)", id="source")
                yield Static("Pick a lead file.", id="layout")
        yield DataTable(id="preview", zebra_stripes=True)
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="report")
        yield Footer()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        self.preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.preview()

    def mapping(self) -> dict[str, str]:
        items = [i.strip() for i in self.query_one("#mapping", Input).value.split(",")]
        return parse_mapping([i for i in items if i])

    def preview(self) -> bool:
        """Read the file and show how it was understood; False when it cannot be imported."""
        layout = self.query_one("#layout", Static)
        table = self.query_one("#preview", DataTable)
        table.clear(columns=True)
        path = self.query_one("#path", Input).value.strip()
        if not path:
            layout.update("Pick a lead file.")
            return False
        try:
            lead_file = read_lead_file(Path(path).expanduser(), mapping=self.mapping())
        except UserError as error:
            layout.update(Content(f"✗ {error}"))
            if "--map" in str(error):
                # A column to name: ask for it where it is typed, before anything is imported.
                layout.update(Content(f"✗ {error}\nName it in the mapping field, then Enter."))
                self.query_one("#mapping", Input).focus()
            return False
        except Exception as error:  # an unforeseen bug must not close the caller's session
            log.exception("preview of %s failed", path)
            layout.update(Content(f"✗ cannot read this file ({one_line(error)})"))
            return False
        mapped = ", ".join(f"{f} ← {c}" for f, c in lead_file.mapping_names().items())
        rows = len(lead_file.sample)
        count = f"{rows} data rows" if lead_file.complete else f"{rows}+ data rows"
        layout.update(Content(f"{count} · {lead_file.describe()}\n{mapped}\nctrl+s imports"))
        # Text, not Content: DataTable measures Text labels and cells (and never parses markup).
        table.add_columns(*[Text(column) for column in lead_file.columns])
        for row in lead_file.sample[:PREVIEW_ROWS]:
            table.add_row(*[Text(cell) for cell in row])
        return True

    def action_start_import(self) -> None:
        if self.preview():
            self.query_one("#report", Static).update("Importing…")
            self.run_import(
                Path(self.query_one("#path", Input).value.strip()).expanduser(),
                self.query_one("#campaign", Input).value.strip() or self.campaign,
                self.query_one("#source", Input).value.strip(),
                self.mapping(),
            )

    @work(thread=True, exclusive=True, exit_on_error=False, name="run_import")
    def run_import(self, path: Path, campaign: str, source: str, mapping: dict[str, str]) -> None:
        bar = self.query_one("#progress", ProgressBar)
        store: Store | None = None
        try:
            # A worker thread needs its own SQLite connection.
            store = self.store.clone()
            report = import_file(
                store,
                path,
                campaign=campaign,
                source=source,
                mapping=mapping,
                on_progress=lambda done, total: self.app.call_from_thread(
                    bar.update, progress=done, total=total
                ),
            )
        except UserError as error:
            self.app.call_from_thread(self.show_report, None, str(error))
        # Any other error ends the worker: the app's one handler logs it and shows it on
        # the #report line (WORKING_LINE), so "Importing…" never stays on screen.
        else:
            self.app.call_from_thread(self.show_report, report, "")
        finally:
            if store is not None:
                store.close()

    def show_report(self, report: ImportReport | None, error: str) -> None:
        self.report = report
        self.query_one("#report", Static).update(
            Content(f"✗ {error}" if report is None else report.summary() + "\nEscape goes back")
        )

    def action_close(self) -> None:
        self.dismiss(self.report)
