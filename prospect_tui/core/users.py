"""The people who may log in to `prospect serve`: names, roles, argon2id password hashes,
and the access log (logins, logouts, failures, refusals; never a password).

Managing them and reading the log is the roles table's `users.admin` (supervisors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from prospect_tui.core import UserError
from prospect_tui.core.roles import ROLES, Actor, require
from prospect_tui.core.store import Store
from prospect_tui.core.text import visible

# A name is passed to the app as `--caller NAME` and shown on screens: keep it plain.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
ACCESS_EVENTS = ("login", "logout", "login_failed", "refused")

# argon2id at OWASP's minimum (Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane):
# a login costs 19 MiB and ~25 ms of one core, so sixty logins at nine don't queue for
# seconds on two cores (argon2-cffi's default, 64 MiB and 3 passes, took ~4x that). Hashes
# made with other parameters still verify, and are redone with these at the next good login.
HASH_MEMORY_KIB = 19456
HASH_PASSES = 2
HASH_LANES = 1
_hasher = PasswordHasher(time_cost=HASH_PASSES, memory_cost=HASH_MEMORY_KIB, parallelism=HASH_LANES)


@cache
def _unknown_user_hash() -> str:
    """Checked when the name is unknown, so an unknown user and a wrong password take the
    same time (made on first use: the app started per browser never needs it)."""
    return _hasher.hash("no such user: the same work as a real check")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str
    disabled_at: str | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "disabled_at": self.disabled_at,
        }


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(
            f"user name {name[:40]!r}: use 1 to 32 letters, digits, '.', '_' or '-'"
            " (starting with a letter or digit)"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role[:40]!r}: expected one of {', '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, refused when too short or too long (never echoed)."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password too long: at most {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def _user(row: dict[str, Any]) -> User:
    return User(row["name"], row["role"], row["created_at"], row["disabled_at"])


def get_user(store: Store, name: str) -> User | None:
    row = store.row("SELECT name, role, created_at, disabled_at FROM users WHERE name = ?", (name,))
    return None if row is None else _user(row)


def require_user(store: Store, name: str) -> User:
    found = get_user(store, name)
    if found is None:
        raise UserError(f"unknown user {name[:40]!r} (see `prospect user list`)")
    return found


def list_users(store: Store, *, actor: Actor) -> list[User]:
    require(actor, "users.admin")
    rows = store.rows("SELECT name, role, created_at, disabled_at FROM users ORDER BY name")
    return [_user(row) for row in rows]


def has_users(store: Store) -> bool:
    return store.row("SELECT 1 AS yes FROM users LIMIT 1") is not None


def add_user(store: Store, name: str, password: str, role: str = "caller", *, actor: Actor) -> User:
    require(actor, "users.admin")
    check_name(name)
    check_role(role)
    hashed = hash_password(password)
    with store.write() as conn:
        if get_user(store, name) is not None:
            raise UserError(f"user {name!r} already exists (`prospect user passwd {name}`)")
        conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, hashed, store.now()),
        )
    return require_user(store, name)


def set_password(store: Store, name: str, password: str, *, actor: Actor) -> None:
    """A new password; it also enables a disabled user again."""
    require(actor, "users.admin")
    require_user(store, name)
    hashed = hash_password(password)
    with store.write() as conn:
        conn.execute(
            "UPDATE users SET password_hash = ?, disabled_at = NULL WHERE name = ?",
            (hashed, name),
        )


def disable_user(store: Store, name: str, *, actor: Actor) -> None:
    """The user can no longer log in; his open sessions end at their next request."""
    require(actor, "users.admin")
    require_user(store, name)
    with store.write() as conn:
        conn.execute(
            "UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?",
            (store.now(), name),
        )


def remove_user(store: Store, name: str, *, actor: Actor) -> None:
    """The login goes; the calls and consents made under this name stay, as records must."""
    require(actor, "users.admin")
    require_user(store, name)
    with store.write() as conn:
        conn.execute("DELETE FROM users WHERE name = ?", (name,))


def stored_hash(store: Store, name: str) -> str | None:
    """The hash to check a login against, None when the user is unknown or disabled."""
    value = store.scalar(
        "SELECT password_hash FROM users WHERE name = ? AND disabled_at IS NULL", (name,)
    )
    return None if value is None else str(value)


def password_matches(hashed: str | None, password: str) -> bool:
    """Check `password` (slow on purpose: argon2id); None checks a dummy hash, same time."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(hashed or _unknown_user_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def rehashed(hashed: str, password: str) -> str | None:
    """A new hash of `password` when `hashed` (which it matches) was made with other
    parameters than today's, else None: called after a good login."""
    try:
        return _hasher.hash(password) if _hasher.check_needs_rehash(hashed) else None
    except InvalidHashError:
        return None


def replace_hash(store: Store, name: str, old: str, new: str) -> None:
    """`name`'s hash becomes `new`, unless it changed since `old` was read (a new password
    set meanwhile wins)."""
    with store.write() as conn:
        conn.execute(
            "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
            (new, name, old),
        )


def served_actor(store: Store, name: str) -> Actor:
    """Who runs an app started for a browser: `name` must be an active user, and the role
    is his user record's (whatever the config's `supervisors` list says)."""
    user = require_user(store, name)
    if not user.active:
        raise UserError(f"user {name!r} is disabled")
    return Actor(user.name, user.role)


def log_access(
    store: Store, event: str, user: str = "", address: str = "", detail: str = ""
) -> None:
    """Append one line to the access log (`detail` says why; it never holds a password).

    A failed login's name is whatever the login form was sent: kept with its control
    characters made visible, so no later reading of the log runs them."""
    if event not in ACCESS_EVENTS:
        raise ValueError(f"unknown access event {event!r}")
    with store.write() as conn:
        conn.execute(
            "INSERT INTO access_log (at, event, user_name, address, detail) VALUES (?, ?, ?, ?, ?)",
            (store.now(), event, visible(user)[:64], visible(address)[:64], visible(detail)[:200]),
        )


def access_log(store: Store, limit: int | None = None, *, actor: Actor) -> list[dict[str, Any]]:
    """The access log, oldest first (the last `limit` lines when given)."""
    require(actor, "users.admin")
    rows = store.rows(
        "SELECT at, event, user_name AS user, address, detail FROM access_log"
        " ORDER BY id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    )
    return rows[::-1]


def format_access_log(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no access recorded yet"
    lines = [
        f"{row['at']}  {row['event']:<12}  {visible(row['user']) or '-':<16}"
        f"  {visible(row['address']) or '-':<15}  {visible(row['detail'])}".rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def format_users(users: list[User]) -> str:
    if not users:
        return "no users yet: `prospect user add NAME`"
    lines = [
        f"{visible(user.name):<20} {user.role:<10} "
        + (f"disabled since {user.disabled_at}" if user.disabled_at else "active")
        for user in users
    ]
    return "\n".join(lines)
