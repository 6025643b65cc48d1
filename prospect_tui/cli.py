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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", parents=[common], help="build a fresh demo database and open the session on it"
    )
    session_options(demo, suppress=True)

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
    answers = kinds.add_parser("answers", parents=[common], help="a questionnaire's answers")
    answers.add_argument("--campaign", required=True, help="the campaign whose answers to write")
    answers.add_argument("-o", "--output", type=Path, help="file to write (default: stdout CSV)")
    answers.add_argument("--format", choices=("csv", "xlsx"), help="default: from -o, else csv")
    answers.add_argument(
        "--shape",
        choices=("wide", "long"),
        default="wide",
        help="wide: one row per lead interviewed (default); long: one row per answer",
    )

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
    stats.add_argument(
        "--questions", action="store_true", help="the questionnaire's figures (needs --campaign)"
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
    questionnaire = actions.add_parser(
        "questionnaire",
        parents=[common],
        help="attach a questionnaire (TOML), print the one in force, or --check a file",
    )
    questionnaire.add_argument("name", metavar="NAME", nargs="?", help="the campaign")
    questionnaire.add_argument("file", metavar="FILE", nargs="?", type=Path, help="to attach")
    questionnaire.add_argument("--check", metavar="FILE", type=Path, help="only validate FILE")
    derived = actions.add_parser(
        "new", parents=[common], help="a campaign of another's leads, by their latest outcome"
    )
    derived.add_argument("name", metavar="NAME")
    derived.add_argument("--from", dest="source", metavar="SOURCE", required=True)
    derived.add_argument(
        "--outcome", default="opt_in", help="latest outcomes to keep, comma-separated (opt_in)"
    )
    derived.add_argument("--since", metavar="DATE", help="latest call on or after this day")
    derived.add_argument("--until", metavar="DATE", help="latest call on or before this day")
    derived.add_argument("--questionnaire", metavar="FILE", type=Path, help="attach this one")
    derived.add_argument("--json", action="store_true", help="print a JSON object")
    return parser


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

    app = make_app(store, caller=args.caller or _caller_default(), campaign_name=args.campaign)
    app.run()
    return app.return_code or 0


def cmd_session(args: argparse.Namespace) -> int:
    return run_session(open_store(args), args)


def cmd_demo(args: argparse.Namespace) -> int:
    from prospect_tui.core.demo import build_demo

    path = Path(args.db) if getattr(args, "db", None) else demo_database_path()
    store = build_demo(path)
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
    elif args.kind == "answers":
        from prospect_tui.core.questionnaires.export import export_answers

        fmt = args.format or (
            "xlsx" if args.output and args.output.suffix.lower() == ".xlsx" else "csv"
        )
        count = export_answers(store, args.campaign, args.output, fmt, args.shape)
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
    if args.questions:
        return questions_stats(store, args, period, caller)
    figures = stats.compute(store, period, args.campaign, caller)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(stats.to_csv(figures, args.by))
    else:
        print(stats.format_table(figures, args.by))
    return 0


def questions_stats(store: Store, args: argparse.Namespace, period, caller: str | None) -> int:
    from prospect_tui.core.questionnaires import figures

    if not args.campaign:
        raise UserError("--questions needs --campaign NAME")
    found = figures.question_figures(store, args.campaign, period.start_iso, period.end_iso, caller)
    found["period"] = period.as_json()
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(figures.figures_csv(found))
    else:
        print(figures.format_figures(found))
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
    elif args.campaign_action == "questionnaire":
        return questionnaire_action(store, args)
    elif args.campaign_action == "new":
        return derived_campaign(store, args)
    else:
        campaigns.set_setting(store, args.name, args.key, args.value)
        value = campaigns.describe(store, args.name)["settings"][args.key]
        print(f"{args.name}: {args.key} = {campaigns.shown_value(args.key, value)}")
    return 0


def questionnaire_action(store: Store, args: argparse.Namespace) -> int:
    from prospect_tui.core.questionnaires import parse, storage

    if args.check is not None:
        if args.name or args.file:
            raise UserError("--check FILE takes no campaign: it only validates")
        found = parse.read_questionnaire(args.check)
        print(f"{args.check}: valid, {found.title!r}, {len(found.questions)} questions")
    elif args.name is None:
        raise UserError("name a campaign (or --check FILE)")
    elif args.file is None:
        _, version = storage.require_version(store, args.name)
        sys.stdout.write(version.questionnaire.source)
    else:
        caller = getattr(args, "caller", None) or _caller_default()
        print(storage.attach_questionnaire(store, args.name, args.file, caller).summary())
    return 0


def derived_campaign(store: Store, args: argparse.Namespace) -> int:
    from prospect_tui.core.questionnaires.derive import campaign_from

    made = campaign_from(
        store,
        args.name,
        args.source,
        outcomes=[o.strip() for o in args.outcome.split(",") if o.strip()],
        since=args.since,
        until=args.until,
        questionnaire=args.questionnaire,
        caller=getattr(args, "caller", None) or _caller_default(),
    )
    print(json.dumps(made.as_json(), ensure_ascii=False) if args.json else made.summary())
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
