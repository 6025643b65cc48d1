"""`prospect serve`: the calling session in the browser, through textual-serve, with logins.

The server owns who connects and as whom; each browser tab runs the same app as a terminal.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import shutil
import ssl
import sys

from prospect_tui.core import UserError, users
from prospect_tui.core.import_folder import UPLOADS, serving_folder
from prospect_tui.core.locations import config_path, consent_key_path
from prospect_tui.core.store import Store
from prospect_tui.core.text import visible

DEMO_USERS = (("camille", "caller"), ("dominique", "supervisor"))
MAX_SESSIONS = 10_000
HEADERS_TIMEOUT_S = 15.0


class VisibleFormatter(logging.Formatter):
    """Log lines read on a terminal: what they quote from anyone (a name typed in the login
    form, a request's path) shows its control characters, never sends them."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record), lines=True)


def add_demo_users(store: Store) -> list[tuple[str, str, str]]:
    """Two demo users with fresh random passwords: (name, password, role)."""
    from prospect_tui.core.demo import DEMO_BUILDER

    added = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        users.add_user(store, name, password, role, actor=DEMO_BUILDER)
        added.append((name, password, role))
    return added


def tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.certfile is None and args.keyfile is None:
        return None
    if args.certfile is None or args.keyfile is None:
        raise UserError("--certfile and --keyfile go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.certfile, args.keyfile)
    except (OSError, ssl.SSLError) as error:
        raise UserError(f"{args.certfile}, {args.keyfile}: cannot load ({error})") from None
    return context


def run_server(store: Store, args: argparse.Namespace) -> int:
    """Serve until SIGTERM or ctrl+c; every open app then quits as with ctrl+q."""
    from aiohttp import web

    from prospect_tui.serve import http_log
    from prospect_tui.serve.server import ProspectServer, app_command

    if args.max_sessions is not None and not 1 <= args.max_sessions <= MAX_SESSIONS:
        raise UserError(f"--max-sessions must be between 1 and {MAX_SESSIONS}")
    campaign = getattr(args, "campaign", None)
    if campaign:
        store.campaign(campaign)  # an unknown name stops here, not in every browser
    context = tls_context(args)
    imports = serving_folder(args.import_folder, store.path, [consent_key_path(), config_path()])
    # Sessions live in this process's memory: those of the last run are over, so are their
    # uploads (personal data kept no longer than needed).
    shutil.rmtree(imports / UPLOADS, ignore_errors=True)
    print(f"lead files from {imports}", file=sys.stderr, flush=True)
    scheme = "https" if context else "http"
    url = args.public_url or f"{scheme}://{args.host}:{args.port}"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(VisibleFormatter("%(asctime)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    http_log.install()
    if not users.has_users(store):
        print("no users yet: add one with `prospect user add NAME`", file=sys.stderr)
    server = ProspectServer(
        store,
        import_folder=imports,
        public_url=args.public_url,
        secure=context is not None,
        session_hours=args.session_hours,
        max_sessions=args.max_sessions,
        fork=getattr(args, "fork", False),
        idle_minutes=getattr(args, "idle_minutes", 30.0),
        app_argv=app_command(store, campaign),
    )
    print(
        f"serving {store.path} on {url}, {server.max_sessions} sessions at most (ctrl+c to stop)",
        file=sys.stderr,
        flush=True,
    )
    try:
        web.run_app(
            server.application(),
            host=args.host,
            port=args.port,
            ssl_context=context,
            print=None,
            shutdown_timeout=10.0,
            # A connection that sends no complete request (headers sent byte by byte,
            # or nothing) is closed after this long; the websocket has its own heartbeat.
            keepalive_timeout=HEADERS_TIMEOUT_S,
        )
    except OSError as error:
        raise UserError(f"cannot listen on {args.host}:{args.port} ({error.strerror})") from None
    return 0
