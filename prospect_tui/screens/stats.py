"""The stats screen (key t, or `prospect stats --tui`): the team's figures, live.

Figures are computed by the core in a worker thread every few seconds, so key handling
never waits on a big query. A caller who is not a supervisor sees his own figures only.
"""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from prospect_tui.core import UserError
from prospect_tui.core import stats as core_stats
from prospect_tui.core.formatting import duration as _duration
from prospect_tui.core.formatting import percent as _percent
from prospect_tui.core.roles import Actor, may
from prospect_tui.core.store import DatabaseError, Store
from prospect_tui.screens.working import ReportsWorkerErrors
from prospect_tui.widgets.charts import Bars, HeatMap
from prospect_tui.widgets.safe import SafeInput, safe, safe_text

REFRESH_S = 3.0
CALLER_COLUMNS = (
    "Caller",
    "Calls",
    "IT mgrs",
    "Opt-ins",
    "Contact %",
    "Opt-in/contact",
    "Talk",
    "Calls/h",
)
PERIOD_CHOICES = [
    ("Today", "today"),
    ("This week", "week"),
    ("Last week", "lastweek"),
    ("This month", "month"),
    ("All time", "all"),
    ("Range (type below)", "range"),
]


class FiguresComputed(Message):
    """A worker's figures, or the user's mistake it met (`error`), for the screen to show."""

    def __init__(self, figures: dict | None, error: str = "") -> None:
        super().__init__()
        self.figures = figures
        self.error = error


class StatsScreen(ReportsWorkerErrors, Screen[None]):
    WORKING_LINE = "#headline"
    BINDINGS = [
        Binding("escape", "close", "Back", id="stats.close"),
        Binding("r", "refresh_now", "Refresh", id="stats.refresh"),
        Binding("a", "questions", "Questions", id="stats.questions"),
    ]

    def __init__(
        self,
        store: Store,
        actor: Actor,
        zone: ZoneInfo,
        campaign: str | None = None,
        requested_caller: str | None = None,
        period: str = "today",
    ) -> None:
        super().__init__()
        self.store = store
        # The team's zone (`home_timezone`): the days of every period.
        self.zone = zone
        # Each computation runs on a connection its own thread opens and closes; leaving the
        # screen interrupts the queries of those still open (closing them under a running
        # query would crash the process). The lock keeps an interrupt off a closed one.
        self.readers: set[Store] = set()
        self.readers_lock = threading.Lock()
        self.caller_filter: str | None = None
        self.active = False
        self.actor = actor
        self.campaign = campaign
        self.requested_caller = requested_caller
        self.period_name = period
        self.figures: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="stats-choices"):
            yield Select(PERIOD_CHOICES, value=self.period_name, allow_blank=False, id="period")
            campaigns = [(safe_text(name), name) for name in self.store.campaign_names()]
            yield Select(
                [("All campaigns", "")] + campaigns,
                value=self.campaign or "",
                allow_blank=False,
                id="campaign",
            )
            yield SafeInput(placeholder="Range: 2026-11-01..2026-11-15", id="range")
        yield Static("", id="access")
        yield Static("Computing…", id="headline")
        with Horizontal(id="stats-body"):
            yield DataTable(id="callers", zebra_stripes=True, cursor_type="row")
            with Vertical(id="stats-charts"):
                yield Bars(id="funnel")
                yield Bars(id="outcomes")
        yield HeatMap(id="heatmap")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#callers", DataTable)
        table.add_columns(*CALLER_COLUMNS)
        try:
            self.caller_filter = core_stats.caller_filter(self.actor, self.requested_caller)
        except UserError as error:
            self.query_one("#access", Static).update(safe(f"✗ {error}"))
            self.query_one("#headline", Static).update("")
            return
        if not may(self.actor, "figures.others"):
            self.query_one("#access", Static).update(
                safe(f"Your own figures ({self.actor.name}): only supervisors see every caller.")
            )
        self.active = True
        self.refresh_figures()
        self.set_interval(REFRESH_S, self.refresh_if_idle)

    def on_unmount(self) -> None:
        self.active = False
        self.stop_computing()

    def stop_computing(self) -> None:
        """Cut short the queries still running; their threads close their connections."""
        with self.readers_lock:
            for reader in self.readers:
                reader.conn.interrupt()

    def period(self) -> core_stats.Period:
        if self.period_name == "all":
            return core_stats.Period.all_time(self.zone)
        if self.period_name == "range":
            first, _, last = self.query_one("#range", Input).value.partition("..")
            return core_stats.Period.between(
                core_stats.parse_day(first.strip()),
                core_stats.parse_day(last.strip() or first),
                self.zone,
            )
        return core_stats.Period.named(self.period_name, self.store.clock(), self.zone)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "period":
            self.period_name = str(event.value)
            if self.period_name == "range":
                self.query_one("#range", Input).focus()
                return
        elif event.select.id == "campaign":
            self.campaign = str(event.value) or None
        self.refresh_figures()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.period_name = "range"
        self.query_one("#period", Select).value = "range"
        self.refresh_figures()

    def action_refresh_now(self) -> None:
        self.refresh_figures()

    def refresh_if_idle(self) -> None:
        """The periodic refresh: a computation longer than the period is left to finish."""
        if not any(w.node is self and w.name == "stats" and w.is_running for w in self.workers):
            self.refresh_figures()

    def refresh_figures(self) -> None:
        """Compute anew for the current choices, dropping a computation already running."""
        if not self.active:
            return
        try:
            period = self.period()
        except UserError as error:
            self.query_one("#headline", Static).update(safe(f"✗ {error}"))
            return
        self.stop_computing()
        self.compute(period, self.campaign, self.caller_filter)

    @work(thread=True, exclusive=True, exit_on_error=False, name="stats")
    def compute(self, period: core_stats.Period, campaign: str | None, caller: str | None) -> None:
        # Only messages leave this thread: the screen may be gone by the time it ends.
        reader = self.store.clone()
        with self.readers_lock:
            self.readers.add(reader)
        try:
            figures = core_stats.compute(reader, period, campaign, caller)
        except UserError as error:
            self.post_message(FiguresComputed(None, str(error)))
            return
        except DatabaseError as error:
            if str(error) == "interrupted":  # by stop_computing: its result is not wanted
                return
            raise
        finally:
            with self.readers_lock:
                self.readers.discard(reader)
                reader.close()
        self.post_message(FiguresComputed(figures))

    def on_figures_computed(self, message: FiguresComputed) -> None:
        if message.figures is None:
            self.query_one("#headline", Static).update(safe(f"✗ {message.error}"))
        else:
            self.show_figures(message.figures)

    def show_figures(self, figures: dict) -> None:
        self.figures = figures
        rate = figures["opt_in_rate"]
        talk = figures["talk_time"]
        callbacks = figures["callbacks"]
        headline = (
            f"{figures['period']['label']}\n"
            f"{figures['calls']} calls · {figures['leads_called']} leads called "
            f"({_percent(figures['penetration'])} of {figures['leads_in_list']}) · "
            f"{figures['switchboard']} switchboard · {figures['contacts']} IT managers "
            f"({_percent(figures['contact_rate'])} of calls) · {figures['opt_ins']} opt-ins\n"
            f"Opt-in rate: {_percent(rate['per_call'])} per call, "
            f"{_percent(rate['per_contact'])} per IT manager, {_percent(rate['per_lead'])} of the "
            f"list · talk {_duration(talk['total_s'])} (avg {talk['avg_s'] or 0:.0f} s/call) · "
            f"{figures['calls_per_hour'] or 0:.1f} calls/h on the phone · "
            f"callbacks {callbacks['pending']} pending, {callbacks['overdue']} overdue"
        )
        self.query_one("#headline", Static).update(safe(headline, lines=True))
        table = self.query_one("#callers", DataTable)
        table.clear()
        for caller, row in sorted(figures["by_caller"].items()):
            table.add_row(
                safe_text(caller),
                row["calls"],
                row["contacts"],
                row["opt_ins"],
                _percent(row["contact_rate"]),
                _percent(row["opt_in_per_contact"]),
                _duration(row["talk_s"]),
                f"{row['calls_per_hour'] or 0:.1f}",
                key=caller,
            )
        self.query_one("#funnel", Bars).show(
            "Funnel", [(s["label"], s["count"], s["share"]) for s in figures["funnel"]]
        )
        self.query_one("#outcomes", Bars).show(
            "Outcomes", [(o["label"], o["calls"], o["share"]) for o in figures["outcomes"]]
        )
        self.query_one("#heatmap", HeatMap).show(figures["best_hours"])

    def action_questions(self) -> None:
        """The questionnaire's figures for the campaign and period chosen (issue 14)."""
        from prospect_tui.screens.questions import QuestionsScreen

        if not self.active:  # figures refused to this caller
            return
        if not self.campaign:
            self.notify("Choose a campaign first: questions belong to one.", severity="warning")
            return
        try:
            period = self.period()
        except UserError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        screen = QuestionsScreen(
            self.store, self.campaign, period.start_iso, period.end_iso, self.caller_filter
        )
        self.app.push_screen(screen)

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.app.exit()
