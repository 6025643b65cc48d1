"""The core must stay UI-free: importing every core module must not load textual or rich."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import prospect_tui.core as core_package


def test_core_imports_no_ui_library():
    # Subpackages too (core/importing/, core/stats/...): walk_packages finds them.
    modules = sorted(
        info.name for info in pkgutil.walk_packages(core_package.__path__, "prospect_tui.core.")
    )
    assert len(modules) > 5, "core modules not found"
    imports = "; ".join(f"import {m}" for m in modules)
    code = (
        f"{imports}; import sys; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core pulled in UI modules: {result.stdout.strip()}"


def test_every_screen_stylesheet_is_loaded_by_the_app():
    from prospect_tui.app import ProspectApp

    package = Path(core_package.__file__).parents[1]
    sheets = {str(p.relative_to(package)) for p in package.glob("**/*.tcss")}
    assert sheets == set(ProspectApp.CSS_PATH)
