"""The calling session: one lead on screen, one key per outcome, committed before the next.

Every outcome is written in one transaction before the next lead is claimed and drawn.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from prospect_tui.core import UserError
from prospect_tui.core.busy import is_locked
from prospect_tui.core.campaigns import has_questionnaire, objections_text, render_script
from prospect_tui.core.clock import iso
from prospect_tui.core.config import Config
from prospect_tui.core.consent import optout_lead, undo_optout
from prospect_tui.core.dialing import (
    Dialer,
    OptIn,
    Recorded,
    Today,
    callbacks_due_today,
    lead_history,
    today_counters,
)
from prospect_tui.core.leads import add_note, claim_lead, save_switchboard_info
from prospect_tui.core.outcomes import OUTCOMES
from prospect_tui.core.pauses import close_open_pauses, end_pause, paused_seconds, start_pause
from prospect_tui.core.roles import Actor, may
from prospect_tui.core.store import DatabaseError, Store

# The forms and other screens are imported when first opened, off the start-up path; warm_up
# imports them in the background once the first lead is on screen.
from prospect_tui.screens.working import ReportsWorkerErrors
from prospect_tui.widgets.lead_card import LeadCard, Rendered, lead_text
from prospect_tui.widgets.safe import safe
from prospect_tui.widgets.text_line import TextLine

if TYPE_CHECKING:
    from prospect_tui.screens.switchboard import SwitchboardInfo

    # Mounted on the first `q` only: its modules are a tenth of the session's start-up.
    from prospect_tui.widgets.questionnaire_panel import QuestionnairePanel

# Counters are counted on after each call, and read again in full this often (the same
# caller in another terminal, a colleague's undo...).
COUNTERS_RESYNC_S = 60
AHEAD_DELAY_S = 0.01  # the next lead's card is drawn ahead this long after a lead is shown
# The claim on the lead on screen is renewed this often: well inside the shortest
# claim_minutes (1), so only a session that stopped (crash, lost connection) loses its lead.
HEARTBEAT_S = 15
# How long an outcome waits for a busy database before the caller is told and it is retried
# (the lead stays on screen until it is committed); the heartbeat just waits for its next beat.
WRITE_PATIENCE_S = 1.5
BUSY_RETRY_S = 0.5
HEARTBEAT_PATIENCE_S = 0.5

# Outcome keys are data: each binding has an id a team can remap in config.toml. They are
# priority bindings: the app runs the action as soon as it reads the key, instead of passing
# the key from the focused card up to the screen (a message hop per widget, on every call).
# Nothing on this screen takes typed text, so no widget needs these keys first.
OUTCOME_BINDINGS = [
    Binding(
        o.key, f"outcome('{o.code}')", o.label, show=False, id=f"outcome.{o.code}", priority=True
    )
    for o in OUTCOMES
]
ACTION_BINDINGS = [
    Binding("u", "undo", "Undo", id="session.undo"),
    Binding("n", "note", "Note", id="session.note"),
    Binding("s", "skip", "Skip", id="session.skip"),
    Binding("e", "edit", "Edit", id="session.edit"),
    Binding("slash", "find", "Find", key_display="/", id="session.find"),
    Binding("p", "pause", "Pause", id="session.pause"),
    Binding("c", "callbacks", "Callbacks", id="session.callbacks"),
    Binding("o", "opt_out", "Opt-out", id="session.opt_out"),
    Binding("d", "dial", "Dial", show=False, id="session.dial"),
    Binding("i", "import_list", "Import", show=False, id="session.import"),
    Binding("t", "stats", "Stats", id="session.stats"),
    Binding("k", "toggle_script", "Script", id="session.script"),
    Binding("g", "settings", "Settings", show=False, id="session.settings"),
    Binding("h", "override_hours", "Call anyway", show=False, id="session.override_hours"),
    Binding("question_mark", "help", "Help", key_display="?", id="session.help"),
]


@dataclass(frozen=True)
class OptedOut:
    """An opt-out this session recorded, which `u` can take back: the lead as it was, the
    withdrawal event, and how many calls the session had recorded then (undo goes backwards)."""

    lead: dict
    withdrawal_id: int
    calls_before: int


@dataclass(frozen=True)
class Ahead:
    """The next lead's card, drawn ahead: `key` says which lead, as of which minute."""

    key: tuple
    drawn: Rendered


def _lead_key(lead: dict) -> tuple:
    """Everything the card shows of a lead (its claim is not shown)."""
    return tuple(v for k, v in lead.items() if k not in ("claimed_by", "claimed_until"))


def _minute(now: datetime) -> str:
    return f"{now:%Y-%m-%d %H:%M}"


def _minutes(seconds: float) -> str:
    minutes = int(seconds) // 60
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}"


# The questionnaire panel (issue 14): `q` opens it or gives it the focus. A priority binding
# like the outcome keys, so that a key typed right after it already reaches the panel.
QUESTIONNAIRE_BINDING = Binding(
    "q", "questionnaire", "Questions", id="session.questionnaire", priority=True
)
# Below this width the panel goes under the card instead of beside it.
PANEL_BESIDE_WIDTH = 120
# Keys shown only to a role that may do their action (the core refuses the others anyway).
GUARDED_ACTIONS = {"import_list": "import", "settings": "campaign.settings"}


class SessionScreen(ReportsWorkerErrors, Screen):
    BINDINGS = OUTCOME_BINDINGS + ACTION_BINDINGS + [QUESTIONNAIRE_BINDING]

    def __init__(
        self, store: Store, caller: str, campaign: dict, config: Config, actor: Actor
    ) -> None:
        super().__init__()
        self.store = store
        self.dialer = Dialer(store, caller, campaign)
        # "next at 14:05" on the team's clock, not the machine's (a server may run in UTC).
        self.dialer.display_zone = config.home_zone
        self.config = config
        self.actor = actor
        self.lead: dict | None = None
        self.call_started_at: datetime | None = None
        self.call_started_mono = 0.0
        self.pause_id: int | None = None
        self.paused_mono = 0.0
        self.ahead: Ahead | None = None
        self.today: Today | None = None  # today's counters, and when they were last read
        self.today_read_mono = 0.0
        # An outcome or undo waiting for a busy database: retried until it is committed.
        self.saving: Callable[[], None] | None = None
        self.panel: QuestionnairePanel | None = None  # mounted on the first `q`
        self.opted_out: list[OptedOut] = []
        # Whether the legend offers `q` (the key itself always answers).
        self.offers_questions = has_questionnaire(store, self.dialer.campaign["id"])

    @property
    def phone_region(self) -> str:
        return self.dialer.settings["region"]

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextLine(id="counters")
        with Horizontal(id="session-body"):
            with VerticalScroll(id="card-scroll"):
                yield LeadCard(id="card")
            with VerticalScroll(id="script-panel"):
                yield Static(id="script", markup=False)
                yield Static(
                    safe(objections_text(self.dialer.settings), lines=True), id="objections"
                )
        yield TextLine(id="status")
        # Ten outcome keys don't fit one footer line at 80 columns: they get two lines here,
        # then the other keys (see show_keys).
        yield Static(id="keys")

    def on_mount(self) -> None:
        # The script panel fits beside the card from 120 columns; `k` shows or hides it.
        self.query_one("#script-panel").display = self.app.size.width >= 120
        close_open_pauses(self.store, self.dialer.caller)
        self.show_keys()
        self.show_lead(self.dialer.resume())
        self.set_interval(1, self.tick)
        self.set_interval(HEARTBEAT_S, self.heartbeat)
        # Off the start-up path: screens and libraries the first opt-in or stats key needs.
        self.call_after_refresh(self.warm_up)

    @work(thread=True, exit_on_error=False, name="warm_up")
    def warm_up(self) -> None:
        import email_validator  # noqa: F401

        import prospect_tui.screens.callback_form  # noqa: F401
        import prospect_tui.screens.edit_lead  # noqa: F401
        import prospect_tui.screens.find  # noqa: F401
        import prospect_tui.screens.help  # noqa: F401
        import prospect_tui.screens.note  # noqa: F401
        import prospect_tui.screens.optin  # noqa: F401
        import prospect_tui.screens.stats  # noqa: F401
        import prospect_tui.screens.switchboard  # noqa: F401

        if self.offers_questions:
            import prospect_tui.widgets.questionnaire_panel  # noqa: F401

    # The caller's loop

    def show_next(self) -> None:
        self.show_lead(self.dialer.next_lead())

    def show_lead(self, lead: dict | None, recorded: Recorded | None = None) -> None:
        """Show `lead` (None: why there is none), after the call `recorded` if one was."""
        self.lead = lead
        self.questionnaire_follows(lead)
        card = self.query_one(LeadCard)
        ahead, self.ahead = self.ahead, None
        if lead is None:
            reason = self.dialer.no_lead_reason()
            closed = reason.kind in ("hours", "holiday")
            hint = "\nPress h to call outside the calling hours (logged)." if closed else ""
            card.show_message(f"No lead to call now.\n{reason.message}{hint}")
        else:
            now = self.store.clock()
            if ahead is not None and ahead.key == (_lead_key(lead), _minute(now)):
                card.put(ahead.drawn.text, ahead.drawn)
            else:
                card.show(
                    lead, lead_history(self.store, lead["id"]), now, self.config.home_timezone
                )
            self.call_started_at = now
            self.call_started_mono = time.monotonic()
            # Soon after this frame (not in it: an after-refresh callback can run before the
            # other widgets' updates reach the screen, splitting the frame in two).
            self.set_timer(AHEAD_DELAY_S, self.draw_ahead)
        self.show_script()
        scroll = self.query_one("#card-scroll")
        if scroll.scroll_y:
            scroll.scroll_home(animate=False)
        self.refresh_counters(recorded)
        self.tick()

    def draw_ahead(self) -> None:
        """While the caller talks, draw the card of the lead most likely to come next.

        It is a guess (another caller may take that lead, or a callback fall due): show_lead
        uses it only when the lead it gets is, field for field, the one drawn, in the same
        minute (the card shows the callee's local time).
        """
        if self.lead is None or not self.is_current:
            return
        try:
            lead = self.dialer.peek_next(self.lead["id"])
            if lead is None:
                return
            history = lead_history(self.store, lead["id"])
        except DatabaseError:  # only a guess: the next lead will be read when it comes
            return
        now = self.store.clock()
        text = lead_text(lead, history, now, self.config.home_timezone)
        drawn = self.query_one(LeadCard).render_ahead(text)
        self.ahead = Ahead((_lead_key(lead), _minute(now)), drawn)

    def action_outcome(self, code: str) -> None:
        if self.still_saving():
            return
        if self.lead is None:
            self.notify("No lead on screen.", severity="warning")
            return
        if self.pause_id is not None:
            self.notify("Paused: press p to resume first.", severity="warning")
            return
        lead = self.lead
        if code == "opt_in":
            from prospect_tui.screens.optin import OptInScreen

            self.app.push_screen(
                OptInScreen(lead, self.dialer.settings, self.config.phonetic_alphabet),
                self.opt_in_done,
            )
        elif code == "switchboard":
            from prospect_tui.screens.switchboard import SwitchboardScreen

            self.app.push_screen(SwitchboardScreen(lead, self.phone_region), self.switchboard_done)
        elif code == "callback":
            from prospect_tui.screens.callback_form import CallbackForm

            self.app.push_screen(
                CallbackForm(lead, self.store.clock, self.config.home_timezone),
                lambda request: request and self.record("callback", callback=request),
            )
        else:
            self.record(code)

    def opt_in_done(self, opt_in: OptIn | None) -> None:
        if opt_in is not None:
            self.record("opt_in", opt_in=opt_in)

    def switchboard_done(self, info: SwitchboardInfo | None) -> None:
        if info is None or self.lead is None:
            return
        lead_id = self.lead["id"]

        def learnt() -> None:
            save_switchboard_info(
                self.store,
                lead_id,
                info.manager_name,
                info.direct_line,
                info.best_time,
                self.phone_region,
            )

        self.record("switchboard", then=learnt)

    def record(self, code: str, then: Callable[[], None] | None = None, **details: object) -> None:
        """Commit the outcome (then `then`, in the same transaction), then show the next lead.

        What a call taught (the switchboard's direct line) is saved after the call is
        recorded: the call was dialled on the number shown, the next one uses the new line.

        The lead stays on screen until its outcome is committed: a busy database is retried.
        """
        assert self.lead is not None and self.call_started_at is not None
        lead_id, started_at = self.lead["id"], self.call_started_at
        duration_s = time.monotonic() - self.call_started_mono  # as of the key, not a retry

        def commit() -> None:
            try:
                with self.store.write(WRITE_PATIENCE_S):
                    following = self.dialer.record_and_next(
                        lead_id, code, started_at=started_at, duration_s=duration_s, **details
                    )
                    if then is not None:
                        then()
                    self.questionnaire_call_recorded(lead_id)
            except UserError as error:
                self.notify(str(error), severity="error", markup=False)
                if self.dialer.holder(lead_id) not in (None, self.dialer.caller):
                    self.lead = None  # another caller holds it: it leaves this screen
                    self.show_next()
                return
            self.show_lead(following, recorded=self.dialer.history[-1])

        self.until_committed(commit)

    def until_committed(self, write: Callable[[], None]) -> None:
        """Run `write`; while the database stays locked, say so and try again shortly."""
        try:
            write()
        except DatabaseError as error:
            if not is_locked(error):
                raise
            if self.saving is None:
                self.notify("database busy, retrying", severity="warning")
            self.saving = write
            self.set_timer(BUSY_RETRY_S, lambda: self.until_committed(write))
            return
        self.saving = None

    def still_saving(self) -> bool:
        """True (and the caller told) while an outcome waits for a busy database."""
        if self.saving is not None:
            self.notify("database busy: still saving the last outcome", severity="warning")
        return self.saving is not None

    def heartbeat(self) -> None:
        """Renew the claim on the lead on screen, paused or not; say so if it was lost."""
        lead = self.lead
        if lead is None or self.saving is not None:
            return
        try:
            if self.dialer.renew(lead["id"], HEARTBEAT_PATIENCE_S):
                return
        except DatabaseError as error:
            if is_locked(error):
                return  # the next beat tries again, well before the claim expires
            raise
        holder = self.dialer.holder(lead["id"]) or "another caller"
        self.notify(
            f"{lead['company']} was taken by {holder} while this screen was away",
            severity="warning",
            markup=False,
        )
        self.lead = None
        self.show_next()

    def release_lead(self) -> None:
        """Give the lead on screen back to the pool (the app calls this on quit)."""
        if self.lead is not None:
            self.dialer.release(self.lead["id"])
            self.lead = None
        if self.pause_id is not None:
            end_pause(self.store, self.pause_id)
            self.pause_id = None

    # Other keys

    def action_undo(self) -> None:
        if not self.still_saving():
            self.until_committed(self.undo)

    def undo(self) -> None:
        """Take back the last outcome or opt-out: its lead comes back, unless it moved on
        meanwhile."""
        if self.opted_out and self.opted_out[-1].calls_before == len(self.dialer.history):
            self.undo_opt_out(self.opted_out[-1])
            return
        current = self.lead
        undone = self.dialer.undo()
        if undone is None:
            self.notify("Nothing to undo in this session.")
            return
        restored = undone.lead
        if restored is None:  # called or taken by a colleague since: it stays with him
            self.notify(undone.message, severity="warning", markup=False)
            self.refresh_counters()
            return
        if current is not None and current["id"] != restored["id"]:
            self.dialer.release(current["id"])
        self.notify(undone.message, markup=False)
        self.show_lead(restored)

    def action_skip(self) -> None:
        if self.lead is not None:
            self.dialer.skip(self.lead["id"])
            self.show_next()

    def action_note(self) -> None:
        if self.lead is not None:
            from prospect_tui.screens.note import NoteScreen

            self.app.push_screen(NoteScreen(self.lead), self.note_done)

    def note_done(self, note: str | None) -> None:
        if note and self.lead is not None:
            add_note(self.store, self.lead["id"], note, self.dialer.caller, self.config.home_zone)
            self.show_lead(self.store.lead(self.lead["id"]) | {"attempts": self.lead["attempts"]})

    def action_edit(self) -> None:
        if self.lead is not None:
            from prospect_tui.screens.edit_lead import EditLeadScreen

            self.app.push_screen(
                EditLeadScreen(self.store, self.lead, self.phone_region), self.edited
            )

    def edited(self, lead: dict | None) -> None:
        if lead is not None:
            self.lead = lead
            self.query_one(LeadCard).show(
                lead,
                lead_history(self.store, lead["id"]),
                self.store.clock(),
                self.config.home_timezone,
            )

    def action_opt_out(self) -> None:
        """The contact asks to stop: asked once, since it closes the lead for good."""
        if self.lead is None:
            return
        from prospect_tui.screens.confirm import ConfirmScreen

        lead = self.lead
        self.app.push_screen(
            ConfirmScreen(
                f"Opt-out · {lead['company']}",
                "The contact asks to stop: withdraw his consent and never call, export or"
                " import his email and numbers again.",
            ),
            lambda confirmed: self.opt_out(lead) if confirmed else None,
        )

    def opt_out(self, lead: dict) -> None:
        """Withdraw the consent, suppress the email and numbers; `u` can take it back."""
        if self.lead is None or self.lead["id"] != lead["id"]:
            return
        withdrawal_id = optout_lead(self.store, lead["id"], self.dialer.caller)
        if withdrawal_id is not None:
            self.opted_out.append(OptedOut(lead, withdrawal_id, len(self.dialer.history)))
        self.notify(
            f"{lead['company']}: opted out; never exported or imported again (u takes it back).",
            markup=False,
        )
        self.lead = None
        self.show_next()

    def undo_opt_out(self, opted: OptedOut) -> None:
        """The opt-out taken back: its lead comes back on screen, the one shown is released."""
        current = self.lead
        try:
            undo_optout(
                self.store,
                opted.lead,
                opted.withdrawal_id,
                self.dialer.caller,
                self.dialer.settings["claim_minutes"],
            )
        except UserError as error:
            self.opted_out.pop()
            self.notify(str(error), severity="warning", markup=False)
            return
        self.opted_out.pop()
        if current is not None and current["id"] != opted.lead["id"]:
            self.dialer.release(current["id"])
        self.notify(f"{opted.lead['company']}: opt-out taken back.", markup=False)
        self.show_lead(self.store.lead(opted.lead["id"]))

    def action_find(self) -> None:
        from prospect_tui.screens.find import FindScreen

        self.app.push_screen(FindScreen(self.store, self.dialer.campaign["id"]), self.jump_to)

    def action_callbacks(self) -> None:
        from prospect_tui.screens.callback_list import CallbackList

        self.app.push_screen(
            CallbackList(
                self.store,
                self.dialer.campaign["id"],
                self.dialer.caller,
                self.config.home_timezone,
            ),
            self.jump_to,
        )

    def jump_to(self, lead_id: int | None) -> None:
        if lead_id is None or (self.lead is not None and self.lead["id"] == lead_id):
            return
        try:
            lead = claim_lead(
                self.store, lead_id, self.dialer.caller, self.dialer.settings["claim_minutes"]
            )
        except UserError as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        if self.lead is not None:
            self.dialer.release(self.lead["id"])
        self.show_lead(lead)

    def action_pause(self) -> None:
        if self.pause_id is None:
            self.pause_id = start_pause(self.store, self.dialer.caller, self.dialer.campaign["id"])
            self.paused_mono = time.monotonic()
            self.add_class("paused")
        else:
            end_pause(self.store, self.pause_id)
            self.pause_id = None
            # The call timer does not run during a pause.
            self.call_started_mono += time.monotonic() - self.paused_mono
            self.remove_class("paused")
        self.refresh_counters()
        self.tick()

    def action_import_list(self) -> None:
        from prospect_tui.screens.import_file import ImportScreen

        self.app.push_screen(
            ImportScreen(self.store, self.dialer.campaign["name"], self.actor),
            lambda _: self.resume(),
        )

    def resume(self) -> None:
        """Back from a screen that may have added leads: offer one if none is on screen."""
        if self.lead is None:
            self.show_next()
        else:
            self.refresh_counters()

    def action_settings(self) -> None:
        from prospect_tui.screens.settings import SettingsScreen

        self.app.push_screen(
            SettingsScreen(self.store, self.dialer.campaign["name"], self.actor),
            self.settings_done,
        )

    def settings_done(self, changed: bool | None) -> None:
        """New hours, retries or script apply at once: the dialer re-reads the campaign."""
        if not changed:
            return
        campaign = self.store.campaign(self.dialer.campaign["name"])
        history = self.dialer.history
        self.dialer = Dialer(self.store, self.dialer.caller, campaign)
        self.dialer.history = history
        self.query_one("#objections", Static).update(
            safe(objections_text(self.dialer.settings), lines=True)
        )
        if self.lead is None:
            self.show_next()
        else:
            self.show_script()

    def action_toggle_script(self) -> None:
        panel = self.query_one("#script-panel")
        panel.display = not panel.display
        self.show_script()

    def show_script(self) -> None:
        """The script for the lead on screen, rendered only while the panel is shown."""
        if not self.query_one("#script-panel").display:
            return
        script = self.query_one("#script", Static)
        if self.lead is None:
            script.update("")
        else:
            filled = render_script(
                self.dialer.settings, self.lead, self.dialer.caller, self.offers_questions
            )
            script.update(safe(filled, lines=True))

    def action_override_hours(self) -> None:
        """Outside calling hours or on a holiday: call anyway, with the reason logged."""
        if self.lead is not None:
            return
        from prospect_tui.screens.note import NoteScreen

        self.app.push_screen(
            NoteScreen(None, title="Why call outside the calling hours?"), self.override_done
        )

    def override_done(self, reason: str | None) -> None:
        if not reason:
            return
        try:
            self.dialer.override_hours(reason)
        except UserError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.show_next()

    def action_stats(self) -> None:
        from prospect_tui.screens.stats import StatsScreen

        self.app.push_screen(
            StatsScreen(self.store, self.actor, self.config.home_zone, self.dialer.campaign["name"])
        )

    def action_dial(self) -> None:
        """Run the configured softphone command and restart the call timer."""
        if self.lead is None:
            return
        number = self.lead["direct_line_e164"] or self.lead["phone_e164"]
        template = self.config.dial_command
        if template:
            command = [
                part.format(e164=number, tel=f"tel:{number}") for part in shlex.split(template)
            ]
            try:
                subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except OSError as error:
                self.notify(f"Dial command failed: {error}", severity="error", markup=False)
                return
        self.call_started_at = self.store.clock()
        self.call_started_mono = time.monotonic()
        self.tick()

    def action_help(self) -> None:
        from prospect_tui.screens.help import HelpScreen

        keys = [
            (active.binding.key_display or active.binding.key, active.binding.description)
            for active in self.active_bindings.values()
            if active.binding.description
        ]
        self.app.push_screen(HelpScreen(keys))

    # The questionnaire panel (issue 14)

    async def action_questionnaire(self) -> None:
        panel = self.panel
        if panel is None:
            from prospect_tui.widgets.questionnaire_panel import QuestionnairePanel

            panel = QuestionnairePanel(
                self.store, self.dialer.caller, self.dialer.campaign["id"], self.phone_region
            )
            panel.display = False
            # Awaited: the keys typed right after `q` wait for the panel, then reach it.
            await self.query_one("#session-body").mount(panel)
            self.panel = panel
        if not panel.display:
            panel.display = True
            # The script and the questions don't both fit beside the card: `k` brings it back.
            self.query_one("#script-panel").display = False
            self.place_questionnaire()
            panel.show_lead(self.lead)
        if panel.active:
            if not self.offers_questions:  # attached since the session started
                self.offers_questions = True
                self.show_keys()  # while the card has the focus: the legend is the card's
            # At once, not deferred like focus(): a key typed right after `q` is the panel's.
            self.set_focus(panel)
        else:
            self.notify("This campaign has no questionnaire.", severity="warning")
            panel.display = False

    def questionnaire_follows(self, lead: dict | None) -> None:
        """The open panel loads the interview of each lead shown; the card gets the focus."""
        panel = self.panel
        if panel is not None and panel.display:
            before = panel.lead["id"] if panel.lead else None
            panel.show_lead(lead)
            if panel.has_focus_within and (lead is None or lead["id"] != before):
                self.set_focus(self.query_one("#card-scroll"))

    def questionnaire_call_recorded(self, lead_id: int) -> None:
        panel = self.panel
        if panel is not None and panel.display:
            panel.call_recorded(lead_id, self.dialer.history[-1].call_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        guarded = GUARDED_ACTIONS.get(action)
        if guarded is not None and not may(self.actor, guarded):
            return False
        # While the panel has the focus, digits answer the question and `q` may be typed in
        # an answer: no outcome key, no `q` then.
        panel_keys = action in ("outcome", "questionnaire")
        return not (panel_keys and self.panel is not None and self.panel.has_focus_within)

    def on_questionnaire_panel_finished(self) -> None:
        self.set_focus(self.query_one("#card-scroll"))
        self.action_outcome("completed")

    def on_questionnaire_panel_leave(self) -> None:
        self.set_focus(self.query_one("#card-scroll"))

    def on_questionnaire_panel_lead_changed(self, message: QuestionnairePanel.LeadChanged) -> None:
        self.edited(message.lead)

    def place_questionnaire(self) -> None:
        """Beside the card from 120 columns, under it below (once it is open)."""
        panel = self.panel
        if panel is None:
            return
        under = panel.display and self.app.size.width < PANEL_BESIDE_WIDTH
        self.query_one("#session-body").styles.layout = "vertical" if under else "horizontal"
        panel.set_class(under, "under")

    # Always-visible figures

    def show_keys(self) -> None:
        """Every key as bound now (after the user's keymap): the outcomes on two rows, then
        the other actions and the command palette, flowed to the screen's width.

        It stands in for Textual's Footer, which builds a widget per key: a fifth of the
        session's start-up time.
        """
        active = {b.binding.id: b.binding for b in self.active_bindings.values() if b.binding.id}
        app = self.app

        def cell(binding: Binding | None, label: str) -> Content:
            key = app.get_key_display(binding) if binding is not None else "?"
            return Content.assemble((key, "bold $accent"), f" {label}")

        outcomes = [cell(active.get(f"outcome.{o.code}"), o.label) for o in OUTCOMES]
        half = len(outcomes) // 2
        actions = [
            cell(b.binding, b.binding.description)
            for b in self.active_bindings.values()
            if b.binding.show
            and not (b.binding.id or "").startswith("outcome.")
            and (b.binding.id != QUESTIONNAIRE_BINDING.id or self.offers_questions)
        ]
        palette = self.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        if palette is not None and app.ENABLE_COMMAND_PALETTE:
            actions.append(cell(palette.binding, "palette"))
        rows = [outcomes[:half], outcomes[half:], []]
        width, used = app.size.width - 2, 0  # 2: the legend's padding
        for action in actions:
            if rows[-1] and used + 2 + action.cell_length > width:
                rows.append([])
                used = 0
            used += (2 if rows[-1] else 0) + action.cell_length
            rows[-1].append(action)
        gap = Content("  ")
        self.query_one("#keys", Static).update(Content("\n").join(gap.join(row) for row in rows))

    def on_resize(self) -> None:
        self.show_keys()
        self.place_questionnaire()

    def tick(self) -> None:
        if self.pause_id is not None:
            paused = int(time.monotonic() - self.paused_mono)
            line = f"PAUSED {paused // 60}:{paused % 60:02d} · p resumes"
        elif self.lead is None:
            line = ""
        else:
            seconds = int(time.monotonic() - self.call_started_mono)
            line = f"On this lead  {seconds // 60}:{seconds % 60:02d}"
        self.query_one("#status", TextLine).set(line)

    def refresh_counters(self, recorded: Recorded | None = None) -> None:
        """Today's figures; after a call just `recorded`, counted without reading the day."""
        now = self.store.clock().astimezone(self.config.home_zone)
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        caller, campaign_id = self.dialer.caller, self.dialer.campaign["id"]
        today = self.today
        if (
            recorded is not None
            and today is not None
            and today.since == iso(day_start)
            and time.monotonic() - self.today_read_mono < COUNTERS_RESYNC_S
        ):
            today.count(recorded)
            today.callbacks_due = callbacks_due_today(self.store, caller, campaign_id, day_start)
        else:
            today = self.today = today_counters(self.store, caller, campaign_id, day_start)
            self.today_read_mono = time.monotonic()
        paused = paused_seconds(self.store, caller, iso(day_start))
        line = (
            f"Today {today.calls} calls · {today.managers} IT mgrs · "
            f"{today.opt_ins} opt-ins {today.opt_in_rate:.0%} · "
            f"{today.callbacks_due} callbacks due · talk {_minutes(today.talk_s)} · "
            f"pause {_minutes(paused)}"
        )
        if len(line) >= self.app.size.width:
            # An 80-column terminal: shorter words rather than a cut-off line.
            line = line.replace(" IT mgrs", " mgrs").replace("callbacks due", "cb due")
        self.query_one("#counters", TextLine).set(line)
