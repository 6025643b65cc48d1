"""The consent chain's secret key (32 random bytes in a 0600 file outside the database), and
the heads of the logs it keyed, kept beside it so that a database cannot go back unnoticed.

Created at first use; every session writing one database must share it (same user, or
PROSPECT_CONSENT_KEY pointing at the same file); an auditor verifies with a copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prospect_tui.core import UserError
from prospect_tui.core.files import private_folder, write_private_text
from prospect_tui.core.locations import consent_key_path


@dataclass(frozen=True)
class ConsentKey:
    """A key and where it was read from; `id` names it without revealing it."""

    path: Path
    secret: bytes

    @property
    def id(self) -> str:
        return hashlib.sha256(b"prospect consent key " + self.secret).hexdigest()[:16]


# Read once per process and path: appending an event must not go back to the disk.
_cache: dict[str, ConsentKey] = {}


def load_key(path: Path | None = None, *, create: bool = True) -> ConsentKey:
    """The key at `path` (default: consent_key_path()), created first when `create` allows."""
    chosen = str(path) if path is not None else os.environ.get("PROSPECT_CONSENT_KEY", "")
    found = _cache.get(chosen)
    if found is None:
        where = Path(path) if path is not None else consent_key_path()
        if not where.exists():
            if not create:
                raise UserError(f"{where}: no consent key there")
            _create(where)
        found = ConsentKey(where, _read(where))
        _cache[chosen] = found
    return found


# A key file is 65 bytes: anything much bigger is not one (and /dev/zero never ends).
_KEY_MOST = 256


def read_regular(path: Path, most: int, what: str) -> bytes:
    """The bytes of the regular file at `path`, refused past `most` bytes.

    Opened without blocking and checked before a byte is read: a FIFO would wait for a
    writer forever, a device such as /dev/zero would never end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise UserError(f"{path}: cannot read the {what} ({error.strerror})") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UserError(f"{path}: not a regular file (the {what} must be one)")
        data = file.read(most + 1)
    if len(data) > most:
        raise UserError(f"{path}: too big for the {what} (more than {most} bytes)")
    return data


def _read(path: Path) -> bytes:
    try:
        text = read_regular(path, _KEY_MOST, "consent key").decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    try:
        if len(text) != 64:
            raise ValueError
        return bytes.fromhex(text)
    except ValueError:
        raise UserError(f"{path}: not a consent key (64 hexadecimal digits)") from None


def _create(path: Path) -> None:
    """Write a new key whole, then link it in: two first sessions end with one same key."""
    private_folder(path.parent)
    try:
        fd, temp = tempfile.mkstemp(prefix=".consent-key.", dir=path.parent)  # 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.link(temp, path)
        except FileExistsError:
            pass  # another session created it first: use theirs
        finally:
            os.unlink(temp)
    except OSError as error:
        raise UserError(f"{path}: cannot create the consent key ({error.strerror})") from None


# The heads kept outside the database: one file beside the key, one entry per database
# (by its absolute path), each under an HMAC. Written after each commit that extends a log.

_HEADS_MOST = 16 * 1024 * 1024


@dataclass(frozen=True)
class OutsideHead:
    """How long a database's log was, and how it ended, when it was last extended or sealed."""

    events: int
    last_hash: str
    at: str
    mac: str = ""

    def expected_mac(self, key: ConsentKey, database: str) -> str:
        message = json.dumps(["outside head", database, self.events, self.last_hash, self.at])
        return hmac.new(key.secret, message.encode(), hashlib.sha256).hexdigest()


def heads_path(key: ConsentKey) -> Path:
    return key.path.with_name(key.path.name + ".heads")


def _read_heads(key: ConsentKey) -> dict[str, Any]:
    path = heads_path(key)
    if not path.exists():
        return {}
    try:
        found = json.loads(read_regular(path, _HEADS_MOST, "consent heads file"))
        databases = found["databases"]
        if not isinstance(databases, dict):
            raise TypeError
        return databases
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{path}: not a consent heads file (restore it from the backup)") from None


def read_outside_head(key: ConsentKey, database: str) -> OutsideHead | None:
    """The head kept beside `key` for the database at `database` (its absolute path), if any."""
    return _outside_entry(_read_heads(key).get(database))


def _outside_entry(entry: Any) -> OutsideHead | None:
    if entry is None:
        return None
    try:
        return OutsideHead(int(entry["events"]), str(entry["last_hash"]), entry["at"], entry["mac"])
    except (KeyError, TypeError, ValueError):
        return OutsideHead(-1, "", "", "")  # garbled: its MAC cannot match


@contextmanager
def _heads_locked(key: ConsentKey) -> Iterator[None]:
    """One writer of the heads file at a time: sessions on other databases share it."""
    lock = heads_path(key).with_name(heads_path(key).name + ".lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as error:
        raise UserError(f"{lock}: cannot lock the consent heads ({error.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_outside_head(
    key: ConsentKey, database: str, head: OutsideHead | None, *, replace: bool = False
) -> None:
    """Keep `head` for `database` beside the key (None: forget it), replacing the file whole.

    A head is never moved back (a late writer of an older state) unless `replace` says so:
    a shorter outside head would let an older database pass.
    """
    with _heads_locked(key):
        databases = _read_heads(key)
        old = _outside_entry(databases.get(database))
        if head is None:
            databases.pop(database, None)
        elif replace or old is None or old.events <= head.events:
            entry = {"events": head.events, "last_hash": head.last_hash, "at": head.at}
            databases[database] = {**entry, "mac": head.expected_mac(key, database)}
        text = json.dumps({"databases": databases}, indent=1, sort_keys=True) + "\n"
        write_private_text(heads_path(key), text)
