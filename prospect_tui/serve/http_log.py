"""aiohttp's own log lines, made fit for a server log: a malformed request is one line.

aiohttp logs each request it cannot parse with a full traceback (or at debug level for
garbage on a first request), then an access line for a request that never was.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

PLACEHOLDER_REQUEST = "UNKNOWN / HTTP/1.0"  # the access line aiohttp writes for those


def one_line(text: str) -> str:
    """The parser's message without its caret line, control characters escaped."""
    parts = [part.strip() for part in text.splitlines()]
    kept = " ".join(part for part in parts if part and set(part) != {"^"})
    shown = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in kept)
    return shown if len(shown) <= 200 else shown[:199] + "…"


class MalformedRequestLine(logging.Filter):
    """On aiohttp.server: a parse error becomes one warning line; other debug lines go."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "-"
            record.msg, record.args = (
                "malformed request from %s: %s",
                (
                    remote,
                    one_line(error.message or type(error).__name__),
                ),
            )
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            return True
        return record.levelno >= logging.INFO


class NoPlaceholderAccess(logging.Filter):
    """On aiohttp.access: no access line for a request that could not be parsed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "first_request_line", None) != PLACEHOLDER_REQUEST


def install() -> None:
    server = logging.getLogger("aiohttp.server")
    # aiohttp logs garbage on a first request at debug level: let the filter see it.
    server.setLevel(logging.DEBUG)
    server.addFilter(MalformedRequestLine())
    logging.getLogger("aiohttp.access").addFilter(NoPlaceholderAccess())
