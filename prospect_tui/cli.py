"""The `prospect` command line: one table of commands, each with its options, help and handler.

User mistakes exit 2 with one line on stderr (`prospect: error: ...`), never a traceback.
`--caller NAME` always names the caller whose calls a command is about (the session records
its calls as NAME; stats, report and exports keep NAME's); `--user NAME` is who runs the
command, a supervisor when the config's `supervisors` list names him (default: the OS user);
the core checks his role against the roles table (core/roles.py) before each action.
"""

from __future__ import annotations

import argparse
import errno
import getpass
import io
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from prospect_tui import __version__
from prospect_tui.core import UserError, printable
from prospect_tui.core.csvout import flush_stdout, silence_stdout
from prospect_tui.core.files import write_private_text
from prospect_tui.core.locations import (
    config_path,
    consent_key_path,
    crash_log_path,
    database_path,
    demo_database_path,
)
from prospect_tui.core.store import Store, database_error
from prospect_tui.core.text import visible

if TYPE_CHECKING:
    from prospect_tui.core.config import Config
    from prospect_tui.core.roles import Actor
    from prospect_tui.core.stats import Period

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Option:
    """One argparse argument: its flags (or positional name) and add_argument's keywords."""

    flags: tuple[str, ...]
    settings: dict[str, Any]


def arg(*flags: str, **settings: Any) -> Option:
    return Option(flags, settings)


@dataclass(frozen=True)
class Command:
    """A command line: its words (`export optins`), help, options and handler."""

    words: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    handler: Handler
    exclusive: tuple[tuple[str, ...], ...] = field(default=())


# The table: filled by @command below, in the order the commands are defined.
COMMANDS: list[Command] = []
# Help of a word that only groups commands (`export`, `campaign`, `consent`).
GROUPS = {
    "export": "write a qualified file",
    "consent": "the consent proof log",
    "campaign": "list campaigns, show or change their settings",
    "user": "who may log in to `prospect serve`",
}


def command(
    name: str, help: str, *options: Option, exclusive: tuple[tuple[str, ...], ...] = ()
) -> Callable[[Handler], Handler]:
    """Add the decorated handler to COMMANDS as `prospect NAME` with these options."""

    def register(handler: Handler) -> Handler:
        COMMANDS.append(Command(tuple(name.split()), help, options, handler, exclusive))
        return handler

    return register


# Options shared by several commands.
DB = arg("--db", metavar="PATH", help="database file (default: PROSPECT_DB, else `locate`)")
USER = arg("--user", metavar="NAME", help="who you are, for the roles (default: OS user)")
CALLER = arg("--caller", metavar="NAME", help="your name on the calls (default: OS user name)")
CAMPAIGN = arg("--campaign", metavar="NAME", help="campaign to call (default: the latest)")
JSON = arg("--json", action="store_true", help="print JSON")


# The years a date option may name: no call of this app is before 1970 or after 2200, and
# near year 1 or 9999 a week or a time zone added to the day overflows.
FIRST_YEAR, LAST_YEAR = 1970, 2200


def day_option(flag: str, parse: Callable[[str], date] | None = None) -> Callable[[str], str]:
    """An argparse type: a day from FIRST_YEAR to LAST_YEAR, kept as typed (the command parses
    it again); anything else is one line naming `flag`. `parse` defaults to the stats' days
    (2026-11-23 or 23/11/2026)."""

    def checked(text: str) -> str:
        if not text.strip():  # an option given empty means "not given", as before
            return text
        from prospect_tui.core.stats import parse_day

        try:
            day = (parse or parse_day)(text)
        except UserError as error:
            raise UserError(f"{flag}: {error}") from None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise UserError(f"{flag}: {text[:40]!r} is not a day from {FIRST_YEAR} to {LAST_YEAR}")
        return text

    return checked


def iso_moment(text: str) -> date:
    """A day or a moment as `export optins --since` reads it (2026-11-01, 2026-11-01T09:00)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"not a date: {text[:40]!r} (use YYYY-MM-DD)") from None


def whole_option(flag: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, else one line naming `flag`."""

    def checked(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise UserError(f"{flag}: a whole number from {low} to {high}, not {text[:40]!r}")
        return value

    return checked


def positive_option(flag: str, high: float) -> Callable[[str], float]:
    """An argparse type: a number above 0 and at most `high` (never NaN or infinite), else one
    line naming `flag`."""

    def checked(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if not 0 < value <= high:  # NaN fails every comparison, so it is refused here too
            raise UserError(f"{flag}: a number above 0 and at most {high:g}, not {text[:40]!r}")
        return value

    return checked


def share_option(flag: str) -> Callable[[str], float]:
    """An argparse type: a share from 0 to 1 (never NaN), else one line naming `flag`."""

    def checked(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 1:  # NaN fails every comparison, so it is refused here too
            raise UserError(f"{flag}: a share from 0 to 1 (0.8), not {text[:40]!r}")
        return value

    return checked


def figures_of(help: str) -> Option:
    return arg("--caller", metavar="NAME", help=help)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "caller"


def caller_name(args: argparse.Namespace) -> str:
    """The caller the session records its calls as."""
    return getattr(args, "caller", None) or os_user()


def actor_of(
    args: argparse.Namespace, name: str | None = None, config: Config | None = None
) -> Actor:
    """Who runs the command: `name`, else --user, else the OS user; a supervisor when the
    config's `supervisors` list names him (or when there is no list)."""
    from prospect_tui.core.config import user_config
    from prospect_tui.core.roles import actor_from_config

    user = name or getattr(args, "user", None) or os_user()
    return actor_from_config(user, (config or user_config()).supervisors)


def figures_caller(args: argparse.Namespace, actor: Actor) -> str | None:
    """Whose work a stats/report/export command shows (None: everyone): a caller gets his
    own whatever he asks, and asking for another's is refused (roles: figures.others)."""
    from prospect_tui.core.stats import caller_filter

    return caller_filter(actor, getattr(args, "caller", None))


def open_store(args: argparse.Namespace) -> Store:
    return Store(database_path(getattr(args, "db", None)))


def run_session(store: Store, args: argparse.Namespace) -> int:
    from prospect_tui.app import make_app
    from prospect_tui.core.config import user_config

    if store.read_only:
        # Checked before the screen opens: every outcome is a write.
        raise UserError(f"{store.path}: the database is read-only (stats and export can read it)")

    config = user_config()  # read once: the app and every screen get this one
    if getattr(args, "served", False):
        from prospect_tui.core.users import served_actor

        # Started by `prospect serve` for one browser: the role comes from the user record.
        actor = served_actor(store, caller_name(args))
    else:
        # In a terminal the caller is who runs the session, unless --user says otherwise.
        actor = actor_of(args, getattr(args, "user", None) or caller_name(args), config)
    app = make_app(
        store,
        caller=caller_name(args),
        campaign_name=args.campaign,
        config=config,
        actor=actor,
        figures_first=getattr(args, "figures_first", False),
    )
    app.run()
    return app.return_code or 0


def print_json(value: object, indent: int | None = None) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=indent))


# --- the calling session ----------------------------------------------------------------


def cmd_session(args: argparse.Namespace) -> int:
    return run_session(open_store(args), args)


# `prospect serve` and `prospect demo --serve`.
SERVE_OPTIONS = (
    arg("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)"),
    arg(
        "--port",
        type=whole_option("--port", 1, 65535),
        default=8000,
        help="port to listen on (8000)",
    ),
    arg("--public-url", metavar="URL", help="the URL browsers use, behind a reverse proxy"),
    arg("--certfile", type=Path, metavar="F", help="TLS certificate (PEM)"),
    arg("--keyfile", type=Path, metavar="F", help="TLS private key (PEM)"),
    arg(
        "--import-folder",
        type=Path,
        metavar="DIR",
        help="the only folder browsers import lead files from, uploads included"
        " (default: imports/ beside the database)",
    ),
    arg(
        "--session-hours",
        type=positive_option("--session-hours", 720),
        default=12.0,
        metavar="H",
        help="idle expiry (12; at most 720)",
    ),
    arg(
        "--max-sessions",
        type=int,
        metavar="N",
        help="live sessions at most (default: as many as the available memory holds)",
    ),
    arg(
        "--fork",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fork each session from a warm parent process: faster, smaller (Linux; on)",
    ),
    arg(
        "--idle-minutes",
        type=positive_option("--idle-minutes", 24 * 60),
        default=30.0,
        metavar="M",
        help="a session with no key for M minutes ends as ctrl+q ends it (30)",
    ),
)
PASSWORD_STDIN = arg(
    "--password-stdin",
    action="store_true",
    help="read the password from the first line of stdin (for scripts)",
)


@command(
    "demo",
    "build a fresh demo database and open the session on it",
    CALLER,
    CAMPAIGN,
    arg("--serve", action="store_true", help="serve the demo to browsers, with two demo users"),
    *SERVE_OPTIONS,
)
def cmd_demo(args: argparse.Namespace) -> int:
    from prospect_tui.core.demo import DEMO_CAMPAIGN, build_demo

    path = Path(args.db) if getattr(args, "db", None) else demo_database_path()
    store = build_demo(path)
    # Callers start on the prospecting demo, not on the newest (survey) campaign.
    args.campaign = args.campaign or DEMO_CAMPAIGN
    if args.serve:
        from prospect_tui.serve import add_demo_users, run_server

        for name, password, role in add_demo_users(store):
            print(f"demo user {name} ({role}), password: {password}", flush=True)
        return run_server(store, args)
    return run_session(store, args)


@command("locate", "print the paths in use")
def cmd_locate(args: argparse.Namespace) -> int:
    print(f"database: {database_path(getattr(args, 'db', None))}")
    print(f"demo database: {demo_database_path()}")
    print(f"config: {config_path()}")
    print(f"consent key: {consent_key_path()}")
    return 0


# --- lead lists in ----------------------------------------------------------------------


@command(
    "import",
    "import a purchased lead file",
    arg("file", type=Path, help="CSV, TXT, XLSX, XLS or ODS file"),
    arg("--campaign", help="campaign to add the leads to (default: the file's name)"),
    arg("--source", default="", help="where the list came from (e.g. the vendor)"),
    arg("--region", help="default phone region (default: the campaign's, FR)"),
    arg("--sheet", help="spreadsheet sheet name (default: the first)"),
    arg(
        "--map",
        action="append",
        default=[],
        metavar='FIELD="Column"',
        help='use this column for this field (repeatable), e.g. phone="Tél. standard"',
    ),
    arg("--rejects", type=Path, metavar="PATH", help="rejects CSV path"),
    arg("--json", action="store_true", help="print the report as JSON"),
    USER,
)
def cmd_import(args: argparse.Namespace) -> int:
    from prospect_tui.core.importing import default_campaign, import_file, parse_mapping

    store = open_store(args)
    report = import_file(
        store,
        args.file,
        actor=actor_of(args),
        campaign=args.campaign or default_campaign(args.file),
        source=args.source,
        region=args.region,
        sheet=args.sheet,
        mapping=parse_mapping(args.map),
        rejects_path=args.rejects,
        progress=not args.json and sys.stderr.isatty(),
    )
    if args.json:
        print_json(report.as_json())
    else:
        print(report.summary())
    return 0


# --- qualified files out ----------------------------------------------------------------

OUTPUT = arg("-o", "--output", type=Path, help="file to write (default: stdout CSV)")


@command(
    "export optins",
    "opt-in contacts for the mailing",
    OUTPUT,
    arg("--format", choices=("csv", "xlsx"), help="default: from -o, else csv"),
    arg("--campaign", help="only this campaign"),
    arg(
        "--since",
        type=day_option("--since", iso_moment),
        metavar="DATE",
        help="consent given on or after (2026-11-01)",
    ),
    figures_of("only consents this caller captured (supervisors; others get their own)"),
    USER,
    arg(
        "--excel-dialect",
        choices=("yes", "no"),
        default="yes",
        help="yes: UTF-8 BOM, ';', every field quoted (default); no: plain RFC 4180 CSV",
    ),
    arg(
        "--unverified",
        action="store_true",
        help="export even if the consent log fails `consent verify` (said and recorded)",
    ),
)
def cmd_export_optins(args: argparse.Namespace) -> int:
    from prospect_tui.core import exporter

    actor = actor_of(args)
    caller = figures_caller(args, actor)
    store = open_store(args)
    fmt = args.format or (
        "xlsx" if args.output and args.output.suffix.lower() == ".xlsx" else "csv"
    )
    if fmt == "xlsx" and args.output is None:
        raise UserError("--format xlsx needs -o PATH (a spreadsheet cannot go to stdout)")
    count = exporter.export_optins(
        store,
        args.output,
        fmt=fmt,
        campaign=args.campaign,
        since=args.since,
        caller=caller,
        actor=actor,
        excel_dialect=args.excel_dialect == "yes",
        unverified=args.unverified,
        warn=lambda problem: print(
            f"prospect: warning: exporting from a consent log that fails verification"
            f" ({problem}); this export is recorded",
            file=sys.stderr,
        ),
    )
    return written(count, args.output)


@command(
    "export calls",
    "every call, one row each",
    OUTPUT,
    arg("--campaign", help="only this campaign"),
    figures_of("only this caller's calls (supervisors; others get their own)"),
    USER,
)
def cmd_export_calls(args: argparse.Namespace) -> int:
    from prospect_tui.core import exporter

    actor = actor_of(args)
    caller = figures_caller(args, actor)
    store = open_store(args)
    count = exporter.export_calls(
        store, args.output, campaign=args.campaign, actor=actor, caller=caller
    )
    return written(count, args.output)


SURVEY_FORMATS = ("csv", "xlsx", "sav", "dta")
KEY = arg(
    "--key",
    metavar="FIELD",
    help="a lead field (any imported column, e.g. client_id) written as the first column",
)
PSEUDONYMISE = arg(
    "--pseudonymise",
    action="store_true",
    help="a random case id instead of the lead and its contacts; the key file NAME-key.csv beside",
)


SURVEY_FORMAT = arg(
    "--format",
    choices=SURVEY_FORMATS,
    help="csv, xlsx, SPSS sav or Stata dta (default: from -o, else csv)",
)


def survey_format(args: argparse.Namespace) -> str:
    """--format, else the output's extension when it is one of the formats, else csv."""
    suffix = args.output.suffix.lower().lstrip(".") if args.output is not None else ""
    return str(args.format or (suffix if suffix in SURVEY_FORMATS else "csv"))


def survey_options(args: argparse.Namespace) -> dict[str, Any]:
    """Who exports, the team's zone, the case key and pseudonyms: the same for the answers
    and the sample."""
    from prospect_tui.core.config import user_config

    config = user_config()
    return {
        "actor": actor_of(args, config=config),
        "zone": config.home_zone,
        "key": args.key,
        "pseudonymise": args.pseudonymise,
    }


@command(
    "export answers",
    "a questionnaire's answers",
    arg("--campaign", required=True, help="the campaign whose answers to write"),
    OUTPUT,
    SURVEY_FORMAT,
    arg(
        "--shape",
        choices=("wide", "long"),
        default="wide",
        help="wide: one row per lead interviewed (default); long: one row per answer",
    ),
    KEY,
    PSEUDONYMISE,
    USER,
)
def cmd_export_answers(args: argparse.Namespace) -> int:
    from prospect_tui.core.questionnaires.export import export_answers

    fmt = survey_format(args)
    count = export_answers(
        open_store(args), args.campaign, args.output, fmt, args.shape, **survey_options(args)
    )
    return written(count, args.output)


@command(
    "export sample",
    "every lead of a campaign with its final AAPOR disposition",
    arg("--campaign", required=True, help="the campaign whose sample to write"),
    OUTPUT,
    SURVEY_FORMAT,
    KEY,
    PSEUDONYMISE,
    USER,
)
def cmd_export_sample(args: argparse.Namespace) -> int:
    from prospect_tui.core.questionnaires.sample import export_sample

    fmt = survey_format(args)
    count = export_sample(open_store(args), args.campaign, args.output, fmt, **survey_options(args))
    return written(count, args.output)


def written(count: int, output: Path | None) -> int:
    if output is not None:
        print(f"{count} rows written to {output}", file=sys.stderr)
    return 0


# --- figures ----------------------------------------------------------------------------

THEIR_FIGURES = "only this caller's figures (supervisors; others always see their own)"


@command(
    "stats",
    "call statistics",
    arg("--campaign", help="only this campaign"),
    arg("--period", choices=("today", "week", "lastweek", "month"), help="default: all time"),
    arg(
        "--from",
        dest="date_from",
        type=day_option("--from"),
        metavar="DATE",
        help="first day (YYYY-MM-DD)",
    ),
    arg(
        "--to",
        dest="date_to",
        type=day_option("--to"),
        metavar="DATE",
        help="last day (default: today)",
    ),
    figures_of(THEIR_FIGURES),
    USER,
    arg(
        "--by",
        choices=("caller", "day", "hour", "campaign", "outcome"),
        default="caller",
        help="breakdown for the table and the CSV (default: caller)",
    ),
    arg("--questions", action="store_true", help="the questionnaire's figures (needs --campaign)"),
    arg(
        "--e",
        type=share_option("--e"),
        metavar="SHARE",
        help="with --questions: the share of unknown-eligibility cases taken as eligible in"
        " RR3/RR4 (default: estimated from the cases of known eligibility)",
    ),
    arg("--tui", action="store_true", help="open the live stats screen"),
    arg("--json", action="store_true", help="print a JSON object"),
    arg("--csv", action="store_true", help="print the breakdown as CSV"),
    exclusive=(("--tui", "--json", "--csv"),),
)
def cmd_stats(args: argparse.Namespace) -> int:
    from prospect_tui.core import stats
    from prospect_tui.core.config import user_config
    from prospect_tui.core.csvout import to_stdout

    config = user_config()
    if args.tui:
        from prospect_tui.app import make_stats_app

        actor = actor_of(args, config=config)
        app = make_stats_app(
            open_store(args),
            actor.name,
            args.campaign,
            config,
            requested_caller=args.caller,
            period=args.period or "today",
            actor=actor,
        )
        app.run()
        return app.return_code or 0
    caller = figures_caller(args, actor_of(args, config=config))
    store = open_store(args)
    period = stats.period_from_options(
        args.period, args.date_from, args.date_to, store.clock(), config.home_zone
    )
    if args.questions:
        return questions_stats(store, args, period, caller)
    if args.e is not None:
        raise UserError("--e goes with --questions (it is the e of RR3 and RR4)")
    figures = stats.compute(store, period, args.campaign, caller)
    if args.json:
        print_json(figures, indent=2)
    elif args.csv:
        to_stdout(lambda out: out.write(stats.to_csv(figures, args.by)))
    else:
        print(stats.format_table(figures, args.by))
    return 0


def questions_stats(
    store: Store, args: argparse.Namespace, period: Period, caller: str | None
) -> int:
    from prospect_tui.core.csvout import to_stdout
    from prospect_tui.core.questionnaires import figures

    if not args.campaign:
        raise UserError("--questions needs --campaign NAME")
    found = figures.question_figures(
        store, args.campaign, period.start_iso, period.end_iso, caller, args.e
    )
    found["period"] = period.as_json()
    if args.json:
        print_json(found, indent=2)
    elif args.csv:
        to_stdout(lambda out: out.write(figures.figures_csv(found)))
    else:
        print(figures.format_figures(found))
    return 0


@command(
    "report",
    "write the weekly HTML report for the supervisor",
    arg(
        "--week",
        nargs="?",
        const="",
        default="",
        type=day_option("--week"),
        metavar="DATE",
        help="any day of the week to report (default: last week if it had calls, else the"
        " last week that had some)",
    ),
    arg("-o", "--output", type=Path, metavar="FILE", help="default: prospect-report-YYYY-Www.html"),
    arg("--campaign", help="only this campaign"),
    figures_of(THEIR_FIGURES),
    USER,
)
def cmd_report(args: argparse.Namespace) -> int:
    from prospect_tui.core.config import user_config
    from prospect_tui.core.report import default_week, write_report
    from prospect_tui.core.stats import Period, parse_day

    config = user_config()
    actor = actor_of(args, config=config)
    caller = figures_caller(args, actor)
    store = open_store(args)
    if args.week:
        week, why = Period.week_of(parse_day(args.week), config.home_zone), ""
    else:
        found, reason = default_week(store, args.campaign, caller, zone=config.home_zone)
        week, why = found, f" ({reason})"
    year, number, _ = week.first.isocalendar()
    output = args.output or Path(f"prospect-report-{year}-W{number:02d}.html")
    write_report(
        store, output, week.first, args.campaign, caller, actor=actor, zone=config.home_zone
    )
    print(f"report for {week.label}{why} written to {output}", file=sys.stderr)
    return 0


# --- campaigns --------------------------------------------------------------------------


@command("campaign list", "every campaign and its leads", JSON)
def cmd_campaign_list(args: argparse.Namespace) -> int:
    from prospect_tui.core import campaigns

    rows = campaigns.campaign_list(open_store(args))
    print(json.dumps(rows, ensure_ascii=False) if args.json else campaigns.format_list(rows))
    return 0


@command(
    "campaign show",
    "every setting, defaults included",
    arg("name", metavar="NAME"),
    arg("--json", action="store_true", help="print a JSON object"),
)
def cmd_campaign_show(args: argparse.Namespace) -> int:
    from prospect_tui.core import campaigns

    described = campaigns.describe(open_store(args), args.name)
    if args.json:
        print_json(described, indent=2)
    else:
        print(campaigns.format_describe(described))
    return 0


@command(
    "campaign set",
    "change one setting (validated)",
    arg("name", metavar="NAME"),
    arg("key", metavar="KEY", help="a key that `campaign show` prints"),
    arg("value", metavar="VALUE", help='e.g. "mon-fri 09:00-18:00" or off'),
    USER,
)
def cmd_campaign_set(args: argparse.Namespace) -> int:
    from prospect_tui.core import campaigns

    store = open_store(args)
    campaigns.set_setting(store, args.name, args.key, args.value, actor=actor_of(args))
    value = campaigns.describe(store, args.name)["settings"][args.key]
    print(f"{args.name}: {args.key} = {campaigns.shown_value(args.key, value)}")
    return 0


@command(
    "campaign questionnaire",
    "attach a questionnaire (TOML), print the one in force, or --check a file",
    arg("name", metavar="NAME", nargs="?", help="the campaign"),
    arg("file", metavar="FILE", nargs="?", type=Path, help="to attach"),
    arg("--check", metavar="FILE", type=Path, help="only validate FILE"),
    USER,
)
def cmd_campaign_questionnaire(args: argparse.Namespace) -> int:
    from prospect_tui.core.questionnaires import parse, storage

    if args.check is not None:
        if args.name or args.file:
            raise UserError("--check FILE takes no campaign: it only validates")
        found = parse.read_questionnaire(args.check)
        print(f"{args.check}: valid, {found.title!r}, {len(found.questions)} questions")
        return 0
    if args.name is None:
        raise UserError("name a campaign (or --check FILE)")
    store = open_store(args)
    if args.file is None:
        _, version = storage.require_version(store, args.name)
        sys.stdout.write(version.questionnaire.source)
    else:
        attached = storage.attach_questionnaire(store, args.name, args.file, actor_of(args))
        print(attached.summary())
    return 0


@command(
    "campaign new",
    "a campaign of another's leads, by their latest outcome",
    arg("name", metavar="NAME"),
    arg("--from", dest="source", metavar="SOURCE", required=True, help="the source campaign"),
    arg("--outcome", default="opt_in", help="latest outcomes to keep, comma-separated (opt_in)"),
    arg(
        "--since",
        type=day_option("--since"),
        metavar="DATE",
        help="latest call on or after this day",
    ),
    arg(
        "--until",
        type=day_option("--until"),
        metavar="DATE",
        help="latest call on or before this day",
    ),
    arg("--questionnaire", metavar="FILE", type=Path, help="attach this one"),
    arg("--json", action="store_true", help="print a JSON object"),
    USER,
)
def cmd_campaign_new(args: argparse.Namespace) -> int:
    from prospect_tui.core.config import user_config
    from prospect_tui.core.questionnaires.derive import campaign_from

    config = user_config()
    made = campaign_from(
        open_store(args),
        args.name,
        args.source,
        outcomes=[o.strip() for o in args.outcome.split(",") if o.strip()],
        since=args.since,
        until=args.until,
        questionnaire=args.questionnaire,
        actor=actor_of(args, config=config),
        zone=config.home_zone,
    )
    print(json.dumps(made.as_json(), ensure_ascii=False) if args.json else made.summary())
    return 0


# --- consent, objection, retention ------------------------------------------------------


@command(
    "consent verify",
    "check the keyed hash chain and its sealed head (exit 1 when broken)",
    arg("--json", action="store_true", help="print a JSON object"),
    arg("--key", type=Path, metavar="FILE", help="an auditor's copy of the consent key"),
)
def cmd_consent_verify(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import check_chain

    report = check_chain(open_store(args), args.key)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        print(report.message, file=sys.stdout if report.ok else sys.stderr)
    # 1, not 2: a broken log is not a usage mistake, and scripts must tell the two apart.
    return 0 if report.ok else 1


@command(
    "consent seal",
    "seal an older, unkeyed consent log with the key (supervisors; recorded)",
    USER,
    arg(
        "--replace",
        action="store_true",
        help="also when the head kept beside the key knows this log longer"
        " (a database replaced on purpose; said in the seal's event)",
    ),
)
def cmd_consent_seal(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import seal

    print(seal(open_store(args), actor_of(args), replace_outside=args.replace).summary())
    return 0


@command(
    "optout",
    "withdraw consent and suppress addresses or numbers",
    arg("file", type=Path, help="CSV or plain list of emails / phone numbers"),
    arg("--json", action="store_true", help="print the report as JSON"),
)
def cmd_optout(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import read_optout_file, record_optout

    store = open_store(args)
    entries = read_optout_file(args.file)
    report = record_optout(store, entries, caller=os_user())
    if args.json:
        print_json(report.as_json())
    else:
        print(report.summary())
    return 0


@command(
    "forget",
    "erase a person everywhere (keeps a suppression hash)",
    arg("value", metavar="EMAIL|PHONE", help="the person's email or number"),
    USER,
)
def cmd_forget(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import forget

    done = forget(open_store(args), args.value, actor=actor_of(args))
    print(done.summary() + "; the suppression hash is kept")
    return 0


@command(
    "purge",
    "erase prospects with no contact from them (retention)",
    arg("--older-than", default="3y", metavar="AGE", help="3y, 18m, 90d (3y)"),
    arg("--yes", action="store_true", help="erase (default: dry run, list only)"),
    USER,
)
def cmd_purge(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import purge, purge_candidates

    store = open_store(args)
    actor = actor_of(args)
    if args.yes:
        print(purge(store, args.older_than, actor=actor).summary())
        return 0
    found = purge_candidates(store, args.older_than, actor=actor)
    print(f"dry run: {len(found)} prospects with no contact from them in {args.older_than}")
    for row in found:
        company = visible(row["company"]) or "(no name)"
        print(f"  lead {row['id']}: {company}, last {row['last_contact']}")
    if found:
        print("run again with --yes to erase them")
    return 0


@command(
    "verify-emails",
    "mark addresses deliverable by their domain (MX)",
    arg(
        "--timeout",
        type=positive_option("--timeout", 300),
        default=3.0,
        metavar="S",
        help="DNS timeout per query (3; at most 300)",
    ),
    arg("--json", action="store_true", help="print a JSON object"),
)
def cmd_verify_emails(args: argparse.Namespace) -> int:
    from prospect_tui.core.deliverability import verify_emails

    report = verify_emails(open_store(args), timeout=args.timeout)
    if args.json:
        print_json(report.as_json())
    else:
        print(report.summary())
    return 0


# --- serving the team's browsers, and who may log in ---------------------------------------


SERVED_CAMPAIGN = arg(
    "--campaign", metavar="NAME", help="campaign the callers' sessions open on (the latest)"
)


@command(
    "serve", "serve the session to browsers, with logins (users)", SERVED_CAMPAIGN, *SERVE_OPTIONS
)
def cmd_serve(args: argparse.Namespace) -> int:
    from prospect_tui.serve import run_server

    return run_server(open_store(args), args)


def read_password(args: argparse.Namespace) -> str:
    """One line of stdin with --password-stdin; else asked twice on the terminal, never echoed."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on: use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UserError("the two passwords differ; nothing changed")
    return first


@command(
    "user add",
    "add a user",
    arg("name", metavar="NAME"),
    arg("--role", choices=("caller", "supervisor"), default="caller", help="(caller)"),
    PASSWORD_STDIN,
    USER,
)
def cmd_user_add(args: argparse.Namespace) -> int:
    from prospect_tui.core import users
    from prospect_tui.core.roles import require

    store = open_store(args)
    actor = actor_of(args)
    # Refused before the password is asked, not after it is typed twice.
    require(actor, "users.admin")
    users.check_name(args.name)
    added = users.add_user(store, args.name, read_password(args), args.role, actor=actor)
    print(f"user {added.name} added ({added.role})", file=sys.stderr)
    return 0


@command("user list", "every user and role", JSON, USER)
def cmd_user_list(args: argparse.Namespace) -> int:
    from prospect_tui.core import users

    found = users.list_users(open_store(args), actor=actor_of(args))
    if args.json:
        print_json([user.as_json() for user in found])
    else:
        print(users.format_users(found))
    return 0


@command(
    "user passwd",
    "set a new password (enables a disabled user)",
    arg("name", metavar="NAME"),
    PASSWORD_STDIN,
    USER,
)
def cmd_user_passwd(args: argparse.Namespace) -> int:
    from prospect_tui.core import users
    from prospect_tui.core.roles import require

    store = open_store(args)
    actor = actor_of(args)
    require(actor, "users.admin")  # before the password is asked
    users.require_user(store, args.name)
    users.set_password(store, args.name, read_password(args), actor=actor)
    print(f"password of {args.name} changed", file=sys.stderr)
    return 0


@command("user disable", "refuse logins; open sessions end", arg("name", metavar="NAME"), USER)
def cmd_user_disable(args: argparse.Namespace) -> int:
    from prospect_tui.core import users

    users.disable_user(open_store(args), args.name, actor=actor_of(args))
    print(f"user {args.name} disabled", file=sys.stderr)
    return 0


@command("user remove", "delete the login (calls stay)", arg("name", metavar="NAME"), USER)
def cmd_user_remove(args: argparse.Namespace) -> int:
    from prospect_tui.core import users

    users.remove_user(open_store(args), args.name, actor=actor_of(args))
    print(f"user {args.name} removed", file=sys.stderr)
    return 0


@command("user log", "logins, logouts, failures and refusals", JSON, USER)
def cmd_user_log(args: argparse.Namespace) -> int:
    from prospect_tui.core import users

    rows = users.access_log(open_store(args), actor=actor_of(args))
    if args.json:
        print_json(rows)
    else:
        print(users.format_access_log(rows))
    return 0


# --- the parser, built from the table ---------------------------------------------------


# Options also taken before the command (`prospect --caller bob stats`): a value given there
# must survive the subcommand's own default.
TOP_LEVEL = {"--caller", "--campaign", "--user"}


def _add_options(parser: argparse.ArgumentParser, found: Command) -> None:
    grouped = {flag: group for group in found.exclusive for flag in group}
    groups: dict[tuple[str, ...], Any] = {}
    for option in found.options:
        target: Any = parser
        group = grouped.get(option.flags[0])
        if group is not None:
            if group not in groups:
                groups[group] = parser.add_mutually_exclusive_group()
            target = groups[group]
        settings = option.settings
        if option.flags[0] in TOP_LEVEL:
            settings = {**settings, "default": argparse.SUPPRESS}
        target.add_argument(*option.flags, **settings)


def build_parser() -> argparse.ArgumentParser:
    # --db is accepted before or after the command (`prospect --db X stats` and `prospect
    # stats --db X`); SUPPRESS keeps a subcommand from resetting a value given before it.
    # The same goes for --caller and --campaign, which the session takes before a command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(*DB.flags, default=argparse.SUPPRESS, **DB.settings)
    parser = argparse.ArgumentParser(
        prog="prospect",
        description="Phone prospecting in the terminal: call a list, capture opt-ins, export.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"prospect-tui {__version__}")
    for option in (CALLER, CAMPAIGN, USER):
        parser.add_argument(*option.flags, **option.settings)
    # Set by `prospect serve` for the app it starts per browser: the role comes from the DB.
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    # Set by `prospect serve` for a supervisor: the figures first, no lead claimed until he
    # leaves them to call.
    parser.add_argument("--figures-first", action="store_true", help=argparse.SUPPRESS)
    # Looked up when run, not bound here: tests replace the session's handler.
    parser.set_defaults(handler=lambda args: cmd_session(args))
    levels: dict[tuple[str, ...], Any] = {(): parser.add_subparsers(metavar="COMMAND")}
    for found in COMMANDS:
        for depth in range(1, len(found.words)):
            group = found.words[:depth]
            if group not in levels:
                holder = levels[group[:-1]].add_parser(
                    group[-1], parents=[common], help=GROUPS[group[-1]]
                )
                levels[group] = holder.add_subparsers(metavar="ACTION", required=True)
        sub = levels[found.words[:-1]].add_parser(
            found.words[-1], parents=[common], help=found.help
        )
        _add_options(sub, found)
        sub.set_defaults(handler=found.handler)
    return parser


class TerminalStdout:
    """Standard output when it is a terminal: every control character printed (a company in
    a table, a questionnaire's source, a JSON field) shows as a visible escape, whichever
    command printed it; a file or a pipe gets the data as it was."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(visible(text, lines=True))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def main(argv: list[str] | None = None) -> int:
    printable_stdout()
    try:
        args = build_parser().parse_args(argv)
    except UserError as error:  # an option's value its type refused (day_option...)
        return fail(str(error))
    stdout = sys.stdout
    if stdout.isatty():
        sys.stdout = TerminalStdout(stdout)
    try:
        code = args.handler(args)
        # A full device or a closed pipe shows here, not as "Exception ignored" at exit.
        flush_stdout()
        return code
    except UserError as error:
        return fail(str(error))
    except BrokenPipeError:
        # `prospect export calls | head` closes the pipe early: not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    except sqlite3.Error as error:
        # A write outside Store.write() that the disk refused (read-only, full), or a lock
        # held past the busy timeout (the session retries those; a command stops).
        path = database_path(getattr(args, "db", None))
        if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY":
            return fail(f"{path}: the database is locked by another process: try again")
        refused = database_error(error, path)
        return internal_error(error) if refused is None else fail(str(refused))
    except UnicodeEncodeError as error:
        if "surrogates" not in error.reason:
            return internal_error(error)
        # A name in another encoding than UTF-8 (kept as surrogates) cannot go into SQLite.
        shown = printable(str(error.object))[:100]
        return fail(f'"{shown}": not valid UTF-8 (rename the file, or type the name in UTF-8)')
    except OSError as error:
        # The machine refused (full disk, no permission, not a folder): the user can fix it.
        if error.filename is None and error.errno in (errno.ENOSPC, errno.EIO, errno.EFBIG):
            # A print to a full or failing standard output (files name themselves).
            silence_stdout()
            return fail(f"standard output: cannot write ({error.strerror})")
        where = f"{error.filename}: " if error.filename else ""
        return fail(f"{where}{error.strerror or error}")
    except Exception as error:
        return internal_error(error)
    finally:
        sys.stdout = stdout


def printable_stdout() -> None:
    """Print a file name that is not valid UTF-8 as escapes instead of crashing on it."""
    if isinstance(sys.stdout, io.TextIOWrapper) and sys.stdout.errors == "strict":
        sys.stdout.reconfigure(errors="backslashreplace")


def fail(message: str) -> int:
    print(f"prospect: error: {visible(message, lines=True)}", file=sys.stderr)
    return 2


def internal_error(error: Exception) -> int:
    """The last resort: one line on the terminal, the traceback in a private log file."""
    import traceback

    summary = visible(" ".join(f"{type(error).__name__}: {error}".split()))[:200]
    try:
        log = crash_log_path()
        write_private_text(log, traceback.format_exc())
        where = f"details in {log}"
    except UserError as unwritable:
        where = f"no log written: {unwritable}"
    print(f"prospect: internal error: {summary} ({where})", file=sys.stderr)
    return 1
