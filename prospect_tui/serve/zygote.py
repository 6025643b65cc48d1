"""Browser sessions forked from a warm parent: the zygote process, and the server's handle on it.

The zygote imports what a session needs once, opens nothing per user, and forks a session
per request; pages it never writes stay shared between all sessions (docs/serving.md).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

# What a session imports on its way to the first lead and its first keys (measured with
# sys.modules after a session): imported once here, shared by every fork. Every screen and
# widget module of the app is added to these.
WARM_MODULES = (
    "prospect_tui.cli",
    "prospect_tui.app",
    "prospect_tui.data",
    "prospect_tui.core.store",
    "prospect_tui.core.users",
    "prospect_tui.core.config",
    "prospect_tui.core.stats",
    "prospect_tui.core.consent",
    "prospect_tui.core.hours",
    "prospect_tui.core.questionnaires.engine",
    "prospect_tui.core.questionnaires.parse",
    "prospect_tui.core.questionnaires.storage",
    "textual.drivers.web_driver",
    "textual.drivers._writer_thread",
    "textual.layouts.factory",
    "textual.layouts.horizontal",
    "textual.layouts.stream",
    "rich._unicode_data",
    "phonenumbers",
    "email_validator",
    "idna",
    "tomllib",
    "zipfile",
    "_strptime",
)
# The command a session runs; anything else is spawned as before.
APP_MODULE = ["-m", "prospect_tui"]
REPLY_TIMEOUT_S = 10.0
MAX_REQUEST = 256 * 1024


def warm_up() -> None:
    """Imports the session's modules, and reads what they load on first use."""
    import pkgutil

    for name in WARM_MODULES:
        with suppress(ImportError):
            importlib.import_module(name)
    for package in ("prospect_tui.screens", "prospect_tui.widgets"):
        for found in pkgutil.iter_modules(importlib.import_module(package).__path__):
            with suppress(ImportError):
                importlib.import_module(f"{package}.{found.name}")
    with suppress(Exception):  # the width table rich loads on first use
        from rich.cells import cell_len

        cell_len("é")
    with suppress(Exception):  # its French metadata, read on first use
        import phonenumbers

        phonenumbers.format_number(
            phonenumbers.parse("+33 1 23 45 67 89", "FR"), phonenumbers.PhoneNumberFormat.NATIONAL
        )


def serve_forks(channel: socket.socket) -> None:
    """The zygote's loop: one request, one fork, until the server closes the channel."""
    # Children are reaped by the kernel; the server waits for them through their pidfd.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # The server's ctrl+c is the server's: it stops us by closing the channel.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(channel, MAX_REQUEST, 3)
        except OSError:
            return
        if not message:
            return
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        request = json.loads(message)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            run_session(channel, fds, request["args"], request["env"])
        pidfd = os.pidfd_open(pid)
        for fd in fds:
            os.close(fd)
        try:
            socket.send_fds(channel, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)


def run_session(
    channel: socket.socket, fds: list[int], args: list[str], env: dict[str, str]
) -> None:
    """In the forked child: become the session `args` describe, with its own pipes,
    environment, randomness and database; never returns."""
    code: Any = 1
    try:
        channel.close()  # the zygote's channel is not the session's
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()  # its own process group, as the spawned apps have
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # whatever else it inherited
        # New standard streams over the pipes: the zygote's were opened on /dev/null, a
        # seekable file, and would fail on a pipe (and must not hold its buffers).
        sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(  # noqa: SIM115
            2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1
        )
        os.environ.clear()
        os.environ.update(env)
        import random

        random.seed()  # (also done by Python at fork; said here, where it matters)
        # The zygote's objects stay frozen: a collection here never walks (and copies) them.
        sys.argv = [sys.executable, *APP_MODULE, *args]
        # By name, as warm_up imported it: the command line imports this module's server.
        code = importlib.import_module("prospect_tui.cli").main(args)
    except SystemExit as stop:
        code = stop.code
    except BaseException:  # noqa: BLE001 - the session's crash, told on its stderr
        import traceback

        traceback.print_exc()
    finally:
        with suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)


def zygote_main(argv: list[str]) -> int:
    channel = socket.socket(fileno=int(argv[0]))
    warm_up()
    # Everything imported so far lives as long as the zygote: out of the collector's sight,
    # so collections in the sessions don't write to (and copy) these shared pages.
    gc.collect()
    gc.freeze()
    serve_forks(channel)
    return 0


class ForkedProcess:
    """A session forked by the zygote, with what the server uses of asyncio's Process."""

    def __init__(
        self,
        pid: int,
        pidfd: int,
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
    ) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._exited = asyncio.Event()
        asyncio.get_running_loop().add_reader(pidfd, self._on_exit)

    def _on_exit(self) -> None:
        # The zygote reaps its children: the exit status is not ours to read.
        asyncio.get_running_loop().remove_reader(self.pidfd)
        os.close(self.pidfd)
        self.returncode = 0
        self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        return 0

    def kill(self) -> None:
        if self.returncode is None:
            with suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)


class Zygote:
    """The server's handle on its zygote: started once, asked for one fork per session.

    `fork` returns None when the zygote is gone or can't answer: the caller then spawns.
    """

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = dict(environment)
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: socket.socket | None = None
        self.lock = asyncio.Lock()

    @staticmethod
    def supported() -> bool:
        return hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        ours.settimeout(REPLY_TIMEOUT_S)
        with theirs:
            # Started with the sessions' environment: Textual reads its settings (driver,
            # colours) when imported, that is here, once for all the forks.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prospect_tui.serve.zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=self.environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.channel = ours

    @property
    def alive(self) -> bool:
        return self.channel is not None and self.process is not None and self.process.poll() is None

    async def fork(self, args: list[str], env: Mapping[str, str]) -> ForkedProcess | None:
        if not self.alive:
            return None
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        theirs = [stdin_read, stdout_write, stderr_write]
        request = json.dumps({"args": args, "env": dict(env)}).encode()
        try:
            async with self.lock:
                reply = await asyncio.to_thread(self._exchange, request, theirs)
        finally:
            for fd in theirs:
                os.close(fd)
        if reply is None:
            for fd in (stdin_write, stdout_read, stderr_read):
                os.close(fd)
            return None
        pid, pidfd = reply
        loop = asyncio.get_running_loop()
        stdout = await _reader(loop, stdout_read)
        stderr = await _reader(loop, stderr_read)
        stdin = await _writer(loop, stdin_write)
        return ForkedProcess(pid, pidfd, stdin, stdout, stderr)

    def _exchange(self, request: bytes, fds: list[int]) -> tuple[int, int] | None:
        channel = self.channel
        if channel is None:
            return None
        try:
            socket.send_fds(channel, [request], fds)
            message, pidfds, _flags, _address = socket.recv_fds(channel, 4096, 1)
        except OSError:
            self._lost()
            return None
        if not message or len(pidfds) != 1:
            for fd in pidfds:
                os.close(fd)
            self._lost()
            return None
        return int(json.loads(message)["pid"]), pidfds[0]

    def _lost(self) -> None:
        """The zygote doesn't answer: ended (the sessions it forked live on)."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None and self.process.poll() is None:
            self.process.kill()

    def stop(self) -> None:
        self._lost()
        if self.process is not None:
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=REPLY_TIMEOUT_S)


async def _reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=2**16)
    pipe = os.fdopen(fd, "rb", buffering=0)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader


async def _writer(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamWriter:
    pipe = os.fdopen(fd, "wb", buffering=0)
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), pipe
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)


if __name__ == "__main__":
    raise SystemExit(zygote_main(sys.argv[1:]))
