"""Shared fixtures: a real SQLite store in a temp folder, with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from prospect_tui.core.store import Store

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

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
