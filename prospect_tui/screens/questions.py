"""The questions view of the stats screen (key a): each question's distribution as bars, the
means with their n, the interviews and the AAPOR rates of the campaign's questionnaire.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from prospect_tui.core import UserError
from prospect_tui.core.questionnaires.figures import format_figures, question_figures
from prospect_tui.core.store import Store
from prospect_tui.screens.working import ReportsWorkerErrors
from prospect_tui.widgets.safe import safe


class FiguresText(Message):
    """The worker's figures as text: only messages leave its thread."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class QuestionsScreen(ReportsWorkerErrors, Screen[None]):
    WORKING_LINE = "#questions-figures"
    BINDINGS = [Binding("escape", "close", "Back", id="questions.close")]

    def __init__(
        self, store: Store, campaign: str, start: str, end: str, caller: str | None
    ) -> None:
        super().__init__()
        self.store = store
        self.campaign = campaign
        self.bounds = (start, end)
        self.caller = caller

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("Computing…", id="questions-figures", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.compute()

    @work(thread=True, exit_on_error=False, name="questions")
    def compute(self) -> None:
        reader = self.store.clone()  # SQLite connections belong to one thread
        try:
            text = format_figures(
                question_figures(reader, self.campaign, *self.bounds, self.caller)
            )
        except UserError as error:
            text = f"✗ {error}"
        finally:
            reader.close()
        self.post_message(FiguresText(text))

    def on_figures_text(self, message: FiguresText) -> None:
        self.query_one("#questions-figures", Static).update(safe(message.text, lines=True))

    def action_close(self) -> None:
        self.dismiss(None)
