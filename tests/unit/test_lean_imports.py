"""Opening a database loads no DataFrame library: sqlite-utils would import pandas and numpy
(installed for the survey files) into every command, session and import."""

from __future__ import annotations

import subprocess
import sys


def test_opening_a_database_loads_neither_pandas_nor_numpy(tmp_path) -> None:
    probe = (
        "import sys\n"
        "from prospect_tui.core.store import Store\n"
        f"store = Store({str(tmp_path / 'p.db')!r})\n"
        "store.db.table_names()\n"
        "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
