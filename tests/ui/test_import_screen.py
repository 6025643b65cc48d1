"""Pilot test of the import screen: preview the detected layout, import in a worker, report."""

from __future__ import annotations

from prospect_tui.app import make_app
from prospect_tui.core.config import Config
from prospect_tui.screens.import_file import ImportScreen
from tests.helpers import add_leads, session

LIST = (
    "Liste achetée chez Fichiers Pro\r\n"
    "\r\n"
    "Raison sociale;Tél. standard;Ville;Effectif\r\n"
    "Boulangerie Élise;01 45 67 89 10;Paris;12\r\n"
    "Garage Müller;+33 (0)3 88 12 34 56;Strasbourg;8\r\n"
    "Mauvais numéro;12 34;Lyon;3\r\n"
)


async def test_import_screen_previews_then_imports_in_a_worker(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    add_leads(store, "spring", 1)
    lead_file = tmp_path / "achat.csv"
    lead_file.write_bytes(LIST.encode("cp1252"))
    async with session(store, size=(120, 40)) as (app, pilot):
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ImportScreen)
        await pilot.press(*str(lead_file), "enter")
        await pilot.pause()
        layout = str(app.screen.query_one("#layout").render())
        assert "3 data rows" in layout
        assert "Windows-1252" in layout and "semicolon" in layout and "line 3" in layout
        assert "phone ← Tél. standard" in layout
        assert app.screen.query_one("#preview").row_count == 3
        await pilot.press("ctrl+s")
        # The file tree keeps a loader worker alive, so wait for the report, not all workers.
        for _ in range(100):
            report = str(app.screen.query_one("#report").render())
            if "imported" in report:
                break
            await pilot.pause(0.05)
        assert "2 imported" in report and "1 invalid phone" in report
    companies = [r["company"] for r in store.rows("SELECT company FROM leads ORDER BY id")]
    assert companies[1:] == ["Boulangerie Élise", "Garage Müller"]


async def test_import_screen_shows_a_bad_file_in_one_line(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    add_leads(store, "spring", 1)
    bad = tmp_path / "vide.csv"
    bad.write_text("Raison sociale;Ville\r\nACME;Lyon\r\n", encoding="utf-8")
    async with session(store, size=(120, 40)) as (app, pilot):
        await pilot.press("i", *str(bad), "enter")
        await pilot.pause()
        assert "no phone column" in str(app.screen.query_one("#layout").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert store.count_leads() == 1


async def test_import_screen_asks_for_the_company_column(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    add_leads(store, "spring", 1)
    lead_file = tmp_path / "sans_nom.csv"
    lead_file.write_text("Code;Tél\r\nA1;01 45 67 89 10\r\n", encoding="utf-8")
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i", *str(lead_file), "enter")
        await pilot.pause()
        layout = str(app.screen.query_one("#layout").render())
        assert "no company column found" in layout and '--map company="COLUMN"' in layout
        assert app.screen.focused is app.screen.query_one("#mapping")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert store.count_leads() == 1  # nothing imported before the column is named
        await pilot.press(*"company=Code", "enter")
        await pilot.pause()
        assert "company ← Code" in str(app.screen.query_one("#layout").render())


async def test_import_screen_proposes_the_company_column_to_confirm(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    add_leads(store, "spring", 1)
    lead_file = tmp_path / "mairies.csv"
    lead_file.write_text(
        "code_insee;lib_com;cp;tel\r\n69123;Lyon;69001;04 72 10 30 30\r\n"
        "69266;Villeurbanne;69100;04 78 03 67 67\r\n",
        encoding="utf-8",
    )
    app = make_app(store, "alice", "spring", config=Config())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("i", *str(lead_file), "enter")
        await pilot.pause()
        layout = str(app.screen.query_one("#layout").render())
        assert "best candidate 'lib_com'" in layout
        mapping = app.screen.query_one("#mapping")
        assert app.screen.focused is mapping and mapping.value == "company=lib_com"
        assert store.count_leads() == 1  # nothing imported before it is confirmed
        await pilot.press("enter")
        await pilot.pause()
        assert "company ← lib_com" in str(app.screen.query_one("#layout").render())
        await pilot.press("ctrl+s")
        for _ in range(100):
            if "imported" in str(app.screen.query_one("#report").render()):
                break
            await pilot.pause(0.05)
    companies = [r["company"] for r in store.rows("SELECT company FROM leads ORDER BY id")]
    assert companies[1:] == ["Lyon", "Villeurbanne"]
