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
        help="use this column for this field (repeatable), e.g. phone=\"Tél. standard\"",
    )
    imp.add_argument("--rejects", type=Path, metavar="PATH", help="rejects CSV path")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")

    export = commands.add_parser("export", parents=[common], help="write a qualified file")
    kinds = export.add_subparsers(dest="kind", metavar="KIND", required=True)
    optins = kinds.add_parser("optins", parents=[common], help="opt-in contacts for the mailing")
    optins.add_argument("-o", "--output", type=Path, help="file to write (default: stdout CSV)")
    optins.add_argument("--format", choices=("csv", "xlsx"), help="default: from -o, else csv")
    optins.add_argument("--campaign", help="only this campaign")
    calls = kinds.add_parser("calls", parents=[common], help="every call, one row each")
    calls.add_argument("-o", "--output", type=Path, help="file to write (default: stdout CSV)")
    calls.add_argument("--campaign", help="only this campaign")

    stats = commands.add_parser("stats", parents=[common], help="call statistics")
    stats.add_argument("--campaign", help="only this campaign")
    stats.add_argument("--json", action="store_true", help="print a JSON object")
    return parser


def session_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--caller", default=default, help="your name (default: OS user name)")
    parser.add_argument("--campaign", default=default, help="campaign to call")


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
        count = exporter.export_optins(store, args.output, fmt=fmt, campaign=args.campaign)
    else:
        count = exporter.export_calls(store, args.output, campaign=args.campaign)
    if args.output is not None:
        print(f"{count} rows written to {args.output}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from prospect_tui.core import stats

    store = open_store(args)
    figures = stats.summary(store, campaign=args.campaign)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(stats.format_table(figures))
    return 0


COMMANDS = {
    None: cmd_session,
    "demo": cmd_demo,
    "locate": cmd_locate,
    "import": cmd_import,
    "export": cmd_export,
    "stats": cmd_stats,
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
