"""Capacity of `prospect serve`: N callers logged in at once, each pressing an outcome key
every few seconds, as websocket clients speaking textual-serve's protocol (what textual.js does).

Reports, for each way of starting sessions (spawned, as textual-serve does, and forked from
a warm parent, `serve --fork`) and each N: server RSS, memory per session (the app
processes' PSS, shared pages split fairly, and RSS; the warm parent's own PSS apart),
log-in -> first lead drawn (the last one, median and p95 over the callers), and key -> frame
latency (median, p95): from sending "1" to the frame whose counter shows the new call
("Today k calls"), so the once-a-second timer's frames don't count. Keys are spread at
random over each interval.

    python scripts/bench_serve.py                            # N = 1, 10, 30
    python scripts/bench_serve.py --sessions 1,5 --duration 20 --interval 2
    python scripts/bench_serve.py --rush 60                  # 60 log in at the same instant
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prospect_tui.core import users  # noqa: E402
from prospect_tui.core.roles import SUPERVISOR, Actor  # noqa: E402
from prospect_tui.core.store import Store  # noqa: E402

PASSWORD = "bench-password"
ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[A-Za-z~]|\x1b[()][A-Z0-9]|\x1b[=>]")


def prospect(db: Path, *args: str) -> None:
    command = [sys.executable, "-m", "prospect_tui", "--db", str(db), *args]
    subprocess.run(command, check=True, capture_output=True)


def build_database(folder: Path, leads: int, callers: int) -> Path:
    db = folder / "bench.db"
    listing = folder / "leads.csv"
    make = [sys.executable, str(ROOT / "scripts" / "make_leads.py"), "-n", str(leads)]
    subprocess.run([*make, "-o", str(listing)], check=True)
    prospect(db, "import", str(listing), "--campaign", "bench")
    prospect(db, "campaign", "set", "bench", "calling_hours", "off")
    store = Store(db)
    for number in range(1, callers + 1):
        users.add_user(store, f"bench{number:02d}", PASSWORD, actor=Actor("bench", SUPERVISOR))
    store.close()
    return db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_kb(pid: int, field: str) -> int:
    """VmRSS from status, or Pss from smaps_rollup, in kB (0 when the process is gone)."""
    name = "smaps_rollup" if field == "Pss" else "status"
    try:
        text = Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def is_zygote(pid: int) -> bool:
    try:
        return b"prospect_tui.serve.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def app_processes(server_pid: int) -> tuple[list[int], int | None]:
    """The session apps (spawned by the server, or forked by its zygote), and the zygote."""
    apps, zygote = [], None
    for pid in children(server_pid):
        if is_zygote(pid):
            zygote = pid
            apps += children(pid)
        else:
            apps.append(pid)
    return apps, zygote


class Caller:
    """One browser tab: logged in, its websocket, what it has seen since the last key."""

    def __init__(self, name: str, base: str) -> None:
        self.name = name
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.screen = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.latencies: list[float] = []
        self.calls = 0
        self.websocket: aiohttp.ClientWebSocketResponse | None = None
        self.arrived = asyncio.Event()
        self.closed = False
        self.reader: asyncio.Task[None] | None = None

    async def arrive(self, started: float) -> float:
        """Logs in, opens the page, waits for the first lead: seconds since `started`."""
        await self.log_in()
        await self.open()
        counter = await self.wait_for(r"Today (\d+) calls")
        self.calls = int(counter.group(1))  # calls from an earlier N
        return time.perf_counter() - started

    async def log_in(self) -> None:
        async with self.http.get(self.base + "/login") as form:
            token = re.search(r'name="csrf" value="([^"]+)"', await form.text())
        data = {"username": self.name, "password": PASSWORD, "csrf": token.group(1)}
        async with self.http.post(self.base + "/login", data=data, allow_redirects=False) as r:
            assert r.status == 303, f"{self.name}: login answered {r.status}"

    async def open(self) -> None:
        url = self.base + "/ws?width=110&height=34"
        self.websocket = await self.http.ws_connect(url, origin=self.base, max_msg_size=0)
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        """Reads every frame as it comes (a browser does; the server's pings get answered),
        keeping the screen text, escapes stripped, since the last key."""
        assert self.websocket is not None
        async for message in self.websocket:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.screen += ESCAPES.sub("", self.decoder.decode(message.data))
                self.arrived.set()
        self.closed = True
        self.arrived.set()

    async def wait_for(self, pattern: str, timeout: float = 300.0) -> re.Match[str]:
        """Until `pattern` (a regex) is on screen; returns its match."""
        async with asyncio.timeout(timeout):
            while not (found := re.search(pattern, self.screen)):
                if self.closed:
                    raise RuntimeError(f"{self.name}: the server closed the session")
                self.arrived.clear()
                await self.arrived.wait()
        return found

    async def press(self) -> None:
        assert self.websocket is not None
        self.screen = ""
        self.calls += 1
        started = time.perf_counter()
        await self.websocket.send_str(json.dumps(["stdin", "1"]))
        await self.wait_for(f"Today {self.calls} calls")
        self.latencies.append(time.perf_counter() - started)

    async def close(self) -> None:
        if self.websocket is not None:
            await self.websocket.close()
        await self.http.close()
        if self.reader is not None:
            await self.reader


async def run(base: str, server_pid: int, sessions: int, interval: float, duration: float):
    callers = [Caller(f"bench{n:02d}", base) for n in range(1, sessions + 1)]
    try:
        # All at the same instant: the 9 o'clock rush.
        started = time.perf_counter()
        ready = sorted(await asyncio.gather(*(caller.arrive(started) for caller in callers)))
        samples: list[tuple[int, int]] = []

        async def calling(caller: Caller) -> None:
            end = time.perf_counter() + duration
            await asyncio.sleep(random.uniform(0, interval))
            while time.perf_counter() < end:
                await caller.press()
                await asyncio.sleep(interval * random.uniform(0.5, 1.5))

        async def measuring() -> None:
            await asyncio.sleep(duration / 2)
            apps, zygote = app_processes(server_pid)
            samples.append(
                (
                    memory_kb(server_pid, "VmRSS"),
                    sum(memory_kb(pid, "Pss") for pid in apps),
                )
            )
            samples.append((len(apps), sum(memory_kb(pid, "VmRSS") for pid in apps)))
            samples.append((0, memory_kb(zygote, "Pss") if zygote else 0))

        await asyncio.gather(measuring(), *(calling(caller) for caller in callers))
        latencies = sorted(ms for caller in callers for ms in caller.latencies)
        (server_rss, apps_pss), (app_count, apps_rss), (_, zygote_pss) = samples
        return {
            "sessions": sessions,
            "apps": app_count,
            "keys": len(latencies),
            "ready_s": ready[-1],
            "ready_median_s": statistics.median(ready),
            "ready_p95_s": ready[int(0.95 * (len(ready) - 1))],
            "zygote_pss_mb": zygote_pss / 1024,
            "server_rss_mb": server_rss / 1024,
            "pss_per_session_mb": apps_pss / 1024 / max(app_count, 1),
            "rss_per_session_mb": apps_rss / 1024 / max(app_count, 1),
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        }
    finally:
        await asyncio.gather(*(caller.close() for caller in callers))


def start_server(folder: Path, db: Path, fork: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(folder / "serve.log", "ab")  # noqa: SIM115
    command = [sys.executable, "-m", "prospect_tui", "--db", str(db), "serve"]
    command += ["--port", str(port), "--max-sessions", "500", "--fork" if fork else "--no-fork"]
    server = subprocess.Popen(command, stdout=log, stderr=log)
    log.close()
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    if fork:
        time.sleep(3)  # the warm parent has imported what sessions need
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,10,30", help="values of N (1,10,30)")
    parser.add_argument("--rush", type=int, metavar="N", help="only N, all logging in at once")
    parser.add_argument("--modes", default="spawn,fork", help="spawn, fork or both (both)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between keys (3)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per N (30)")
    parser.add_argument("--leads", type=int, default=5000, help="leads in the list (5000)")
    options = parser.parse_args()
    counts = [options.rush] if options.rush else [int(n) for n in options.sessions.split(",")]
    modes = options.modes.split(",")

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        db = build_database(Path(folder), options.leads, max(counts))
        print(f"{os.cpu_count()} cores; keys every {options.interval} s for {options.duration} s")
        print(
            "mode   N    apps  keys  lead: last  median  p95   server RSS  PSS/session"
            "  RSS/session  parent PSS  key median  p95"
        )
        for mode in modes:
            server, base = start_server(Path(folder), db, fork=mode == "fork")
            try:
                for sessions in counts:
                    found = asyncio.run(
                        run(base, server.pid, sessions, options.interval, options.duration)
                    )
                    print(
                        f"{mode:<6} {found['sessions']:<4} {found['apps']:>4}  {found['keys']:>4}"
                        f"  {found['ready_s']:>8.1f} s {found['ready_median_s']:>5.1f} s"
                        f" {found['ready_p95_s']:>4.1f} s"
                        f"  {found['server_rss_mb']:>7.0f} MB"
                        f"  {found['pss_per_session_mb']:>8.1f} MB"
                        f"  {found['rss_per_session_mb']:>8.0f} MB"
                        f"  {found['zygote_pss_mb']:>7.0f} MB"
                        f"  {found['median_ms']:>7.0f} ms  {found['p95_ms']:>4.0f} ms",
                        flush=True,
                    )
                    time.sleep(3)  # the closed sessions' apps quit before the next N
            except BaseException:
                print((Path(folder) / "serve.log").read_text()[-3000:], file=sys.stderr)
                raise
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=120)
            time.sleep(3)


if __name__ == "__main__":
    main()
