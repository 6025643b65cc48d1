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

DEMO_USERS = (("camille", "caller"), ("dominique", "supervisor"))


def add_demo_users(store: Store) -> list[tuple[str, str, str]]:
    """Two demo users with fresh random passwords: (name, password, role)."""
    added = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        users.add_user(store, name, password, role)
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

    from prospect_tui.serve.server import ProspectServer

    if args.session_hours <= 0:
        raise UserError("--session-hours must be more than 0")
    context = tls_context(args)
    imports = serving_folder(args.import_folder, store.path, [consent_key_path(), config_path()])
    # Sessions live in this process's memory: those of the last run are over, so are their
    # uploads (personal data kept no longer than needed).
    shutil.rmtree(imports / UPLOADS, ignore_errors=True)
    print(f"lead files from {imports}", file=sys.stderr, flush=True)
    scheme = "https" if context else "http"
    url = args.public_url or f"{scheme}://{args.host}:{args.port}"
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    if not users.list_users(store):
        print("no users yet: add one with `prospect user add NAME`", file=sys.stderr)
    server = ProspectServer(
        store,
        import_folder=imports,
        public_url=args.public_url,
        secure=context is not None,
        session_hours=args.session_hours,
    )
    print(f"serving {store.path} on {url} (ctrl+c to stop)", file=sys.stderr, flush=True)
    try:
        web.run_app(
            server.application(),
            host=args.host,
            port=args.port,
            ssl_context=context,
            print=None,
            shutdown_timeout=10.0,
        )
    except OSError as error:
        raise UserError(f"cannot listen on {args.host}:{args.port} ({error.strerror})") from None
    return 0
