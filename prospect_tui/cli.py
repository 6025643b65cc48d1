"""The `prospect` command line: the calling session by default, plus import, export, stats...

User mistakes exit 2 with one line on stderr (`prospect: error: ...`), never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from prospect_tui import __version__
from prospect_tui.core import UserError
from prospect_tui.core.locations import config_path, database_path, demo_database_path
from prospect_tui.core.store import Store


def _caller_default() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "caller"


def build_parser() -> argparse.ArgumentParser:
    # Global options are accepted before or after the command (`prospect --db X stats`
    # and `prospect stats --db X`); SUPPRESS keeps a subcommand from resetting them.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="database file")

    parser = argparse.ArgumentParser(
        prog="prospect",
        description="Phone prospecting in the terminal: call a list, capture opt-ins, export.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"prospect-tui {__version__}")
    session_options(parser)
    # Set by `prospect serve` for the app it starts per browser: the role comes from the DB.
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", parents=[common], help="build a fresh demo database and open the session on it"
    )
    session_options(demo, suppress=True)
    demo.add_argument(
        "--serve", action="store_true", help="serve the demo to browsers, with two demo users"
    )
    serve_options(demo)

    commands.add_parser("locate", parents=[common], help="print the paths in use")

    imp = commands.add_parser("import", parents=[common], help="import a purchased lead file")
    imp.add_argument("file", type=Path, help="CSV, TXT, XLSX, XLS or ODS file")
    imp.add_argument("--campaign", help="campaign to add the leads to (default: the file's name)")
    imp.add_argument("--source", default="", help="where the list came from (e.g. the vendor)")
    imp.add_argument("--region", help="default phone region (default: the campaign's, FR)")
    imp.add_argument("--sheet", help="spreadsheet sheet name (default: the first)")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar='FIELD="Column"',
        help='use this column for this field (repeatable), e.g. phone="Tél. standard"',
    )
    imp.add_argument("--rejects", type=Path, metavar="PATH", help="rejects CSV path")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")

    export = commands.add_parser("export", parents=[common], help="write a qualified file")
    kinds = export.add_subparsers(dest="kind", metavar="KIND", required=True)
    optins = kinds.add_parser("optins", parents=[common], help="opt-in contacts for the mailing")
    optins.add_argument("-o", "--output", type=Path, help="file to write (default: stdout CSV)")
    optins.add_argument("--format", choices=("csv", "xlsx"), help="default: from -o, else csv")
    optins.add_argument("--campaign", help="only this campaign")
    optins.add_argument("--since", metavar="DATE", help="consent given on or after (2026-11-01)")
    optins.add_argument("--caller", help="only consents this caller captured")
    optins.add_argument(
        "--excel-dialect",
        choices=("yes", "no"),
        default="yes",
        help="yes: UTF-8 BOM, ';', every field quoted (default); no: plain RFC 4180 CSV",
    )
    calls = kinds.add_parser("calls", parents=[common], help="every call, one row each")
    calls.add_argument("-o", "--output", type=Path, help="file to write (default: stdout CSV)")
    calls.add_argument("--campaign", help="only this campaign")

    consent = commands.add_parser("consent", parents=[common], help="the consent proof log")
    consent_actions = consent.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = consent_actions.add_parser(
        "verify", parents=[common], help="check the hash chain (exit 1 when broken)"
    )
    verify.add_argument("--json", action="store_true", help="print a JSON object")

    optout = commands.add_parser(
        "optout", parents=[common], help="withdraw consent and suppress addresses or numbers"
    )
    optout.add_argument("file", type=Path, help="CSV or plain list of emails / phone numbers")
    optout.add_argument("--json", action="store_true", help="print the report as JSON")

    forget = commands.add_parser(
        "forget", parents=[common], help="erase a person everywhere (keeps a suppression hash)"
    )
    forget.add_argument("value", metavar="EMAIL|PHONE", help="the person's email or number")

    purge = commands.add_parser(
        "purge", parents=[common], help="erase prospects with no contact from them (retention)"
    )
    purge.add_argument("--older-than", default="3y", metavar="AGE", help="3y, 18m, 90d (3y)")
    purge.add_argument("--yes", action="store_true", help="erase (default: dry run, list only)")

    verify_emails = commands.add_parser(
        "verify-emails", parents=[common], help="mark addresses deliverable by their domain (MX)"
    )
    verify_emails.add_argument(
        "--timeout", type=float, default=3.0, metavar="S", help="DNS timeout per query (3)"
    )
    verify_emails.add_argument("--json", action="store_true", help="print a JSON object")

    stats = commands.add_parser("stats", parents=[common], help="call statistics")
    stats.add_argument("--campaign", help="only this campaign")
    stats.add_argument(
        "--period", choices=("today", "week", "lastweek", "month"), help="default: all time"
    )
    stats.add_argument("--from", dest="date_from", metavar="DATE", help="first day (YYYY-MM-DD)")
    stats.add_argument("--to", dest="date_to", metavar="DATE", help="last day (default: today)")
    figures_options(stats)
    stats.add_argument(
        "--by",
        choices=("caller", "day", "hour", "campaign", "outcome"),
        default="caller",
        help="breakdown for the table and the CSV (default: caller)",
    )
    stats_format = stats.add_mutually_exclusive_group()
    stats_format.add_argument("--tui", action="store_true", help="open the live stats screen")
    stats_format.add_argument("--json", action="store_true", help="print a JSON object")
    stats_format.add_argument("--csv", action="store_true", help="print the breakdown as CSV")

    report = commands.add_parser(
        "report", parents=[common], help="write the weekly HTML report for the supervisor"
    )
    report.add_argument(
        "--week",
        nargs="?",
        const="",
        default="",
        metavar="DATE",
        help="any day of the week to report (default: last week, Monday to Sunday)",
    )
    report.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="default: prospect-report-YYYY-Www.html"
    )
    report.add_argument("--campaign", help="only this campaign")
    figures_options(report)

    campaign = commands.add_parser(
        "campaign", parents=[common], help="list campaigns, show or change their settings"
    )
    actions = campaign.add_subparsers(dest="campaign_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="every campaign and its leads")
    listing.add_argument("--json", action="store_true", help="print JSON")
    show = actions.add_parser("show", parents=[common], help="every setting, defaults included")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    change = actions.add_parser("set", parents=[common], help="change one setting (validated)")
    change.add_argument("name", metavar="NAME")
    change.add_argument("key", metavar="KEY", help="a key that `campaign show` prints")
    change.add_argument("value", metavar="VALUE", help='e.g. "mon-fri 09:00-18:00" or off')

    serve = commands.add_parser(
        "serve", parents=[common], help="serve the session to browsers, with logins (users)"
    )
    serve_options(serve)

    user = commands.add_parser("user", parents=[common], help="who may log in to `serve`")
    user_actions = user.add_subparsers(dest="user_action", metavar="ACTION", required=True)
    user_add = user_actions.add_parser("add", parents=[common], help="add a user")
    user_add.add_argument("name", metavar="NAME")
    user_add.add_argument("--role", choices=("caller", "supervisor"), default="caller")
    password_option(user_add)
    user_list = user_actions.add_parser("list", parents=[common], help="every user and role")
    user_list.add_argument("--json", action="store_true", help="print JSON")
    user_passwd = user_actions.add_parser(
        "passwd", parents=[common], help="set a new password (enables a disabled user)"
    )
    user_passwd.add_argument("name", metavar="NAME")
    password_option(user_passwd)
    user_disable = user_actions.add_parser(
        "disable", parents=[common], help="refuse logins; open sessions end"
    )
    user_disable.add_argument("name", metavar="NAME")
    user_remove = user_actions.add_parser(
        "remove", parents=[common], help="delete the login (calls stay)"
    )
    user_remove.add_argument("name", metavar="NAME")
    user_log = user_actions.add_parser(
        "log", parents=[common], help="logins, logouts, failures and refusals"
    )
    user_log.add_argument("--json", action="store_true", help="print JSON")
    return parser


def serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument(
        "--public-url", metavar="URL", help="the URL browsers use, behind a reverse proxy"
    )
    parser.add_argument("--certfile", type=Path, metavar="F", help="TLS certificate (PEM)")
    parser.add_argument("--keyfile", type=Path, metavar="F", help="TLS private key (PEM)")
    parser.add_argument(
        "--session-hours", type=float, default=12.0, metavar="H", help="idle expiry (12)"
    )


def password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (for scripts)",
    )


def session_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--caller", default=default, help="your name (default: OS user name)")
    parser.add_argument("--campaign", default=default, help="campaign to call")


def figures_options(parser: argparse.ArgumentParser) -> None:
    # Not `caller`: that is who you are (`prospect --caller NAME stats`, default the OS
    # user); this is whose figures you ask for, which only supervisors may choose.
    parser.add_argument(
        "--caller",
        dest="figures_of",
        metavar="NAME",
        help="only this caller's figures (supervisors; others always see their own)",
    )


def figures_caller(args: argparse.Namespace) -> str | None:
    """The caller filter the config's `supervisors` list allows (None: everyone)."""
    from prospect_tui.core.locations import load_config
    from prospect_tui.core.stats import caller_filter

    who = getattr(args, "caller", None) or _caller_default()
    return caller_filter(load_config(), who, args.figures_of)


def open_store(args: argparse.Namespace) -> Store:
    return Store(database_path(getattr(args, "db", None)))


def run_session(store: Store, args: argparse.Namespace) -> int:
    from prospect_tui.app import make_app

    config = None
    if getattr(args, "served", False):
        from prospect_tui.core.locations import load_config
        from prospect_tui.core.users import served_config

        config = served_config(store, args.caller or "", load_config())
    app = make_app(
        store, caller=args.caller or _caller_default(), campaign_name=args.campaign, config=config
    )
    app.run()
    return app.return_code or 0


def cmd_session(args: argparse.Namespace) -> int:
    return run_session(open_store(args), args)


def cmd_demo(args: argparse.Namespace) -> int:
    from prospect_tui.core.demo import build_demo

    path = Path(args.db) if getattr(args, "db", None) else demo_database_path()
    store = build_demo(path)
    if args.serve:
        from prospect_tui.serve import add_demo_users, run_server

        for name, password, role in add_demo_users(store):
            print(f"demo user {name} ({role}), password: {password}", flush=True)
        return run_server(store, args)
    args.campaign = getattr(args, "campaign", None) or "demo"
    args.caller = getattr(args, "caller", None)
    return run_session(store, args)


def cmd_locate(args: argparse.Namespace) -> int:
    print(f"database: {database_path(getattr(args, 'db', None))}")
    print(f"demo database: {demo_database_path()}")
    print(f"config: {config_path()}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from prospect_tui.core.importer import import_file, parse_mapping

    store = open_store(args)
    report = import_file(
        store,
        args.file,
        campaign=args.campaign or args.file.stem,
        source=args.source,
        region=args.region,
        sheet=args.sheet,
        mapping=parse_mapping(args.map),
        rejects_path=args.rejects,
        progress=not args.json and sys.stderr.isatty(),
    )
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(report.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from prospect_tui.core import exporter

    store = open_store(args)
    if args.kind == "optins":
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
            caller=args.caller,
            excel_dialect=args.excel_dialect == "yes",
        )
    else:
        count = exporter.export_calls(store, args.output, campaign=args.campaign)
    if args.output is not None:
        print(f"{count} rows written to {args.output}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from prospect_tui.core import stats

    if args.tui:
        from prospect_tui.app import make_stats_app

        app = make_stats_app(
            open_store(args),
            getattr(args, "caller", None) or _caller_default(),
            args.campaign,
            requested_caller=args.figures_of,
            period=args.period or "today",
        )
        app.run()
        return app.return_code or 0
    caller = figures_caller(args)
    store = open_store(args)
    period = stats.period_from_options(args.period, args.date_from, args.date_to, store.clock())
    figures = stats.compute(store, period, args.campaign, caller)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(stats.to_csv(figures, args.by))
    else:
        print(stats.format_table(figures, args.by))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from prospect_tui.core.report import write_report
    from prospect_tui.core.stats import LOCAL_TZ, Period, parse_day

    caller = figures_caller(args)
    store = open_store(args)
    # Read on Monday mornings: without a date, the last complete week.
    today = store.clock().astimezone(LOCAL_TZ).date()
    week = Period.week_of(parse_day(args.week) if args.week else today - timedelta(days=7))
    year, number, _ = week.first.isocalendar()
    output = args.output or Path(f"prospect-report-{year}-W{number:02d}.html")
    write_report(store, output, week.first, args.campaign, caller)
    print(f"report for {week.label} written to {output}", file=sys.stderr)
    return 0


def cmd_consent(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import verify_chain

    ok, first_bad, message = verify_chain(open_store(args))
    if args.json:
        print(json.dumps({"ok": ok, "first_bad_id": first_bad, "message": message}))
    else:
        print(message, file=sys.stdout if ok else sys.stderr)
    # 1, not 2: a broken log is not a usage mistake, and scripts must tell the two apart.
    return 0 if ok else 1


def cmd_optout(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import read_optout_file, record_optout

    store = open_store(args)
    entries = read_optout_file(args.file)
    report = record_optout(store, entries, caller=_caller_default())
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(report.summary())
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import forget

    done = forget(open_store(args), args.value, caller=_caller_default())
    print(done.summary() + "; the suppression hash is kept")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from prospect_tui.core.consent import purge, purge_candidates

    store = open_store(args)
    if args.yes:
        print(purge(store, args.older_than).summary())
        return 0
    found = purge_candidates(store, args.older_than)
    print(f"dry run: {len(found)} prospects with no contact from them in {args.older_than}")
    for row in found:
        print(f"  lead {row['id']}: {row['company'] or '(no name)'}, last {row['last_contact']}")
    if found:
        print("run again with --yes to erase them")
    return 0


def cmd_verify_emails(args: argparse.Namespace) -> int:
    from prospect_tui.core.deliverability import verify_emails

    report = verify_emails(open_store(args), timeout=args.timeout)
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(report.summary())
    return 0


def cmd_campaign(args: argparse.Namespace) -> int:
    from prospect_tui.core import campaigns

    store = open_store(args)
    if args.campaign_action == "list":
        rows = campaigns.campaign_list(store)
        print(json.dumps(rows, ensure_ascii=False) if args.json else campaigns.format_list(rows))
    elif args.campaign_action == "show":
        described = campaigns.describe(store, args.name)
        if args.json:
            print(json.dumps(described, ensure_ascii=False, indent=2))
        else:
            print(campaigns.format_describe(described))
    else:
        campaigns.set_setting(store, args.name, args.key, args.value)
        value = campaigns.describe(store, args.name)["settings"][args.key]
        print(f"{args.name}: {args.key} = {campaigns.shown_value(args.key, value)}")
    return 0


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


def cmd_user(args: argparse.Namespace) -> int:
    from prospect_tui.core import users

    store = open_store(args)
    action = args.user_action
    if action == "add":
        users.check_name(args.name)
        added = users.add_user(store, args.name, read_password(args), args.role)
        print(f"user {added.name} added ({added.role})", file=sys.stderr)
    elif action == "list":
        found = users.list_users(store)
        if args.json:
            print(json.dumps([user.as_json() for user in found], ensure_ascii=False))
        else:
            print(users.format_users(found))
    elif action == "passwd":
        users.require_user(store, args.name)
        users.set_password(store, args.name, read_password(args))
        print(f"password of {args.name} changed", file=sys.stderr)
    elif action == "disable":
        users.disable_user(store, args.name)
        print(f"user {args.name} disabled", file=sys.stderr)
    elif action == "remove":
        users.remove_user(store, args.name)
        print(f"user {args.name} removed", file=sys.stderr)
    else:
        rows = users.access_log(store)
        print(json.dumps(rows, ensure_ascii=False) if args.json else users.format_access_log(rows))
    return 0


COMMANDS = {
    None: cmd_session,
    "demo": cmd_demo,
    "locate": cmd_locate,
    "import": cmd_import,
    "export": cmd_export,
    "stats": cmd_stats,
    "report": cmd_report,
    "campaign": cmd_campaign,
    "consent": cmd_consent,
    "optout": cmd_optout,
    "forget": cmd_forget,
    "purge": cmd_purge,
    "verify-emails": cmd_verify_emails,
    "serve": cmd_serve,
    "user": cmd_user,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UserError as error:
        print(f"prospect: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `prospect export calls | head` closes the pipe early: not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
