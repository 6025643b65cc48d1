"""The Textual app: wiring, theme and the user's keymap; screens do the work.

`make_app` is the one factory used by the CLI and the tests, with the store injected. The
app's actor (who uses it, and his role) goes with every core call that the roles table guards.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from textual.actions import parse as parse_action
from textual.app import SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from prospect_tui.core import UserError
from prospect_tui.core.config import Config, user_config
from prospect_tui.core.roles import Actor, actor_from_config
from prospect_tui.core.store import Store
from prospect_tui.core.text import visible
from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.working import ReportsWorkerErrors
from prospect_tui.typeahead import TypeAheadApp
from prospect_tui.widgets.safe import safe

log = logging.getLogger("prospect_tui")


def one_line(error: BaseException) -> str:
    """An exception as one short line: its type, then the first line of its message."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


class ProspectApp(TypeAheadApp):
    # Every stylesheet is loaded here, once: a screen's CSS_PATH is not applied to the
    # default screen, and screen CSS is global anyway (rules are scoped by screen class).
    CSS_PATH = [
        "app.tcss",
        "screens/session.tcss",
        "screens/optin.tcss",
        "screens/forms.tcss",
        "screens/import_file.tcss",
        "screens/stats.tcss",
    ]
    TITLE = "prospect-tui"
    # Tab moves the focus as soon as the app reads it. Without priority the key first travels
    # to the focused field and up to its screen, while the keys typed after it are already
    # handed to the field being left: "Paul Martin<Tab>01 42..." typed fast, or pasted, put
    # the number in the name field.
    BINDINGS = [
        Binding("tab", "focus_next", show=False, priority=True, id="app.focus_next"),
        Binding("shift+tab", "focus_previous", show=False, priority=True, id="app.focus_previous"),
    ]

    def __init__(
        self,
        store: Store,
        caller: str | None,
        campaign: dict | None,
        config: Config,
        actor: Actor,
        stats_options: dict | None = None,
        figures_first: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        # Who calls in this app's session; None in the stats screen alone, where the actor
        # only looks at figures.
        self.caller = caller
        self.actor = actor
        self.campaign = campaign
        self.config = config
        # Set for `prospect stats --tui`: the stats screen alone, with the command's options.
        self.stats_options = stats_options
        # A served supervisor's session: the figures on top of an empty screen, and the
        # calling session (which claims a lead) only once he leaves them.
        self.figures_first = figures_first
        user = caller or actor.name
        self.sub_title = f"{campaign['name'] if campaign else 'all campaigns'} · {user}"

    # Every title and notification of every screen passes here: what they quote from outside
    # (a campaign, a company, a file name) shows its control characters, never sends them.
    def validate_title(self, title: object) -> str:
        return visible(str(title))

    def validate_sub_title(self, sub_title: object) -> str:
        return visible(str(sub_title))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        super().notify(
            visible(message, lines=True),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def get_default_screen(self) -> Screen:
        if self.stats_options is not None:
            from prospect_tui.screens.stats import StatsScreen

            return StatsScreen(self.store, self.actor, self.config.home_zone, **self.stats_options)
        if self.figures_first:
            return Screen()
        return self.calling_session()

    def calling_session(self) -> SessionScreen:
        assert self.caller is not None, "the stats screen alone has no calling session"
        return SessionScreen(self.store, self.caller, self.campaign, self.config, self.actor)

    def open_figures_first(self) -> None:
        from prospect_tui.screens.stats import StatsScreen

        name = self.campaign["name"] if self.campaign else None
        figures = StatsScreen(self.store, self.actor, self.config.home_zone, name)
        self.push_screen(figures, callback=lambda _: self.push_screen(self.calling_session()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) offers every action of the screen's bindings, but
        those the screen turns off (`check_action`: the user's role does not allow them)."""
        yield from super().get_system_commands(screen)
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                _, name, parameters = parse_action(binding.action)
                if screen.check_action(name, parameters) is False:
                    continue
                yield SystemCommand(
                    binding.description,
                    f"{binding.id} ({binding.key_display or binding.key})",
                    partial(screen.run_action, binding.action),
                )
        from prospect_tui.commands import export_commands  # the exporters load on ctrl+p

        yield from export_commands(self)

    async def action_quit(self) -> None:
        # ctrl+q: nothing typed is pending (outcomes commit at once); free the lead on screen.
        for screen in self.screen_stack:
            if isinstance(screen, SessionScreen):
                screen.release_lead()
        self.exit()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure ends here (Harlequin's `_handle_worker_error`): logged with
        its traceback, and shown in one line in place of the screen's "Computing…" or
        "Importing…", or as a notification."""
        worker, error = event.worker, event.worker.error
        if event.state != WorkerState.ERROR or error is None:
            return
        log.error("worker %r failed", worker.name, exc_info=error)
        # A UserError that a screen left uncaught is still the user's: its message alone.
        line = f"✗ {error}" if isinstance(error, UserError) else f"✗ {one_line(error)}"
        node = worker.node
        if isinstance(node, ReportsWorkerErrors) and node.WORKING_LINE and node.is_attached:
            try:
                node.query_one(node.WORKING_LINE, Static).update(safe(line))
                return
            except NoMatches:
                pass
        self.notify(line, severity="error", markup=False)

    def on_mount(self) -> None:
        if self.figures_first:
            self.open_figures_first()
        # Binding ids -> keys, e.g. [keymap] "outcome.no_answer" = "f1" in config.toml.
        if self.config.keymap:
            self.set_keymap(self.config.keymap)


def default_actor(name: str, config: Config) -> Actor:
    """The user of a terminal app: a supervisor when the config's list names him (or has none)."""
    return actor_from_config(name, config.supervisors)


def make_app(
    store: Store,
    caller: str,
    campaign_name: str | None = None,
    config: Config | None = None,
    actor: Actor | None = None,
    figures_first: bool = False,
) -> ProspectApp:
    """Build the app for one caller on one campaign (the latest one when none is named);
    the actor is the caller under the config's `supervisors` rule unless given."""
    if campaign_name:
        campaign = store.campaign(campaign_name)
    else:
        campaign = store.default_campaign()
        if campaign is None:
            raise UserError(
                f"no campaign in {store.path} yet: import a list with `prospect import FILE`"
                " or try `prospect demo`"
            )
    chosen = user_config() if config is None else config
    actor = actor or default_actor(caller, chosen)
    return ProspectApp(store, caller, campaign, chosen, actor, figures_first=figures_first)


def make_stats_app(
    store: Store,
    viewer: str,
    campaign_name: str | None = None,
    config: Config | None = None,
    requested_caller: str | None = None,
    period: str = "today",
    actor: Actor | None = None,
) -> ProspectApp:
    """The stats screen alone (`prospect stats --tui`) for `viewer`, who looks at the figures
    (his own only unless the config's `supervisors` rule makes him a supervisor)."""
    campaign = store.campaign(campaign_name) if campaign_name else None
    chosen = user_config() if config is None else config
    options = {"campaign": campaign_name, "requested_caller": requested_caller, "period": period}
    actor = actor or default_actor(viewer, chosen)
    return ProspectApp(store, None, campaign, chosen, actor, stats_options=options)
