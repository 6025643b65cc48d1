"""Speed of the calling session in a real terminal (tmux), against bare Textual apps.

Measures, for `prospect` on 100,000 leads and 1,000,000 calls and for two references in the
same run (scripts/bare_app.py: one label per key; with --card: also a card redrawn per key):
outcome key -> next lead drawn (median, p95) and launch -> first lead drawn.

How "drawn" is seen: a tmux control-mode client (`tmux -C attach`) sends the keys and receives
every byte the app writes to its terminal (`%output`), timestamped on arrival by a thread that
does nothing else, then replayed on a small text-only terminal model. A key's time runs from
just before `send-keys` is written to the last output that changed a character on screen, once
the counter shows the expected number ("Today N calls" / "Key count: N") and nothing more came
for --quiet seconds. Repaints that change nothing and the session's once-a-second timer line
("On this lead 0:03") don't count. Launch runs from starting the process to the first screen
with the counter, settled the same way. Nothing in the apps is instrumented; all run in the
same terminal size in one run.

    python scripts/bench_session.py                      # builds the database once, then reuses it
    python scripts/bench_session.py --db /tmp/bench.db --keys 200 --rounds 8
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import cell_len

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prospect_tui.core.campaigns import set_setting  # noqa: E402
from prospect_tui.core.roles import SUPERVISOR, Actor  # noqa: E402
from prospect_tui.core.store import Store  # noqa: E402
from tests.terminal import Terminal  # noqa: E402

# Outcome keys that record at once: no answer, busy, voicemail, refused, wrong number, not
# qualified (the others open a form).
OUTCOME_KEYS = ["1", "2", "3", "6", "8", "0"]
TOKEN_TEXT = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b.")
OCTAL = re.compile(rb"\\([0-7]{3})")
TOKEN = re.compile(r"\x1b\[([0-9;?]*)[ -/]*([@-~])|\x1b[()][0-9A-B]|\x1b.|\r|\n|[^\x1b\r\n]+")
TIMER_LINE = re.compile(r"\A[^\w]*(On this lead|PAUSED)\s+\d+:\d\d[^\w]*\Z")


class TextScreen:
    """The characters a terminal shows, enough of a VT100 for Textual's output: cursor
    moves, text, CR/LF, clears. Colours and styles are ignored: only text counts as drawn."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells = [[" "] * width for _ in range(height)]
        self.x = self.y = 0

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.cells)

    def feed(self, data: str) -> bool:
        """Apply terminal output; True when a visible character changed."""
        changed = False
        for token in TOKEN.finditer(data):
            final, chunk = token.group(2), token.group(0)
            if final == "H":
                row, _, col = (token.group(1) or "1;1").partition(";")
                self.y = min(self.height - 1, max(0, int(row or 1) - 1))
                self.x = min(self.width, max(0, int(col or 1) - 1))
            elif final == "J" and token.group(1) in ("2", "3"):
                changed |= any(c != " " for row in self.cells for c in row)
                self.cells = [[" "] * self.width for _ in range(self.height)]
            elif chunk == "\r":
                self.x = 0
            elif chunk == "\n":
                self.y = min(self.height - 1, self.y + 1)
            elif not chunk.startswith("\x1b"):
                for char in chunk:
                    wide = cell_len(char) == 2
                    if self.x + wide < self.width and self.cells[self.y][self.x] != char:
                        self.cells[self.y][self.x] = char
                        changed = True
                    self.x += 1 + wide
        return changed


@dataclass
class App:
    """One app under test: its command line and the counter that proves a key was drawn."""

    name: str
    command: str
    counter: re.Pattern[str]
    launches: list[float] = field(default_factory=list)
    keys: list[float] = field(default_factory=list)


class Session:
    """One app in a tmux pane, driven and watched through a control-mode client."""

    def __init__(self, app: App, name: str, width: int, height: int, quiet: float) -> None:
        self.app = app
        self.quiet = quiet
        self.fifo = Path(tempfile.mkdtemp(prefix="bench-")) / "go"
        os.mkfifo(self.fifo)
        # The app starts when the benchmark writes to the FIFO, so launch time is measured
        # from a moment the benchmark chooses, with the watcher already attached.
        self.pane = Terminal(
            name, f"exec sh -c 'read go < {self.fifo} && exec {app.command}'", width, height
        )
        self.client = subprocess.Popen(
            [*self.pane.tmux, "-C", "attach", "-t", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.view = TextScreen(width, height)
        self.shown = ""  # the screen's text after the last change
        self.last_output = self.last_change = 0.0
        self.attached = threading.Event()
        # (arrival time, raw %output line): the reader only timestamps, the waiting thread
        # parses. Parsing in the reader would delay the timestamps of later chunks by the
        # benchmark's own work, which grows with the size of a frame.
        self.arrived: collections.deque[tuple[float, bytes]] = collections.deque()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.attached.wait(10):
            raise SystemExit(f"{app.name}: tmux control client did not attach")

    def _read(self) -> None:
        assert self.client.stdout is not None
        for line in self.client.stdout:
            if line.startswith(b"%output "):
                self.arrived.append((time.perf_counter(), line))
            elif line.startswith(b"%end"):
                self.attached.set()

    def _catch_up(self) -> None:
        """Replay the output that arrived since the last call on the text screen."""
        while self.arrived:
            when, line = self.arrived.popleft()
            raw = OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), line.split(b" ", 2)[2])
            data = raw.rstrip(b"\n").decode("utf-8", errors="replace")
            self.last_output = when
            if self.view.feed(data):
                self.shown = self.view.text()
                # The session's once-a-second timer is not part of any answer.
                if not TIMER_LINE.match(TOKEN_TEXT.sub(" ", data)):
                    self.last_change = when

    def _command(self, command: str) -> float:
        assert self.client.stdin is not None
        sent = time.perf_counter()
        self.client.stdin.write(command.encode() + b"\n")
        self.client.stdin.flush()
        return sent

    def answer(self, since: float, number: int | None, timeout: float = 30) -> tuple[float, int]:
        """(when the answer was drawn, counter shown): the screen shows counter `number` (any
        when None), nothing was written for `quiet` s; the time is that of the last change."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self._catch_up()
            shown, last_output, last_change = self.shown, self.last_output, self.last_change
            found = self.app.counter.search(shown)
            if (
                found
                and (number is None or int(found.group(1)) == number)
                and last_change >= since
                and time.perf_counter() - last_output >= self.quiet
            ):
                return last_change, int(found.group(1))
            time.sleep(0.002)
        raise SystemExit(f"{self.app.name}: counter {number} never drawn; screen:\n{shown}")

    def launch(self) -> int:
        """Start the app; records launch -> first complete frame; returns the counter shown."""
        started = time.perf_counter()
        with open(self.fifo, "w") as go:
            go.write("go\n")
        drawn, counter = self.answer(started, None, timeout=120)
        self.app.launches.append(drawn - started)
        return counter

    def press(self, key: str, expected: int) -> None:
        sent = self._command(f"send-keys -t {self.pane.name} {key}")
        drawn, _ = self.answer(sent, expected)
        self.app.keys.append(drawn - sent)

    def quit(self) -> None:
        self._command(f"send-keys -t {self.pane.name} C-q")
        if not self.pane.wait_closed(10):
            self.pane.close()
        self.client.wait(10)
        self.fifo.unlink()
        self.fifo.parent.rmdir()


def ensure_database(path: Path, leads: int, calls: int, campaign: str) -> None:
    """Seed `path` with scripts/seed_history.py unless it already holds the campaign."""
    if path.exists():
        store = Store(path)
        known = campaign in store.campaign_names()
        store.close()
        if known:
            print(f"reusing {path}")
        else:
            raise SystemExit(f"{path} exists without campaign {campaign!r}: pick another --db")
    else:
        print(f"seeding {path}: {leads:,} leads, {calls:,} calls ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "seed_history.py"),
                "--db",
                str(path),
                "--leads",
                str(leads),
                "--calls",
                str(calls),
                "--campaign",
                campaign,
            ],
            check=True,
        )
    store = Store(path)
    # The benchmark must be runnable at any hour.
    set_setting(store, campaign, "calling_hours", "off", actor=Actor("bench", SUPERVISOR))
    store.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> tuple[App, App, App]:
    python = sys.executable
    bare = App(
        "bare Textual app",
        f"{python} {ROOT / 'scripts' / 'bare_app.py'}",
        re.compile(r"Key count: (\d+)"),
    )
    # What redrawing a card per key costs in Textual with nothing else: the floor under any
    # session screen, shown beside the other two.
    card = App(
        f"bare app + {args.card_lines}-line card",
        f"{python} {ROOT / 'scripts' / 'bare_app.py'} --card {args.card_lines}",
        re.compile(r"Key count: (\d+)"),
    )
    prospect = App(
        "prospect session",
        f"env PROSPECT_CONFIG={os.devnull} {python} -m prospect_tui --db {args.db}"
        f" --caller {args.caller} --campaign {args.campaign}",
        re.compile(r"Today (\d+) calls"),
    )
    rng = random.Random(args.seed)
    per_round = max(1, args.keys // args.rounds)
    # Round 0 warms the OS file cache and bytecode for every app; it is not counted.
    for round_number in range(args.rounds + 1):
        for number, app in enumerate((bare, card, prospect)):
            name = f"bench-{os.getpid()}-{round_number}-{number}"
            session = Session(app, name, args.width, args.height, args.quiet)
            try:
                counter = session.launch()
                for _ in range(per_round if round_number else 3):
                    time.sleep(rng.uniform(args.pause / 2, args.pause * 1.5))
                    counter += 1
                    session.press(rng.choice(OUTCOME_KEYS), counter)
            finally:
                session.quit()
            if round_number == 0:
                app.launches.clear()
                app.keys.clear()
        print(f"round {round_number}/{args.rounds} done", file=sys.stderr, flush=True)
    return bare, card, prospect


def report(bare: App, card: App, prospect: App) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:.1f} ms"

    rows = [("", bare.name, prospect.name, "ratio", "target", card.name)]
    figures = [
        ("key -> drawn, median", statistics.median, "<= 1.5x bare"),
        ("key -> drawn, p95", lambda v: percentile(v, 0.95), "< 50 ms"),
    ]
    for label, measure, target in figures:
        b, p, c = measure(bare.keys), measure(prospect.keys), measure(card.keys)
        rows.append((label, ms(b), ms(p), f"{p / b:.2f}x", target, f"{ms(c)}, {c / b:.2f}x"))
    b, p, c = (statistics.median(app.launches) for app in (bare, prospect, card))
    rows.append(
        (
            "launch -> first lead, median",
            ms(b),
            ms(p),
            f"{p / b:.2f}x",
            "<= 2x bare",
            f"{ms(c)}, {c / b:.2f}x",
        )
    )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    counts = (
        f"{len(prospect.keys)} keys and {len(prospect.launches)} launches per app;"
        f" prospect p95 {ms(percentile(prospect.keys, 0.95))},"
        f" max {ms(max(prospect.keys))}; bare max {ms(max(bare.keys))}"
    )
    return "\n".join([*lines, "", counts])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_db = Path(tempfile.gettempdir()) / "prospect-bench-session.db"
    parser.add_argument("--db", type=Path, default=default_db, help=f"(default {default_db})")
    parser.add_argument("--leads", type=int, default=100_000, help="when seeding (100,000)")
    parser.add_argument("--calls", type=int, default=1_000_000, help="when seeding (1,000,000)")
    parser.add_argument("--campaign", default="bench")
    parser.add_argument("--caller", default="bench")
    parser.add_argument("--keys", type=int, default=200, help="outcome keys per app (200)")
    parser.add_argument("--rounds", type=int, default=8, help="launches per app (8)")
    parser.add_argument("--pause", type=float, default=0.05, help="mean seconds between keys")
    parser.add_argument("--quiet", type=float, default=0.1, help="silence that ends an answer")
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--height", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--card-lines", type=int, default=16, help="lines of the bare card app's card (16)"
    )
    args = parser.parse_args(argv)
    # The reader thread must get the GIL within a fraction of a millisecond of output arriving.
    sys.setswitchinterval(0.0002)
    ensure_database(args.db, args.leads, args.calls, args.campaign)
    print(report(*run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
