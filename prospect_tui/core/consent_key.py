"""The consent chain's secret key: 32 random bytes in a 0600 file outside the database.

Created at first use; every session writing one database must share it (same user, or
PROSPECT_CONSENT_KEY pointing at the same file); an auditor verifies with a copy.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prospect_tui.core import UserError
from prospect_tui.core.files import private_folder
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


def _read(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError as error:
        raise UserError(f"{path}: cannot read the consent key ({error.strerror})") from None
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
