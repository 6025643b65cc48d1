"""The aiohttp application around textual-serve: login, sessions, refusals, guarded downloads.

textual-serve brings the terminal (its JavaScript, fonts, AppService, DownloadManager); this
module decides who may connect, and starts the app as that user and nobody else.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import logging
import os
import secrets
import shutil
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from functools import partial
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import quote, urlsplit

from aiohttp import BodyPartReader, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from prospect_tui.core import UserError, users
from prospect_tui.core.files import private_folder
from prospect_tui.core.import_folder import SessionFolders, session_uploads, upload_name
from prospect_tui.core.roles import Actor, may
from prospect_tui.core.store import Store
from prospect_tui.serve import pages
from prospect_tui.serve.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginLimiter,
    Session,
    Sessions,
    new_token,
)
from prospect_tui.serve.zygote import APP_MODULE, Zygote

log = logging.getLogger("prospect.serve")

TEXTUAL_STATIC = Path(str(files("textual_serve") / "static"))
OWN_ASSETS = Path(str(files("prospect_tui.serve") / "assets"))
QUIT_TIMEOUT_S = 5.0
MAX_UPLOAD_BYTES = 50 * 2**20
UPLOAD_CHUNK = 64 * 1024
SWEEP_INTERVAL_S = 5.0
CTRL_Q = b"\x11"
# The page's socket closes with this code when its user opened the session elsewhere: the
# page then says so instead of logging out (session.js).
TAKEN_OVER = 4001
# ... and with this one when its app ended after --idle-minutes without a key: the page
# says so and offers to resume.
IDLE_ENDED = 4002
HEARTBEAT_S = 15.0  # a websocket whose browser stops answering pings closes after 7.5 s more
CLOSE_TIMEOUT_S = 3.0  # a browser that doesn't answer the closing handshake is let go
LOGIN_BODY_TIMEOUT_S = 10.0  # a login form sent byte by byte is cut off
# What one session costs: its app's RSS (46 MB measured, docs/serving.md), rounded up. RSS
# rather than PSS (33 MB): the shared pages are counted once per app, a margin for the server.
SESSION_BYTES = 48 * 1024 * 1024
FALLBACK_MAX_SESSIONS = 50  # where /proc/meminfo can't be read
_NO_DEBUG = SimpleNamespace(debug=False)
SERVER: web.AppKey[ProspectServer] = web.AppKey("prospect_server")
SESSION = web.RequestKey("session", Session)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def app_command(store: Store, campaign: str | None = None) -> Callable[[str], list[str]]:
    """The app for one browser: this database, this user, the served campaign (the newest
    when none is named); the app reads the role itself. A supervisor's opens on the figures,
    holding no lead until he chooses to call."""
    chosen = ["--campaign", campaign] if campaign else []

    def argv(user: str) -> list[str]:
        db = str(store.path)
        command = [sys.executable, "-m", "prospect_tui", "--db", db, "--caller", user]
        found = users.get_user(store, user)
        first = ["--figures-first"] if found is not None and found.role == "supervisor" else []
        return [*command, *first, "--served", *chosen]

    return argv


class UserAppService(AppService):
    """One app process for one browser tab of one session.

    Started without a shell (the user name is an argument, never shell text), in its own
    process group (a ctrl+c in the server's terminal reaches the server alone), and stopped
    with ctrl+q, the session's own quit, so the lead on screen goes back to the pool; or,
    when its user opens the session elsewhere, with textual's quit, which keeps the lead
    claimed for the page that takes over.
    """

    def __init__(
        self,
        argv: list[str],
        session_id: str,
        user: str,
        websocket: web.WebSocketResponse,
        download_manager: DownloadManager,
    ) -> None:
        super().__init__(
            " ".join(argv),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=self.close_page,
            download_manager=download_manager,
        )
        self.argv = argv
        self.session_id = session_id
        self.user = user
        self.websocket = websocket
        self.elsewhere = ""  # set when the user opened the session elsewhere: the page's notice
        self.idle_notice = ""  # set when it ended for want of a key: the page's notice
        self.last_key: datetime | None = None  # set by the server when it starts
        self._stopping: asyncio.Task[None] | None = None

    async def close_page(self) -> None:
        if self.elsewhere:
            await self.websocket.close(code=TAKEN_OVER, message=self.elsewhere.encode()[:120])
        elif self.idle_notice:
            await self.websocket.close(code=IDLE_ENDED, message=self.idle_notice.encode()[:120])
        else:
            await self.websocket.close()

    def opened_elsewhere(self, notice: str) -> None:
        self.elsewhere = notice

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        environment = self._build_environment(width=width, height=height)
        if self.zygote is not None and self.argv[:3] == [sys.executable, *APP_MODULE]:
            forked = await self.zygote.fork(self.argv[3:], environment)
            if forked is not None:
                # It has what textual-serve uses of an asyncio Process: pipes, wait, kill.
                self._process = forked  # type: ignore[assignment]
                self._stdin = forked.stdin
                return forked
            log.warning("no zygote to fork from: the app of %s is spawned", self.user)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        self._stdin = process.stdin
        return process

    # Where the app may take lead files from (ProspectServer.session_folders).
    folders = SessionFolders(None, None)
    # The warm parent sessions are forked from (None: spawned, as textual-serve does).
    zygote: Zygote | None = None
    idle_notice_text = ""  # what the page says if it ends for want of a key, in its language

    @staticmethod
    def base_environment() -> dict[str, str]:
        """What every app's environment holds, textual-serve's settings included: the
        zygote's (per-session values are set in each fork)."""
        return AppService._build_environment(cast(AppService, _NO_DEBUG))

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        # Both variables always set: an app never inherits folders from the server's own.
        return {**super()._build_environment(width, height), **self.folders.environment()}

    async def run(self) -> None:
        await super().run()
        process = self._process
        if process is not None:
            # Its output ended: reap it and close its stdin, so that its pipes are closed now,
            # in this loop, not by the collector once the loop is gone.
            if process.stdin is not None:
                process.stdin.close()
            with suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), QUIT_TIMEOUT_S)
        # The app is gone (ctrl+q, a crash, a refusal at start): close the page's socket too,
        # so the browser goes back to the login page instead of a blank terminal.
        await self.remote_close()

    async def stop(self) -> None:
        """Returns once the app's process is gone, however many callers ask at once."""
        if self._stopping is None:
            self._stopping = asyncio.create_task(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        task, process = self._task, self._process
        if task is None or process is None:
            return
        self._task = None
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        if process.returncode is None:
            if self.elsewhere:
                await self.send_meta({"type": "quit"})
            else:
                await self.send_bytes(CTRL_Q)
        try:
            await asyncio.wait_for(process.wait(), QUIT_TIMEOUT_S)
        except TimeoutError:
            log.warning("app of %s did not quit within %ss: killed", self.user, QUIT_TIMEOUT_S)
            process.kill()
            await process.wait()
        await task


class ProspectServer:
    """The state of one `prospect serve`: sessions, the login limiter, the running apps."""

    def __init__(
        self,
        store: Store,
        *,
        public_url: str | None = None,
        secure: bool = False,
        session_hours: float = 12.0,
        import_folder: Path | None = None,
        app_argv: Callable[[str], list[str]] | None = None,
        max_sessions: int | None = None,
        fork: bool = False,
        idle_minutes: float = 30.0,
    ) -> None:
        self.store = store
        self.public_url = public_url
        self.secure = secure or (public_url or "").startswith("https:")
        self.sessions = Sessions(store.clock, timedelta(hours=session_hours))
        self.limiter = LoginLimiter(store.clock)
        self.downloads = DownloadManager()
        # Where browsers' lead files come from, uploads included (None: no import at all).
        self.import_folder = import_folder
        self.services: dict[str, UserAppService] = {}
        self.app_argv = app_argv or app_command(store)
        self.max_sessions = max_sessions or default_max_sessions()
        self.fork = fork and Zygote.supported()
        self.idle = timedelta(minutes=idle_minutes)
        self.zygote: Zygote | None = None
        # One live app per user: a page opening waits for his other apps to end, and a page
        # overtaken by a newer one of his while it waited starts nothing (a reload storm).
        self.opening: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.newest_page: dict[str, int] = {}
        self.page_numbers = itertools.count()
        # Password checks run in threads, at most one per core (argon2 releases the GIL): a
        # login flood costs `cores` computations of 19 MiB at a time, and sixty logins at
        # nine don't wait for each other one by one. One name from one address is checked
        # one attempt at a time, so its failure count is exact even for attempts in parallel.
        self.hashing = asyncio.Semaphore(os.cpu_count() or 1)
        self.login_locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    # The application

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self.guard], client_max_size=64 * 1024)
        app[SERVER] = self
        app.add_routes(
            [
                web.get("/login", self.login_form),
                web.post("/login", self.login),
                web.get("/logout", self.logout),
                web.post("/logout", self.logout),
                web.get("/", self.session_page),
                web.get("/ws", self.websocket),
                web.get("/download/{key}", self.download),
                web.get("/upload", self.upload_form),
                web.post("/upload", self.upload),
                web.static("/static", TEXTUAL_STATIC),
                web.static("/assets", OWN_ASSETS),
            ]
        )
        app.cleanup_ctx.append(self._sweeper)
        app.cleanup_ctx.append(self._warm_parent)
        app.on_shutdown.append(self._stop_all)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every route but the login form and its assets needs a live session."""
        try:
            if request.path == "/login" or request.path.startswith("/assets/"):
                response = await handler(request)
            else:
                session = self.current_session(request)
                if session is None:
                    if request.path == "/ws" or request.path.startswith("/download/"):
                        self.log_refusal(request, "", f"no session for {request.path[:40]}")
                        raise web.HTTPUnauthorized(text="log in first\n")
                    raise web.HTTPSeeOther("/login")
                request[SESSION] = session
                response = await handler(request)
        except web.HTTPException as refusal:
            response = web.Response(
                status=refusal.status, text=refusal.text, headers=refusal.headers
            )
        if not response.prepared:
            headers = response.headers
            headers["Content-Security-Policy"] = pages.CONTENT_SECURITY_POLICY
            headers["X-Frame-Options"] = "DENY"
            headers["Referrer-Policy"] = "no-referrer"
            headers["X-Content-Type-Options"] = "nosniff"
            headers.setdefault("Cache-Control", "no-store")
        return response

    def current_session(self, request: web.Request) -> Session | None:
        token = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.find(token)
        if session is None:
            return None
        user = users.get_user(self.store, session.user)
        if user is None or not user.active:
            self.sessions.close(token)
            self.log_refusal(request, session.user, "user disabled or removed: session ended")
            return None
        return session

    def address(self, request: web.Request) -> str:
        """The browser's address; behind a local reverse proxy, the one the proxy appended."""
        remote = request.remote or ""
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded and remote in ("127.0.0.1", "::1"):
            return forwarded.split(",")[-1].strip()[:64]
        return remote

    def own_origin(self, request: web.Request) -> str:
        if self.public_url:
            parts = urlsplit(self.public_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"{request.scheme}://{request.host}"

    def log_refusal(self, request: web.Request, user: str, why: str) -> None:
        log.warning("refused %s from %s: %s", user or "-", self.address(request), why)
        users.log_access(self.store, "refused", user, self.address(request), why)

    # Login and logout

    def _login_response(
        self, request: web.Request, message: str = "", status: int = 200, username: str = ""
    ) -> web.Response:
        token = request.cookies.get(LOGIN_COOKIE) or new_token()
        lang = pages.language(request.headers.get("Accept-Language", ""))
        body = pages.login_page(lang, token, message, username)
        response = web.Response(text=body, content_type="text/html", status=status)
        response.set_cookie(
            LOGIN_COOKIE, token, path="/login", httponly=True, samesite="Strict", secure=self.secure
        )
        return response

    async def login_form(self, request: web.Request) -> web.Response:
        if self.current_session(request) is not None:
            raise web.HTTPSeeOther("/")
        return self._login_response(request)

    @asynccontextmanager
    async def one_attempt_at_a_time(self, pair: tuple[str, str]) -> AsyncIterator[None]:
        """Attempts of one name from one address wait for each other; the lock is dropped
        when nobody holds or waits for it (guessing many names fills no memory)."""
        lock, users_of_it = self.login_locks.get(pair, (asyncio.Lock(), 0))
        self.login_locks[pair] = (lock, users_of_it + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users_of_it = self.login_locks[pair]
            if users_of_it == 1:
                del self.login_locks[pair]
            else:
                self.login_locks[pair] = (lock, users_of_it - 1)

    async def login(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(LOGIN_BODY_TIMEOUT_S):
                form = await request.post()
        except TimeoutError:
            raise web.HTTPRequestTimeout(text="the form came too slowly\n") from None
        username = str(form.get("username", "")).strip()[:64]
        password = str(form.get("password", ""))
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, str(form.get("csrf", ""))):
            self.log_refusal(request, username, "login form without its CSRF token")
            return self._login_response(request, "expired", 403, username)
        address = self.address(request)
        pair = (username.casefold(), address)
        # Checked once a hashing slot is ours: guesses under many names from one address,
        # sent at once, pass the address's limit by at most one per core.
        async with self.one_attempt_at_a_time(pair), self.hashing:
            wait = self.limiter.retry_after(username, address)
            if wait:
                self.log_refusal(request, username, f"too many failed logins: wait {wait} s")
                response = self._login_response(request, "locked", 429, username)
                response.headers["Retry-After"] = str(wait)
                return response
            hashed = users.stored_hash(self.store, username)
            # argon2id takes tens of milliseconds: off the event loop.
            matches = await asyncio.to_thread(users.password_matches, hashed, password)
            renewed = None
            if matches and hashed:  # made with older parameters: redone with today's
                renewed = await asyncio.to_thread(users.rehashed, hashed, password)
            if not matches:
                self.limiter.failed(username, address)
                log.info("failed login for %s from %s", username or "-", address)
                users.log_access(self.store, "login_failed", username, address)
                return self._login_response(request, "wrong", 401, username)
        if renewed and hashed:
            users.replace_hash(self.store, username, hashed, renewed)
        self.limiter.succeeded(username, address)
        token, _session = self.sessions.open(username, address)
        log.info("login: %s from %s", username, address)
        users.log_access(self.store, "login", username, address)
        response = redirect("/")
        response.set_cookie(
            SESSION_COOKIE, token, path="/", httponly=True, samesite="Strict", secure=self.secure
        )
        response.del_cookie(LOGIN_COOKIE, path="/login")
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session: Session = request[SESSION]
        self.sessions.close(request.cookies.get(SESSION_COOKIE))
        await self.stop_apps(lambda service: service.session_id == session.id)
        if self.import_folder is not None:
            shutil.rmtree(session_uploads(self.import_folder, session.id), ignore_errors=True)
        log.info("logout: %s from %s", session.user, self.address(request))
        users.log_access(self.store, "logout", session.user, self.address(request))
        response = redirect("/login")
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    # The session

    def refuse_if_full(self, request: web.Request, user: str) -> None:
        """503 when the server holds its maximum of live sessions, none of them this user's
        (his own would be taken over, not added)."""
        others = {service.user for service in self.services.values()} - {user}
        if len(others) >= self.max_sessions:
            self.log_refusal(request, user, f"server full ({self.max_sessions} sessions)")
            lang = pages.language(request.headers.get("Accept-Language", ""))
            raise web.HTTPServiceUnavailable(text=pages.TEXTS[lang]["full"] + "\n")

    async def session_page(self, request: web.Request) -> web.Response:
        session: Session = request[SESSION]
        self.refuse_if_full(request, session.user)
        lang = pages.language(request.headers.get("Accept-Language", ""))
        origin = self.own_origin(request)
        websocket_url = "ws" + origin.removeprefix("http") + "/ws"
        size = _bounded(request.query.get("fontsize"), 16, 8, 40)
        body = pages.session_page(lang, websocket_url, size, upload=self.may_upload(request))
        return web.Response(text=body, content_type="text/html")

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        session: Session = request[SESSION]
        origin = request.headers.get("Origin", "")
        if origin != self.own_origin(request):
            # Cross-site websocket hijacking: a page elsewhere riding on the browser's cookie.
            self.log_refusal(request, session.user, f"websocket from origin {origin[:80]!r}")
            raise web.HTTPForbidden(text="foreign origin\n")
        self.refuse_if_full(request, session.user)
        width = _bounded(request.query.get("width"), 80, 20, 500)
        height = _bounded(request.query.get("height"), 24, 10, 200)
        websocket = web.WebSocketResponse(
            heartbeat=HEARTBEAT_S, timeout=CLOSE_TIMEOUT_S, max_msg_size=64 * 1024
        )
        await websocket.prepare(request)
        lang = pages.language(request.headers.get("Accept-Language", ""))
        elsewhere = pages.TEXTS[lang]["elsewhere"]
        page = self.newest_page[session.user] = next(self.page_numbers)
        service = None
        try:
            async with self.opening[session.user]:
                if self.newest_page[session.user] == page:
                    await self.take_over(session.user, elsewhere)
                    service = UserAppService(
                        self.app_argv(session.user),
                        session.id,
                        session.user,
                        websocket,
                        self.downloads,
                    )
                    service.folders = self.session_folders(session)
                    service.zygote = self.zygote
                    service.idle_notice_text = pages.TEXTS[lang]["idle"]
                    service.last_key = self.store.clock()
                    self.services[service.app_service_id] = service
                    log.info("app started for %s", session.user)
                    await service.start(width, height)
            if service is None:  # a newer page of his opened while this one waited
                await websocket.close(code=TAKEN_OVER, message=elsewhere.encode())
                return websocket
            await _relay(websocket, service, self.store.clock)
        finally:
            if service is not None:
                await service.stop()
                self.services.pop(service.app_service_id, None)
                log.info("app ended for %s", session.user)
        return websocket

    async def take_over(self, user: str, notice: str) -> None:
        """The user's other pages are told `notice` and their apps end, keeping their lead
        claimed: the app about to start shows it (Queue.resume)."""
        for service in self.services.values():
            if service.user == user:
                service.opened_elsewhere(notice)
        await self.stop_apps(partial(_runs_as, user))

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A file the app delivered, for the session whose app delivered it, and no other."""
        session: Session = request[SESSION]
        key = request.match_info["key"]
        try:
            meta = await self.downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text="no such download\n") from None
        owner = meta.app_service
        if not isinstance(owner, UserAppService) or owner.session_id != session.id:
            self.log_refusal(request, session.user, "download of another session's file")
            raise web.HTTPNotFound(text="no such download\n")
        response = web.StreamResponse()
        content_type = meta.mime_type
        if meta.encoding:
            content_type += f"; charset={meta.encoding}"
        response.headers["Content-Type"] = content_type
        disposition = "inline" if meta.open_method == "browser" else "attachment"
        response.headers["Content-Disposition"] = (
            f"{disposition}; filename*=UTF-8''{quote(meta.file_name)}"
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        await response.prepare(request)
        async for chunk in self.downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # Lead files from the user's computer

    def session_folders(self, session: Session) -> SessionFolders:
        """Where this session's app takes lead files from: nothing else on the server's disk."""
        if self.import_folder is None:
            return SessionFolders(None, None)
        return SessionFolders(self.import_folder, session_uploads(self.import_folder, session.id))

    def may_upload(self, request: web.Request) -> bool:
        session: Session = request[SESSION]
        user = users.get_user(self.store, session.user)
        actor = Actor(session.user, user.role if user else "")
        return self.import_folder is not None and user is not None and may(actor, "import")

    def _upload_page(
        self, request: web.Request, message: str = "", status: int = 200, name: str = ""
    ) -> web.Response:
        session: Session = request[SESSION]
        lang = pages.language(request.headers.get("Accept-Language", ""))
        body = pages.upload_page(lang, session.csrf, MAX_UPLOAD_BYTES // 2**20, message, name)
        return web.Response(text=body, content_type="text/html", status=status)

    async def upload_form(self, request: web.Request) -> web.Response:
        return self._upload_page(request)

    async def upload(self, request: web.Request) -> web.Response:
        """A lead file from the user's computer, saved 0600 in this session's folder of the
        import folder: bound to the session and its CSRF token, for those who may import."""
        session: Session = request[SESSION]
        if self.import_folder is None:
            return self._upload_page(request, "off", 404)
        if not self.may_upload(request):
            self.log_refusal(request, session.user, "upload of a lead file by a non-importer")
            return self._upload_page(request, "refused", 403)
        if (request.content_length or 0) > MAX_UPLOAD_BYTES + UPLOAD_CHUNK:
            return self._upload_page(request, "too_big", 413)
        if not request.content_type.startswith("multipart/form-data"):
            return self._upload_page(request, "no_file", 400)
        try:
            reader = await request.multipart()
            token = await reader.next()
            # The token comes first: nothing is written for a request without it.
            sent = await _small_field(token, "csrf")
            if not hmac.compare_digest(sent, session.csrf.encode()):
                self.log_refusal(request, session.user, "upload without its CSRF token")
                return self._upload_page(request, "expired", 403)
            part = await reader.next()
        except ValueError:  # a malformed multipart body
            return self._upload_page(request, "no_file", 400)
        if not isinstance(part, BodyPartReader) or part.name != "file" or not part.filename:
            return self._upload_page(request, "no_file", 400)
        try:
            name = upload_name(part.filename)
        except UserError:
            return self._upload_page(request, "not_lead", 415)
        try:
            saved = await _save_upload(part, session_uploads(self.import_folder, session.id), name)
        except UserError as error:
            log.warning("upload of %s failed: %s", session.user, error)
            return self._upload_page(request, "failed", 500)
        if not saved:
            return self._upload_page(request, "too_big", 413)
        log.info("upload: %s saved %s", session.user, name)
        return self._upload_page(request, "uploaded", 200, name)

    # Stopping apps

    async def stop_apps(self, which: Callable[[UserAppService], bool]) -> None:
        chosen = [service for service in self.services.values() if which(service)]
        await asyncio.gather(*(service.stop() for service in chosen), return_exceptions=True)
        for service in chosen:
            self.services.pop(service.app_service_id, None)

    async def _stop_all(self, _app: web.Application) -> None:
        if self.services:
            log.info("stopping %d apps (their leads go back to the pool)", len(self.services))
        await self.stop_apps(lambda service: True)

    async def _warm_parent(self, _app: web.Application) -> Any:
        """The zygote sessions are forked from, with `--fork`; stopped with the server (the
        sessions it forked are stopped by _stop_all, as spawned ones are)."""
        if self.fork:
            self.zygote = Zygote(UserAppService.base_environment())
            self.zygote.start()
            log.info("sessions are forked from a warm parent (pid %s)", self.zygote.process.pid)
        yield
        if self.zygote is not None:
            await asyncio.to_thread(self.zygote.stop)

    async def end_idle(self) -> None:
        """Ends, as ctrl+q does (the lead back in the pool), the apps that had no key for
        --idle-minutes; their pages say why and offer to resume."""
        now = self.store.clock()
        idle = [
            service
            for service in self.services.values()
            if service.last_key is not None and now - service.last_key > self.idle
        ]
        for service in idle:
            service.idle_notice = service.idle_notice_text
            log.info("app of %s ended: no key for %s", service.user, self.idle)
        await self.stop_apps(lambda service: service in idle)

    async def _sweeper(self, _app: web.Application) -> Any:
        """Ends the open apps of users disabled or removed while connected, and idle ones."""

        async def sweep() -> None:
            while True:
                await asyncio.sleep(SWEEP_INTERVAL_S)
                await self.end_idle()
                running = {service.user for service in self.services.values()}
                gone = {
                    name
                    for name in running
                    if (user := users.get_user(self.store, name)) is None or not user.active
                }
                for name in gone:
                    self.sessions.close_user(name)
                    log.warning("ending the apps of %s: user disabled or removed", name)
                    await self.stop_apps(partial(_runs_as, name))

        task = asyncio.create_task(sweep())
        yield
        task.cancel()


async def _relay(
    websocket: web.WebSocketResponse, service: UserAppService, clock: Callable[[], datetime]
) -> None:
    """Browser to app: keys, size, focus. Anything malformed is dropped, never trusted."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            envelope = json.loads(message.data)
        except ValueError:
            continue
        if not isinstance(envelope, list) or not envelope:
            continue
        kind = envelope[0]
        data = envelope[1] if len(envelope) > 1 else None
        if kind == "stdin" and isinstance(data, str):
            service.last_key = clock()
            await service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            width = _bounded(data.get("width"), 80, 20, 500)
            height = _bounded(data.get("height"), 24, 10, 200)
            await service.set_terminal_size(width, height)
        elif kind == "ping":
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()


def default_max_sessions(meminfo: str = "/proc/meminfo") -> int:
    """As many sessions as the memory available now holds (SESSION_BYTES each)."""
    try:
        with open(meminfo, encoding="ascii") as lines:
            for line in lines:
                if line.startswith("MemAvailable:"):
                    return max(1, int(line.split()[1]) * 1024 // SESSION_BYTES)
    except (OSError, ValueError, IndexError):
        pass
    return FALLBACK_MAX_SESSIONS


def _runs_as(name: str, service: UserAppService) -> bool:
    return service.user == name


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _bounded(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, low), high)


async def _small_field(part: object, name: str, limit: int = 256) -> bytes:
    """The value of the form field `name` when `part` is it and it is short; else b""."""
    if not isinstance(part, BodyPartReader) or part.name != name:
        return b""
    value = b""
    while chunk := await part.read_chunk(limit):
        value += chunk
        if len(value) > limit:
            return b""
    return value


async def _save_upload(part: BodyPartReader, folder: Path, name: str) -> bool:
    """The part saved whole as `folder/name` (0600), or nothing when it exceeds
    MAX_UPLOAD_BYTES (False); written under a hidden temporary name, renamed once complete."""
    private_folder(folder)
    temp = folder / f".{name}.{secrets.token_hex(8)}.part"
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise UserError(f"{name}: cannot be saved ({error.strerror})") from None
    size = 0
    try:
        with open(descriptor, "wb") as written:
            while chunk := await part.read_chunk(UPLOAD_CHUNK):
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    return False
                written.write(chunk)
        os.replace(temp, folder / name)
        return True
    except OSError as error:
        raise UserError(f"{name}: cannot be saved ({error.strerror})") from None
    finally:
        temp.unlink(missing_ok=True)
