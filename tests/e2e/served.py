"""A real `prospect serve` for the browser and protocol tests: a demo database with users,
the server in its own process on a free port, its log kept in a file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from prospect_tui.core import users
from prospect_tui.core.demo import build_demo
from tests.helpers import A_SUPERVISOR

PASSWORDS = {"ann": "ann-secret-1", "bob": "bob-secret-2", "sue": "sue-secret-3"}
ROLES = {"ann": "caller", "bob": "caller", "sue": "supervisor"}


def served_database(folder: Path) -> Path:
    path = folder / "served.db"
    store = build_demo(path)
    for name, password in PASSWORDS.items():
        users.add_user(store, name, password, ROLES[name], actor=A_SUPERVISOR)
    store.close()
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunningServer:
    """`prospect serve` in a child process; `stop()` sends SIGTERM as systemd would."""

    def __init__(self, db: Path, log: Path, *options: str) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "prospect_tui", "--db", str(db), "serve"]
        command += ["--port", str(self.port), *options]
        self.process = subprocess.Popen(
            command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=dict(os.environ)
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"prospect serve did not start:\n{log.read_text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")
