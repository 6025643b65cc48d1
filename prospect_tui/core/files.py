"""The files the app writes: private (0600 files, 0700 folders) and whole or not at all.

Every report, export and rejects file goes through `write_private`: it is written under a
temporary name beside its target and renamed only once complete, so a kill or a full disk
leaves neither a partial file nor a file for work that never happened.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from prospect_tui.core import UserError

T = TypeVar("T")


def private_folder(folder: Path) -> None:
    """Create `folder` and any missing parent owner-only (0700); existing ones are left as is."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:  # another process made it meanwhile
            pass
        except OSError as error:
            raise UserError(f"{created}: cannot create the folder ({error.strerror})") from None
        os.chmod(created, 0o700)  # mkdir's mode is filtered by the umask


def write_private(target: Path, write: Callable[[Path], T]) -> T:
    """Call `write(temp)` on a fresh 0600 file beside `target`, then rename it to `target`.

    Returns what `write` returns. On any failure the temporary file is removed and an
    existing `target` is left untouched; OS errors become one-line UserErrors.
    """
    target = Path(target)
    if target.exists() and not target.is_file():
        # Renaming over a device, a FIFO or a folder would replace it, not write to it.
        raise UserError(f"{target}: not a regular file")
    folder = target.parent if str(target.parent) else Path(".")
    private_folder(folder)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise UserError(f"{target}: cannot write ({error.strerror})") from None
    os.close(fd)  # mkstemp creates it 0600
    temp = Path(temp_name)
    try:
        result = write(temp)
        with open(temp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
        return result
    except OSError as error:
        raise UserError(f"{target}: cannot write ({error.strerror or error})") from None
    finally:
        temp.unlink(missing_ok=True)


def write_private_text(target: Path, text: str, encoding: str = "utf-8") -> None:
    """`text` written whole to `target` (0600), or nothing written at all."""

    def write(temp: Path) -> None:
        temp.write_text(text, encoding=encoding, newline="")

    write_private(target, write)
