"""The files the app reads and writes: only regular files read, and private (0600 files, 0700
folders) files written whole or not at all.

Every report, export and rejects file goes through `write_private`: it is written under a
temporary name beside its target and renamed only once complete, so a kill or a full disk
leaves neither a partial file nor a file for work that never happened. Every file the user
names is opened with `open_regular`: a FIFO or a device never blocks or streams forever.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from prospect_tui.core import UserError, printable

T = TypeVar("T")


def open_regular(path: Path, what: str) -> BinaryIO:
    """`path` opened for reading, refused in one line unless it is a regular file: a FIFO
    would block and a device stream forever. `what` names what the file should be."""
    name = printable(os.fspath(path))
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise UserError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{name}: is a folder, not a {what}") from None
    except OSError as error:
        raise UserError(f"{name}: cannot be read ({error.strerror})") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise UserError(f"{name}: is a folder, not a {what}")
        raise UserError(f"{name}: not a regular file (a pipe or a device); save it as a file")
    os.set_blocking(descriptor, True)
    return open(descriptor, "rb")


def read_small_text(path: Path, what: str, max_bytes: int) -> str:
    """The UTF-8 text (a BOM dropped) of the regular file `path`, of at most `max_bytes`.

    Anything else (a FIFO, a device, a bigger file, bytes that are not UTF-8) is a one-line
    UserError naming `path` and `what` it should be; at most `max_bytes` + 1 bytes are read,
    whatever the file claims or grows to.
    """
    name = printable(os.fspath(path))
    with open_regular(path, what) as opened:
        try:
            data = opened.read(max_bytes + 1)
        except OSError as error:
            raise UserError(f"{name}: cannot be read ({error.strerror})") from None
    if len(data) > max_bytes:
        raise UserError(f"{name}: more than {max_bytes:,} bytes, too big for a {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UserError(f"{name}: not UTF-8 text (byte {error.start + 1}), not a {what}") from None


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
