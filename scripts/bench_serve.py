"""Capacity of `prospect serve`: N callers logged in at once, each pressing an outcome key
every few seconds, as websocket clients speaking textual-serve's protocol (what textual.js does).

Reports, for each N: server RSS, memory per session (the app processes' PSS, shared pages
split fairly, and RSS), log-in -> first lead drawn, and key -> frame latency (median, p95):
from sending "1" to the frame whose counter shows the new call ("Today k calls"), so the
once-a-second timer's frames don't count. Keys are spread at random over each interval.

    python scripts/bench_serve.py                            # N = 1, 10, 30
    python scripts/bench_serve.py --sessions 1,5 --duration 20 --interval 2
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
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
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


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
        started = time.perf_counter()
        for caller in callers:
            await caller.log_in()
        await asyncio.gather(*(caller.open() for caller in callers))
        counters = await asyncio.gather(
            *(caller.wait_for(r"Today (\d+) calls") for caller in callers)
        )
        for caller, counter in zip(callers, counters, strict=True):
            caller.calls = int(counter.group(1))  # calls from an earlier N
        ready_s = time.perf_counter() - started
        samples: list[tuple[int, int]] = []

        async def calling(caller: Caller) -> None:
            end = time.perf_counter() + duration
            await asyncio.sleep(random.uniform(0, interval))
            while time.perf_counter() < end:
                await caller.press()
                await asyncio.sleep(interval * random.uniform(0.5, 1.5))

        async def measuring() -> None:
            await asyncio.sleep(duration / 2)
            apps = children(server_pid)
            samples.append(
                (
                    memory_kb(server_pid, "VmRSS"),
                    sum(memory_kb(pid, "Pss") for pid in apps),
                )
            )
            samples.append((len(apps), sum(memory_kb(pid, "VmRSS") for pid in apps)))

        await asyncio.gather(measuring(), *(calling(caller) for caller in callers))
        latencies = sorted(ms for caller in callers for ms in caller.latencies)
        (server_rss, apps_pss), (app_count, apps_rss) = samples
        return {
            "sessions": sessions,
            "apps": app_count,
            "keys": len(latencies),
            "ready_s": ready_s,
            "server_rss_mb": server_rss / 1024,
            "pss_per_session_mb": apps_pss / 1024 / max(app_count, 1),
            "rss_per_session_mb": apps_rss / 1024 / max(app_count, 1),
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        }
    finally:
        await asyncio.gather(*(caller.close() for caller in callers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,10,30", help="values of N (1,10,30)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between keys (3)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per N (30)")
    parser.add_argument("--leads", type=int, default=5000, help="leads in the list (5000)")
    options = parser.parse_args()
    counts = [int(n) for n in options.sessions.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        db = build_database(Path(folder), options.leads, max(counts))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(Path(folder) / "serve.log", "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "prospect_tui", "--db", str(db), "serve"]
        server = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            print(
                f"{os.cpu_count()} cores; keys every {options.interval} s for {options.duration} s"
            )
            print("N    apps  keys  ready s  server RSS  PSS/session  RSS/session  median  p95")
            for sessions in counts:
                found = asyncio.run(
                    run(base, server.pid, sessions, options.interval, options.duration)
                )
                print(
                    f"{found['sessions']:<4} {found['apps']:>4}  {found['keys']:>4}"
                    f"  {found['ready_s']:>7.1f}  {found['server_rss_mb']:>7.0f} MB"
                    f"  {found['pss_per_session_mb']:>8.0f} MB"
                    f"  {found['rss_per_session_mb']:>8.0f} MB"
                    f"  {found['median_ms']:>4.0f} ms  {found['p95_ms']:>4.0f} ms",
                    flush=True,
                )
                time.sleep(3)  # the closed sessions' apps quit before the next N
        except BaseException:
            log.flush()
            print((Path(folder) / "serve.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            log.close()


if __name__ == "__main__":
    main()
