"""A real terminal for end-to-end tests and benchmarks: one tmux session, typed into and read.

Shared by tests/e2e (a person's session, crash safety) and scripts/bench_session.py.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


class Terminal:
    """One tmux session of a given size, typed into and read like a person would."""

    def __init__(self, name: str, command: str, width: int = 100, height: int = 30) -> None:
        self.name = name
        # Its own tmux server (socket named after the session): the server and the app inherit
        # this process's environment, PROSPECT_NOW included, and no other test's server.
        self.tmux = ["tmux", "-L", name]
        start = [*self.tmux, "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height)]
        # When the last session has just ended, the tmux server is shutting down and a new
        # session started at that moment fails ("server exited unexpectedly"): try again.
        for attempt in range(5):
            started = subprocess.run([*start, command], capture_output=True, text=True)
            if started.returncode == 0:
                return
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"tmux new-session failed: {started.stderr.strip()}")

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        ).stdout

    def wait_for(self, text: str, timeout: float = 20) -> str:
        return self.wait_until(lambda shown: text in shown, f"{text!r}", timeout)

    def wait_until(
        self, test: Callable[[str], bool], what: str, timeout: float = 20, poll: float = 0.1
    ) -> str:
        """The first screen for which `test` is true; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if test(shown):
                return shown
            time.sleep(poll)
        raise AssertionError(f"{what} never appeared; screen was:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)

    def pid(self) -> int:
        """The process running in the pane (start the command with `exec` so it is the app)."""
        shown = subprocess.run(
            [*self.tmux, "list-panes", "-t", self.name, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(shown.split()[0])

    def alive(self) -> bool:
        shown = subprocess.run([*self.tmux, "has-session", "-t", self.name], capture_output=True)
        return shown.returncode == 0

    def wait_closed(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self.alive()

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)
