"""Phone cells parsed on every core: helper processes that live for one import.

Run as `python -m prospect_tui.core.importing.phone_pool`, a helper answers each pickled
(cells, region) batch on stdin with the parsed batch on stdout until stdin closes.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from prospect_tui.core.phones import parse_phones

Parsed = tuple[str, ...] | None
# Below this many rows, starting a helper process costs more than it saves.
HELPER_MIN_ROWS = 50_000
MAX_HELPERS = 3
# This process's share of the parsing against one helper's: it also prepares the rows.
OWN_WEIGHT = 0.5


class _Helper:
    """One helper process; `None` answers mean it is gone and its share is parsed here."""

    def __init__(self) -> None:
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[3])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        try:
            # A plain subprocess rather than multiprocessing: spawn re-runs the caller's main
            # script, and fork from the TUI's worker thread can deadlock the child.
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-m", "prospect_tui.core.importing.phone_pool"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            self.process = None

    def send(self, cells: list[Any], region: str) -> bool:
        if self.process is None or self.process.stdin is None:
            return False
        try:
            pickle.dump((cells, region), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            return True
        except (OSError, ValueError):
            self.stop()
            return False

    def answer(self, expected: int) -> list[Parsed] | None:
        if self.process is None or self.process.stdout is None:
            return None
        try:
            parsed = pickle.load(self.process.stdout)
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            parsed = None
        if not isinstance(parsed, list) or len(parsed) != expected:
            self.stop()
            return None
        return parsed

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PhonePool:
    """Parses phone cells chunk by chunk, sharing each chunk with helper processes.

    `submit(cells)` sends the helpers their share and returns at once; `result()` parses this
    process's share, runs `meanwhile`, and gathers the helpers' answers. `helped` counts the
    cells the helpers answered (the rest fell back to this process).
    """

    def __init__(self, region: str, expected_rows: int) -> None:
        self.region = region
        count = (
            min((os.cpu_count() or 1) - 1, MAX_HELPERS) if expected_rows >= HELPER_MIN_ROWS else 0
        )
        self.helpers = [_Helper() for _ in range(count)]
        self.helped = 0
        self._cells: list[Any] = []
        self._distinct: list[Any] = []
        self._shares: list[tuple[_Helper, list[Any], bool]] = []

    def submit(self, cells: list[Any]) -> None:
        """Start parsing a chunk: every distinct cell once (vendor files repeat numbers)."""
        self._cells = cells
        distinct = list(dict.fromkeys(cells))
        self._distinct = distinct
        helpers = len(self.helpers)
        own = (
            round(len(distinct) * OWN_WEIGHT / (helpers + OWN_WEIGHT)) if helpers else len(distinct)
        )
        rest = distinct[own:]
        size = -(-len(rest) // helpers) if helpers else 1
        self._own = distinct[:own]
        self._shares = [
            (helper, share, helper.send(share, self.region))
            for helper, share in zip(
                self.helpers, (rest[i : i + size] for i in range(0, len(rest), size)), strict=False
            )
        ]

    def result(self) -> list[Parsed]:
        """The parsed chunk, cell for cell: E.164, national, type, time zone, region or None."""
        parsed = parse_phones(self._own, self.region)
        for helper, share, sent in self._shares:
            answer = helper.answer(len(share)) if sent else None
            if answer is None:
                # The helper could not run here (no interpreter, killed...): same work, here.
                answer = parse_phones(share, self.region)
            else:
                self.helped += len(share)
            parsed.extend(answer)
        found = dict(zip(self._distinct, parsed, strict=True))
        return [found[cell] for cell in self._cells]

    def close(self) -> None:
        for helper in self.helpers:
            helper.stop()

    def __enter__(self) -> PhonePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Answer batches until stdin closes: what a helper process runs."""
    while True:
        try:
            cells, region = pickle.load(stdin)
        except EOFError:
            return
        pickle.dump(parse_phones(cells, region), stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
