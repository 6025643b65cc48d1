"""The wheel a user installs: built from the tree, installed in a fresh venv, and run.

Catches a subpackage left out of pyproject's package list, a data file not shipped, and a
module imported but not declared (the fresh venv has only the declared dependencies).
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT)
    (built,) = out.glob("prospect_tui-*.whl")
    return built


def test_every_module_of_the_tree_is_in_the_wheel(wheel: Path) -> None:
    shipped = set(zipfile.ZipFile(wheel).namelist())
    source = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "prospect_tui").rglob("*")
        if path.suffix in {".py", ".tcss"} and "__pycache__" not in path.parts
    }
    assert source - shipped == set()
    assert "prospect_tui/data/demo_leads.csv" in shipped


def test_the_installed_wheel_runs_and_imports_a_list(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel)
    # Outside the source tree, so only the installed package can be imported.
    version = run(env / "bin" / "prospect", "--version", cwd=tmp_path)
    assert version.stdout.startswith("prospect-tui ")
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "Société;Téléphone;Ville\r\n"
        "Acme SARL;01 42 68 53 00;Paris\r\n"
        "Beta SA;04 72 00 00 01;Lyon\r\n",
        encoding="cp1252",
    )
    db = tmp_path / "p.db"
    done = run(env / "bin" / "prospect", "--db", db, "import", leads, "--json", cwd=tmp_path)
    assert json.loads(done.stdout)["imported"] == 2
    run(python, "-c", "import prospect_tui.core.deliverability", cwd=tmp_path)
