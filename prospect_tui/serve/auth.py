"""Server-side sessions with an idle expiry, and the failed-login limiter.

Both keep their state in the server's memory and read time from the store's clock.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prospect_tui.core.clock import Clock

SESSION_COOKIE = "prospect_session"
LOGIN_COOKIE = "prospect_login"
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=5)
LOCKOUT = timedelta(minutes=5)
MAX_TRACKED = 10_000


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def _key(token: str) -> str:
    # Sessions are kept under a hash of the cookie: a memory dump gives no usable cookie.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Session:
    id: str
    user: str
    csrf: str
    address: str
    last_seen: datetime


@dataclass
class Sessions:
    clock: Clock
    idle: timedelta
    _by_key: dict[str, Session] = field(default_factory=dict)

    def open(self, user: str, address: str) -> tuple[str, Session]:
        """A new session for `user`: returns the cookie value and the session."""
        token = new_token()
        session = Session(new_token(), user, new_token(), address, self.clock())
        self._by_key[_key(token)] = session
        return token, session

    def find(self, token: str | None) -> Session | None:
        """The live session of this cookie (its idle timer restarts), or None."""
        if not token or len(token) > 100:
            return None
        session = self._by_key.get(_key(token))
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.idle:
            del self._by_key[_key(token)]
            return None
        session.last_seen = now
        return session

    def close(self, token: str | None) -> Session | None:
        if not token:
            return None
        return self._by_key.pop(_key(token), None)

    def close_user(self, user: str) -> None:
        for key in [key for key, session in self._by_key.items() if session.user == user]:
            del self._by_key[key]

    def users(self) -> set[str]:
        return {session.user for session in self._by_key.values()}


@dataclass
class LoginLimiter:
    """After MAX_FAILURES failed logins for one name or one address within FAILURE_WINDOW,
    that name or address is locked out for LOCKOUT."""

    clock: Clock
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _locked_until: dict[str, datetime] = field(default_factory=dict)

    @staticmethod
    def keys(user: str, address: str) -> tuple[str, str]:
        return (f"user:{user.casefold()}", f"address:{address}")

    def retry_after(self, user: str, address: str) -> int:
        """Seconds until a login may be tried again (0: now)."""
        now = self.clock()
        waits = [
            (until - now).total_seconds()
            for key in self.keys(user, address)
            if (until := self._locked_until.get(key)) is not None and until > now
        ]
        return math.ceil(max(waits)) if waits else 0

    def failed(self, user: str, address: str) -> None:
        now = self.clock()
        if len(self._failures) > MAX_TRACKED:
            self._forget_before(now - max(FAILURE_WINDOW, LOCKOUT))
        for key in self.keys(user, address):
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and now - recent[0] > FAILURE_WINDOW:
                recent.popleft()
            if len(recent) >= MAX_FAILURES:
                self._locked_until[key] = now + LOCKOUT
                recent.clear()

    def _forget_before(self, moment: datetime) -> None:
        """Drops what can no longer count: guessing many names must not fill the memory."""
        for key in [k for k, times in self._failures.items() if not times or times[-1] < moment]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until < moment]:
            del self._locked_until[key]

    def succeeded(self, user: str) -> None:
        self._failures.pop(self.keys(user, "")[0], None)
