"""The command palette's exports in a terminal: written where the user says; callers get
their own opt-ins only, supervisors also the calls and the weekly report."""

from __future__ import annotations

from prospect_tui.app import make_app
from prospect_tui.commands import ExportPathScreen, exports
from prospect_tui.core.config import Config
from tests.helpers import add_leads


async def test_export_from_the_palette_writes_where_the_user_says(store, tmp_path):
    add_leads(store, "spring", 3)
    app = make_app(store, "alice", "spring", config=Config())
    target = tmp_path / "optins.csv"
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Export opt-ins (CSV)")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportPathScreen)
        field = app.screen.query_one("#export-path")
        (tmp_path / "a-file").write_text("")
        field.value = str(tmp_path / "a-file" / "optins.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportPathScreen)  # a mistake: say so, ask again
        field.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportPathScreen)
    assert target.read_bytes().startswith("\ufeff".encode())
    assert "email" in target.read_text(encoding="utf-8-sig").splitlines()[0].lower()
    assert target.stat().st_mode & 0o777 == 0o600


async def test_callers_export_their_own_opt_ins_and_supervisors_everything(store):
    add_leads(store, "spring", 1)
    config = Config(supervisors=("sue",))
    caller = make_app(store, "alice", "spring", config=config)
    supervisor = make_app(store, "sue", "spring", config=config)
    assert [e.title for e in exports(caller)] == ["Export opt-ins (CSV)", "Export opt-ins (xlsx)"]
    assert [e.title for e in exports(supervisor)] == [
        "Export opt-ins (CSV)",
        "Export opt-ins (xlsx)",
        "Export calls (CSV)",
        "Weekly report (HTML)",
    ]
    assert exports(caller)[0].write.keywords["caller"] == "alice"
    assert exports(supervisor)[0].write.keywords["caller"] is None


async def test_the_palettes_report_is_on_the_week_that_has_calls(store, clock):
    from prospect_tui.core.dialing import Dialer

    campaign = add_leads(store, "spring", 2)
    Dialer(store, "sue", campaign).record(1, "no_answer", started_at=clock(), duration_s=20)
    supervisor = make_app(store, "sue", "spring", config=Config(supervisors=("sue",)))
    report = exports(supervisor)[-1]
    # Called today, a Monday, and never before: this week, not last week's empty page.
    assert report.file_name == "prospect-report-2026-W48.html"
    assert "2026-11-23 to 2026-11-29 (this week so far" in report.help
