"""Shared fixtures: a real SQLite store in a temp folder, with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prospect_tui.core.clock import NOW_VARIABLE
from prospect_tui.core.store import Store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# Monday 23 November 2026, 10:00 UTC (11:00 in Paris): inside every default calling window.
TEST_NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def pinned_process_clock():
    """Every Store opened without a clock, here or in a subprocess (CLI, app under tmux),
    starts at TEST_NOW: the suite gives the same answers at 03:00 on a Sunday."""
    mp = pytest.MonkeyPatch()
    mp.setenv(NOW_VARIABLE, TEST_NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    yield
    mp.undo()


@pytest.fixture(autouse=True, scope="session")
def consent_key_of_the_suite(tmp_path_factory):
    """One consent key for the whole run (subprocesses inherit it), never the user's own."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PROSPECT_CONSENT_KEY", str(tmp_path_factory.mktemp("keys") / "consent.key"))
    yield
    mp.undo()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or TEST_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    opened = Store(tmp_path / "prospect.db", clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared lead files not found at {SHARED_DATA} (only beside the project repo)")
    return SHARED_DATA
