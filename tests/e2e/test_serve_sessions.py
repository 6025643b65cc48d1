"""`prospect serve` under load and misuse: malformed requests, bounded sessions, one live
session per user, the supervisor's first screen. Spoken to as textual-serve's page speaks.
"""

from __future__ import annotations

import asyncio
import socket

from tests.e2e.served import RunningServer, served_database

MALFORMED = (
    b"\x00\x01\x02\xff garbage\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET /\x1b]0;owned\x07 HTTP/1.1\r\n\r\n",
)


def send_raw(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(payload)
        return raw.recv(100)


async def test_a_malformed_request_is_one_log_line(tmp_path):
    server = await asyncio.to_thread(
        RunningServer, served_database(tmp_path), tmp_path / "serve.log"
    )
    try:
        before = server.output().splitlines()
        for payload in MALFORMED:
            answer = await asyncio.to_thread(send_raw, server.port, payload)
            assert answer.startswith(b"HTTP/1.0 400")
    finally:
        await asyncio.to_thread(server.stop)
    lines = server.output().splitlines()[len(before) :]
    malformed = [line for line in lines if "malformed request from 127.0.0.1" in line]
    assert len(malformed) == len(MALFORMED), lines
    assert "Traceback" not in server.output()
    assert not any("\x1b" in line or "\x00" in line for line in lines)
    assert len([line for line in lines if "aiohttp" in line]) == len(MALFORMED), lines
