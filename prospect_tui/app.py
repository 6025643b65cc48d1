"""The Textual app: wiring, theme and the user's keymap; screens do the work.

`make_app` is the one factory used by the CLI and the tests, with the store injected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from textual.app import SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from prospect_tui.core import UserError
from prospect_tui.core.config import user_config
from prospect_tui.core.store import Store
from prospect_tui.screens.session import SessionScreen
from prospect_tui.screens.working import ReportsWorkerErrors
from prospect_tui.typeahead import TypeAheadApp

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
        caller: str,
        campaign: dict | None,
        config: dict,
        stats_options: dict | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.caller = caller
        self.campaign = campaign
        self.config = config
        # Set for `prospect stats --tui`: the stats screen alone, with the command's options.
        self.stats_options = stats_options
        self.sub_title = f"{campaign['name'] if campaign else 'all campaigns'} · {caller}"

    def get_default_screen(self) -> Screen:
        if self.stats_options is not None:
            from prospect_tui.screens.stats import StatsScreen

            return StatsScreen(self.store, self.caller, self.config, **self.stats_options)
        return SessionScreen(self.store, self.caller, self.campaign, self.config)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p) offers every action of the screen's bindings."""
        yield from super().get_system_commands(screen)
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
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
                node.query_one(node.WORKING_LINE, Static).update(Content(line))
                return
            except NoMatches:
                pass
        self.notify(line, severity="error", markup=False)

    def on_mount(self) -> None:
        # Binding ids -> keys, e.g. [keymap] "outcome.no_answer" = "f1" in config.toml.
        keymap = self.config.get("keymap") or {}
        if keymap:
            self.set_keymap(keymap)


def make_app(
    store: Store, caller: str, campaign_name: str | None = None, config: dict | None = None
) -> ProspectApp:
    """Build the app for one caller on one campaign (the latest one when none is named)."""
    if campaign_name:
        campaign = store.campaign(campaign_name)
    else:
        campaign = store.default_campaign()
        if campaign is None:
            raise UserError(
                f"no campaign in {store.path} yet: import a list with `prospect import FILE`"
                " or try `prospect demo`"
            )
    return ProspectApp(
        store, caller, campaign, user_config().as_dict() if config is None else config
    )


def make_stats_app(
    store: Store,
    caller: str,
    campaign_name: str | None = None,
    config: dict | None = None,
    requested_caller: str | None = None,
    period: str = "today",
) -> ProspectApp:
    """The stats screen alone (`prospect stats --tui`), for a supervisor's terminal."""
    campaign = store.campaign(campaign_name) if campaign_name else None
    chosen = user_config().as_dict() if config is None else config
    options = {"campaign": campaign_name, "requested_caller": requested_caller, "period": period}
    return ProspectApp(store, caller, campaign, chosen, stats_options=options)
