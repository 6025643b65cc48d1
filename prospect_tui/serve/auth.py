"""Server-side sessions with an idle expiry, and the failed-login limiter.

Both keep their state in the server's memory and read time from the store's clock.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prospect_tui.core.clock import Clock

SESSION_COOKIE = "prospect_session"
LOGIN_COOKIE = "prospect_login"
PAIR_FREE = 5
ADDRESS_FREE = 20
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)
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
class Failures:
    """Failed logins counted under one key (a name from an address, or an address)."""

    count: int
    last: datetime
    locked_until: datetime


@dataclass
class LoginLimiter:
    """Growing delays after failed logins, per (name, address) pair and per address.

    From the PAIR_FREE-th failure of one name from one address, that pair waits
    FIRST_DELAY, doubled at each further failure up to MAX_DELAY; the same name from another
    address is not held back, so a guesser cannot lock the owner out. An address that fails
    ADDRESS_FREE times, whatever the names, waits the same way for every name: guessing many
    names from one place is slowed too, with room for an office behind one NAT. A key with
    no failure for FORGET_AFTER starts again from zero.
    """

    clock: Clock
    _failures: dict[str, Failures] = field(default_factory=dict)

    @staticmethod
    def keys(user: str, address: str) -> tuple[str, str]:
        return (f"pair:{user.casefold()}\n{address}", f"address:{address}")

    def retry_after(self, user: str, address: str) -> int:
        """Seconds until a login may be tried again (0: now)."""
        now = self.clock()
        waits = [
            (found.locked_until - now).total_seconds()
            for key in self.keys(user, address)
            if (found := self._failures.get(key)) is not None and found.locked_until > now
        ]
        return math.ceil(max(waits)) if waits else 0

    def failed(self, user: str, address: str) -> None:
        now = self.clock()
        if len(self._failures) > MAX_TRACKED:
            self._forget_before(now - FORGET_AFTER)
        for key, free in zip(self.keys(user, address), (PAIR_FREE, ADDRESS_FREE), strict=True):
            found = self._failures.get(key)
            if found is None or now - found.last > FORGET_AFTER:
                found = self._failures[key] = Failures(0, now, now)
            found.count += 1
            found.last = now
            if found.count >= free:
                found.locked_until = now + delay(found.count - free)

    def _forget_before(self, moment: datetime) -> None:
        """Drops what can no longer count: guessing many names must not fill the memory."""
        for key in [k for k, found in self._failures.items() if found.last < moment]:
            del self._failures[key]

    def succeeded(self, user: str, address: str) -> None:
        # The pair starts afresh; the address keeps its count, or a guesser holding one
        # account of his own would clear it by logging in between guesses.
        self._failures.pop(self.keys(user, address)[0], None)


def delay(beyond: int) -> timedelta:
    """The wait after the failure `beyond` failures past the free ones (0: the first)."""
    return min(FIRST_DELAY * 2 ** min(beyond, 20), MAX_DELAY)
