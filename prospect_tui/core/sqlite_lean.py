"""sqlite-utils without pandas and numpy: it imports both whenever they are installed (they
are, for pyreadstat's survey files), for DataFrame features this project never uses.

Loading them cost every command and session about 0.2 s, a BLAS thread pool and 170 MB of
address space (a spreadsheet import held to 200 MB then failed to load its reader).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_UNUSED = ("pandas", "numpy")


@contextmanager
def _hidden(names: tuple[str, ...]) -> Iterator[None]:
    """While open, `import NAME` raises ImportError (a None in sys.modules says so); a module
    already imported stays as it is."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            del sys.modules[name]


with _hidden(_UNUSED):
    import sqlite_utils
    from sqlite_utils import Migrations

__all__ = ["Migrations", "sqlite_utils"]
