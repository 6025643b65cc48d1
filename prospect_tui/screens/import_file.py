"""The import screen (key i, or the palette): pick a file, check how it was read, import.

The preview shows the detected encoding, separator, header row and column mapping; the
import runs in a worker thread on its own connection so the screen stays live. In a browser
(served mode) it offers only the import folder and the session's uploads, never the
server's disk.
"""

from __future__ import annotations

import logging
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    DirectoryTree,
    Footer,
    Header,
    Input,
    OptionList,
    ProgressBar,
    Static,
)
from textual.widgets.option_list import Option

from prospect_tui.core import UserError
from prospect_tui.core.import_folder import SessionFolders
from prospect_tui.core.importing import (
    SPREADSHEET_SUFFIXES,
    ImportReport,
    MissingCompany,
    import_file,
    parse_mapping,
    read_lead_file,
)
from prospect_tui.core.roles import Actor
from prospect_tui.core.store import Store
from prospect_tui.screens.working import ReportsWorkerErrors
from prospect_tui.widgets.safe import SafeInput, safe, safe_text

LEAD_SUFFIXES = SPREADSHEET_SUFFIXES | {".csv", ".txt", ".tsv"}
PREVIEW_ROWS = 8
LIST_REFRESH_S = 2.0  # a file uploaded from the browser appears in the list by itself
log = logging.getLogger(__name__)


class LeadFileTree(DirectoryTree):
    """Folders and lead files only."""

    def filter_paths(self, paths):
        return [p for p in paths if p.is_dir() or p.suffix.lower() in LEAD_SUFFIXES]

    def process_label(self, label):
        # A file name is outside text: as written (not markup), its controls visible.
        return super().process_label(safe_text(label) if isinstance(label, str) else label)


class LeadFileList(OptionList):
    """Served mode: the session's uploads, then the import folder's lead files, by name."""

    def __init__(self, folders: SessionFolders, **options) -> None:
        super().__init__(**options)
        self.folders = folders
        self.shown_names: list[tuple[str, bool]] = []

    def on_mount(self) -> None:
        self.refresh_names()
        self.set_interval(LIST_REFRESH_S, self.refresh_names)

    def refresh_names(self) -> None:
        uploaded = self.folders.uploaded()
        shared = [name for name in self.folders.shared() if name not in uploaded]
        names = [(name, True) for name in uploaded] + [(name, False) for name in shared]
        if names == self.shown_names:
            return
        self.shown_names = names
        self.clear_options()
        self.add_options(
            Option(safe_text(f"{name}  ↑ uploaded" if up else name), id=name) for name, up in names
        )


class ImportScreen(ReportsWorkerErrors, Screen[ImportReport | None]):
    WORKING_LINE = "#report"  # a failed import ends "Importing…" there (app.py)
    # The path field has the focus from the start: keys typed right after `i` land there,
    # never in the file list or tree that comes first (pitfall 15 of the guide).
    AUTO_FOCUS = "#path"
    # In a browser, lead files come from these folders only; None: the local user's own disk.
    folders: SessionFolders | None = None
    BINDINGS = [
        Binding("escape", "close", "Back", id="import.close"),
        Binding("ctrl+s", "start_import", "Import", id="import.start"),
    ]

    def __init__(
        self, store: Store, campaign: str, actor: Actor, start: Path | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.campaign = campaign
        self.actor = actor
        self.start = start or Path.cwd()
        self.report: ImportReport | None = None

    def compose(self) -> ComposeResult:
        if self.app.is_web:
            # The folders `prospect serve` gave this app, or none: never the server's disk.
            self.folders = SessionFolders.from_environment()
        yield Header()
        with Horizontal(id="import-top"):
            if self.folders is None:
                yield LeadFileTree(self.start, id="tree")
                where = "File path (Enter previews)"
            else:
                with Vertical(id="sources"):
                    yield Static("Upload a file with the page's Upload link", id="upload-hint")
                    yield LeadFileList(self.folders, id="files")
                where = "File name from the list (Enter previews)"
            with Vertical(id="import-side"):
                yield SafeInput(placeholder=where, id="path")
                yield SafeInput(
                    placeholder="Mapping changes: phone=Tél. standard, company=Nom", id="mapping"
                )
                yield SafeInput(self.campaign, placeholder="Campaign", id="campaign")
                yield SafeInput(placeholder="Source (vendor)", id="source")
                yield Static("Pick a lead file.", id="layout")
        yield DataTable(id="preview", zebra_stripes=True)
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="report")
        yield Footer()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        self.preview()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#path", Input).value = event.option.id or ""
        self.preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.preview()

    def chosen_file(self) -> Path:
        """The file the path field names; in served mode only inside the session's folders."""
        typed = self.query_one("#path", Input).value.strip()
        if self.folders is None:
            return Path(typed).expanduser()
        return self.folders.resolve(typed)

    def mapping(self) -> dict[str, str]:
        items = [i.strip() for i in self.query_one("#mapping", Input).value.split(",")]
        return parse_mapping([i for i in items if i])

    def preview(self) -> bool:
        """Read the file and show how it was understood; False when it cannot be imported."""
        layout = self.query_one("#layout", Static)
        table = self.query_one("#preview", DataTable)
        table.clear(columns=True)
        if not self.query_one("#path", Input).value.strip():
            layout.update("Pick a lead file.")
            return False
        path: Path | None = None
        try:
            path = self.chosen_file()
            lead_file = read_lead_file(path, mapping=self.mapping())
        except UserError as error:
            layout.update(safe(f"✗ {error}"))
            if "--map" in str(error):
                # A column to name: ask for it where it is typed, before anything is imported,
                # with the importer's best candidate already there to confirm or change.
                field = self.query_one("#mapping", Input)
                hint = "Name it in the mapping field, then Enter."
                proposed = error.suggested_map if isinstance(error, MissingCompany) else None
                if proposed is not None:
                    field.value = ", ".join(v for v in (field.value.strip(), proposed) if v)
                    field.cursor_position = len(field.value)
                    hint = "Enter confirms the proposed column in the mapping field (or change it)."
                layout.update(safe(f"✗ {error}\n{hint}", lines=True))
                field.focus()
            return False
        except Exception as error:  # an unforeseen bug must not close the caller's session
            log.exception("preview of %s failed", path)
            # Its kind only: an unforeseen error's message may quote the file's bytes.
            layout.update(safe(f"✗ cannot read this file ({type(error).__name__}, logged)"))
            return False
        mapped = ", ".join(f"{f} ← {c}" for f, c in lead_file.mapping_names().items())
        rows = len(lead_file.sample)
        count = f"{rows} data rows" if lead_file.complete else f"{rows}+ data rows"
        layout.update(
            safe(f"{count} · {lead_file.describe()}\n{mapped}\nctrl+s imports", lines=True)
        )
        # Text, not Content: DataTable measures Text labels and cells (and never parses markup).
        table.add_columns(*[safe_text(column) for column in lead_file.columns])
        for row in lead_file.sample[:PREVIEW_ROWS]:
            table.add_row(*[safe_text(cell) for cell in row])
        return True

    def action_start_import(self) -> None:
        if self.preview():
            self.query_one("#report", Static).update("Importing…")
            self.run_import(
                self.chosen_file(),
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
                actor=self.actor,
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
            safe(
                f"✗ {error}" if report is None else report.summary() + "\nEscape goes back",
                lines=True,
            )
        )

    def action_close(self) -> None:
        self.dismiss(self.report)
