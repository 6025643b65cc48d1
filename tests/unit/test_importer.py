"""Lead import: every encoding, separator and spreadsheet format, headers, dedupe, suppression.

Bad files go through the real command line: one line naming the file, exit 2, nothing written.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.demo import build_demo
from prospect_tui.core.importing import (
    ImportReport,
    batch,
    field_for,
    import_file,
    parse_mapping,
    phone_pool,
    read_lead_file,
)
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppress
from tests.helpers import A_SUPERVISOR

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["Raison sociale", "Téléphone", "Ville", "Code postal", "Nom du contact", "E-mail",
          "Commentaire"]  # fmt: skip
ROWS = [
    ["Société Générale d'Électricité", "01 42 68 53 00", "Orléans", "45000", "Hélène Dupré",
     "helene@sge.fr", "rappeler après 14h"],
    ["Cœur de Métiers SARL", "+33 (0)4 78 12 34 56", "Saint-Étienne", "42000", "", "",
     "déjà client ? non"],
    ["Boîte à Outils", "06.12.34.56.78", "Fréjus", "83600", "Zoé Lefèvre", "", ""],
]  # fmt: skip


def write_csv(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8", separator: str = ";"
) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A minimal OpenDocument spreadsheet, as the ODF 1.2 spec lays it out."""

    def cell(value: object) -> str:
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, int | float):
            return (
                f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
            "</text:p></table:table-cell>"
        )

    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join(
            "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
            for row in rows
        )
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        # The mimetype entry comes first and uncompressed, as the spec requires.
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)  # fmt: skip
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def leads(store: Store) -> list[dict]:
    return store.rows("SELECT * FROM leads ORDER BY id")


def snapshot(store: Store) -> tuple:
    return tuple(
        store.scalar(f"SELECT count(*) FROM {table}")
        for table in ("campaigns", "leads", "import_batches", "suppressions")
    )


# Text files: encodings and separators


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp1252", "cp1252"),
        ("latin-1", "cp1252"),  # the same bytes: Windows-1252 reads Latin-1 text right
        ("utf-16", "utf-16"),  # Excel's "Unicode text"
    ],
)
def test_encodings_are_detected(tmp_path: Path, store: Store, encoding: str, detected: str):
    rows = [row[:] for row in ROWS]
    if encoding == "latin-1":
        rows[1][0] = "Coeur de Métiers SARL"  # no œ in Latin-1
    path = write_csv(tmp_path / "achat.csv", [HEADER, *rows], encoding=encoding)
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert report.encoding == detected
    assert (report.rows_read, report.imported) == (3, 3)
    stored = leads(store)
    assert [lead["company"] for lead in stored] == [row[0] for row in rows]
    assert stored[0]["city"] == "Orléans"
    assert json.loads(stored[0]["extra"]) == {"Commentaire": "rappeler après 14h"}


def test_latin1_bytes_that_windows_1252_lacks(tmp_path: Path, store: Store):
    path = tmp_path / "vieux.txt"
    path.write_bytes("Société;Tél\r\nA\x81 Réseaux;01 42 68 53 00\r\n".encode("latin-1"))
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert report.encoding == "latin-1"
    assert leads(store)[0]["company"] == "A\x81 Réseaux"


def test_cp1252_only_characters(tmp_path: Path, store: Store):
    path = write_csv(
        tmp_path / "euro.csv",
        [["Société", "Téléphone", "Note"], ["L’Œuvre", "0142685300", "budget 5 000 €"]],
        encoding="cp1252",
    )
    import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    lead = leads(store)[0]
    assert lead["company"] == "L’Œuvre"
    assert json.loads(lead["extra"]) == {"Note": "budget 5 000 €"}


@pytest.mark.parametrize("separator", [";", ",", "\t", "|"])
def test_separators_are_detected(tmp_path: Path, store: Store, separator: str):
    path = write_csv(tmp_path / "achat.txt", [HEADER, *ROWS], separator=separator)
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert report.separator == separator
    assert report.imported == 3
    assert leads(store)[1]["phone_e164"] == "+33478123456"


@pytest.mark.parametrize("separator", [";", ","])
def test_quoted_cells_hold_separators_and_line_breaks(tmp_path: Path, store: Store, separator: str):
    address = "12, rue de la Paix; bât. B\n2e étage"
    rows = [
        ["Société", "Adresse", "Téléphone"],
        ["Alpha", address, "01 42 68 53 00"],
        ["Beta", "3 rue Haute", "pas de numéro"],
        ["Gamma", 'dit "le grand"; ou pas, enfin', "06 12 34 56 78"],
    ]
    path = write_csv(tmp_path / "quoted.csv", rows, separator=separator)
    rejects = tmp_path / "rejects.csv"
    report = import_file(store, path, campaign="c", rejects_path=rejects, actor=A_SUPERVISOR)
    assert report.separator == separator
    assert (report.rows_read, report.imported, report.invalid_phone) == (3, 2, 1)
    stored = leads(store)
    assert json.loads(stored[0]["extra"]) == {"Adresse": address}
    assert json.loads(stored[1]["extra"]) == {"Adresse": 'dit "le grand"; ou pas, enfin'}
    # Beta starts on line 4: Alpha's record takes lines 2 and 3 of the file.
    rejected = list(csv.reader(rejects.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rejected[1][:2] == ["4", "invalid_phone"]


# Spreadsheets


def office_rows() -> list[list[object]]:
    """A title line and a blank line above the header; numbers that lost their zero."""
    return [
        ["Base achetée - PME Rhône-Alpes", None, None, None],
        [None, None, None, None],
        ["Entreprise", "Tél.", "CP", "SIRET"],
        ["Alpha", 142685300.0, 1000, 12345678900012],
        ["Beta", "04 78 12 34 56", "69003", "123 456 789 00012"],
        ["Gamma", 612345678, 38000.0, None],
    ]


def check_office_import(store: Store, report: ImportReport) -> None:
    assert report.header_row == 3
    assert (report.rows_read, report.imported) == (3, 3)
    stored = leads(store)
    assert [lead["phone_e164"] for lead in stored] == ["+33142685300", "+33478123456",
                                                       "+33612345678"]  # fmt: skip
    assert stored[0]["postcode"] == "01000"
    assert stored[0]["siret"] == "12345678900012"
    assert stored[2]["postcode"] == "38000"


def test_xlsx(tmp_path: Path, store: Store):
    path = write_xlsx(tmp_path / "base.xlsx", {"Feuil1": office_rows()})
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert report.sheet == "Feuil1"
    check_office_import(store, report)


def test_ods(tmp_path: Path, store: Store):
    path = write_ods(tmp_path / "base.ods", {"Feuille1": office_rows()})
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert report.sheet == "Feuille1"
    check_office_import(store, report)


def test_xls(tmp_path: Path, store: Store):
    xlwt = pytest.importorskip("xlwt", reason="xlwt (the Excel 97 writer) is not installed")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Feuil1")
    for r, row in enumerate(office_rows()):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    path = tmp_path / "base.xls"
    book.save(str(path))
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    check_office_import(store, report)


def test_sheet_is_chosen_by_name(tmp_path: Path, store: Store):
    notes = [["Notes du vendeur"], ["rien d'utile ici"]]
    path = write_xlsx(tmp_path / "two.xlsx", {"Notes": notes, "Contacts": office_rows()})
    with pytest.raises(UserError, match="no phone column"):
        import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    report = import_file(store, path, campaign="c", sheet="contacts", actor=A_SUPERVISOR)
    assert report.sheet == "Contacts"
    check_office_import(store, report)
    with pytest.raises(UserError, match=r"no sheet named 'Leads' \(sheets: Notes, Contacts\)"):
        read_lead_file(path, sheet="Leads")


def test_sheet_option_on_a_text_file(tmp_path: Path):
    path = write_csv(tmp_path / "a.csv", [HEADER, *ROWS])
    with pytest.raises(UserError, match="--sheet applies to spreadsheets"):
        read_lead_file(path, sheet="Feuil1")


# Headers and mapping


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Raison sociale", "company"), ("Société", "company"), ("SOCIETE", "company"),
        ("Entreprise", "company"), ("Company", "company"), ("Company name", "company"),
        ("Dénomination", "company"), ("Téléphone", "phone"), ("Tél.", "phone"),
        ("Tel", "phone"), ("TEL :", "phone"), ("Standard", "phone"), ("Phone", "phone"),
        ("Tél. standard", "phone"), ("N° de téléphone", "phone"), ("Phone number", "phone"),
        ("Ville", "city"), ("City", "city"), ("Commune", "city"), ("CP", "postcode"),
        ("Code postal", "postcode"), ("Zip", "postcode"), ("Zip code", "postcode"),
        ("Nom du contact", "contact_name"), ("Contact", "contact_name"),
        ("Interlocuteur", "contact_name"), ("Fonction", "contact_title"),
        ("Job title", "contact_title"), ("E-mail", "email"), ("Email", "email"),
        ("Courriel", "email"), ("E-mail du contact", "email"), ("SIRET", "siret"),
        ("SIREN", "siret"), ("N° SIRET", "siret"), ("Secteur", "sector"),
        ("Secteur d'activité", "sector"), ("Industry", "sector"), ("Code NAF", "sector"),
        ("Effectif", "employees"), ("Employees", "employees"),
        ("Tranche d'effectif", "employees"), ("Site web", "website"), ("Website", "website"),
        ("Prénom", "first_name"), ("Nom", "last_name"), ("Adresse", None), ("Fax", None),
        ("Commentaire", None),
    ],
)  # fmt: skip
def test_header_variants(header: str, field: str | None):
    assert field_for(header) == field


def test_english_file_with_title_lines_and_unknown_columns(tmp_path: Path, store: Store):
    rows = [
        ["Lead list - exported 2026-11-02", "", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["Company Name", "Phone Number", "Town", "Zip Code", "First name", "Last name",
         "Revenue", ""],
        ["ACME Ltd", "+44 20 7946 0958", "London", "EC1A 1BB", "Jane", "Doe", "5M", "vip"],
        ["", "", "", "", "", ""],
        ["Initech", "01 42 68 53 00", "Paris", "75008", "", "Lumbergh", "", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "english.csv", rows, separator=",")
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert report.header_row == 4
    assert report.rows_read == 2  # the blank line between them is not a row
    assert report.mapping["phone"] == "Phone Number"
    first, second = leads(store)
    assert (first["company"], first["phone_e164"], first["city"]) == (
        "ACME Ltd", "+442079460958", "London"
    )  # fmt: skip
    assert first["contact_name"] == "Jane Doe"
    assert json.loads(first["extra"]) == {"Revenue": "5M", "column 8": "vip"}
    assert second["contact_name"] == "Lumbergh"


def test_lone_nom_column_is_the_company(tmp_path: Path, store: Store):
    path = write_csv(tmp_path / "n.csv", [["Nom", "Tel"], ["Garage Martin", "0142685300"]])
    import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    assert leads(store)[0]["company"] == "Garage Martin"


def test_parse_mapping():
    assert parse_mapping([]) == {}
    assert parse_mapping(["phone=Tél. standard", 'company="Nom légal"', "Contact-Name=Qui"]) == {
        "phone": "Tél. standard",
        "company": "Nom légal",
        "contact_name": "Qui",
    }
    with pytest.raises(UserError, match="expected FIELD=COLUMN"):
        parse_mapping(["phone"])
    with pytest.raises(UserError, match="unknown field 'fax'"):
        parse_mapping(["fax=Télécopie"])


def test_map_overrides_detection(tmp_path: Path, store: Store):
    rows = [
        ["Société", "Tél. standard", "Ligne du DSI"],
        ["Alpha", "01 42 68 53 00", "06 12 34 56 78"],
    ]
    path = write_csv(tmp_path / "m.csv", rows)
    report = import_file(
        store, path, campaign="c", mapping={"phone": "ligne du dsi"}, actor=A_SUPERVISOR
    )
    assert report.mapping["phone"] == "Ligne du DSI"
    lead = leads(store)[0]
    assert lead["phone_e164"] == "+33612345678"
    assert json.loads(lead["extra"]) == {"Tél. standard": "01 42 68 53 00"}


def test_map_names_a_column_of_a_file_without_phone_header(tmp_path: Path, store: Store):
    # Half the cells are no number: too few for the column to be told a phone by content.
    rows = [["Société", "Numéro à appeler"], ["Alpha", "01 42 68 53 00"], ["Beta", "voir site"],
            ["Gamma", "n.c."]]  # fmt: skip
    path = write_csv(tmp_path / "m.csv", rows)
    with pytest.raises(UserError, match="no phone column"):
        import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    report = import_file(
        store, path, campaign="c", mapping={"phone": "Numéro à appeler"}, actor=A_SUPERVISOR
    )
    assert report.imported == 1
    with pytest.raises(UserError, match="--map columns phone='Appeler'"):
        import_file(store, path, campaign="c", mapping={"phone": "Appeler"}, actor=A_SUPERVISOR)


# Phones, duplicates, suppression, provenance


def test_every_phone_spelling_in_one_file(tmp_path: Path, store: Store):
    spellings = ["01 42 68 53 01", "01.42.68.53.02", "01-42-68-53-03", "0142685304",
                 "+33 1 42 68 53 05", "+33 (0)1 42 68 53 06", "0033 1 42 68 53 07",
                 "Tél : 01 42 68 53 08", "142685309", "142685310.0", "0590 82 12 34",
                 "0262 21 23 45"]  # fmt: skip
    rows = [["Société", "Téléphone"]] + [[f"S{i}", cell] for i, cell in enumerate(spellings)]
    report = import_file(
        store, write_csv(tmp_path / "p.csv", rows), campaign="c", actor=A_SUPERVISOR
    )
    assert report.imported == len(spellings)
    stored = leads(store)
    assert [lead["phone_e164"] for lead in stored[:10]] == [
        f"+331426853{i:02d}" for i in range(1, 11)
    ]
    assert stored[0]["phone_national"] == "01 42 68 53 01"
    guadeloupe, reunion = stored[10], stored[11]
    assert (guadeloupe["phone_e164"], guadeloupe["timezone"]) == (
        "+590590821234", "America/Guadeloupe"
    )  # fmt: skip
    assert (reunion["phone_e164"], reunion["timezone"]) == ("+262262212345", "Indian/Reunion")
    assert {lead["phone_type"] for lead in stored} == {"fixed"}


def test_region_option(tmp_path: Path, store: Store):
    rows = [["Société", "Téléphone"], ["Bruxelles SA", "02 555 12 12"]]
    path = write_csv(tmp_path / "be.csv", rows)
    assert import_file(store, path, campaign="fr", actor=A_SUPERVISOR).invalid_phone == 1
    report = import_file(store, path, campaign="be", region="be", actor=A_SUPERVISOR)
    assert report.imported == 1
    assert leads(store)[0]["phone_e164"] == "+3225551212"
    with pytest.raises(UserError, match="unknown phone region 'XX'"):
        import_file(store, path, campaign="be", region="XX", actor=A_SUPERVISOR)


def test_campaign_region_is_the_default(tmp_path: Path, store: Store):
    store.ensure_campaign("belgique", {"region": "BE"})
    path = write_csv(tmp_path / "be.csv", [["Société", "Tél"], ["B", "02 555 12 12"]])
    assert import_file(store, path, campaign="belgique", actor=A_SUPERVISOR).imported == 1


def test_duplicates_in_the_file_and_in_the_database(tmp_path: Path, store: Store):
    first = write_csv(tmp_path / "a.csv", [["Société", "Tél"], ["Alpha", "01 42 68 53 00"]])
    import_file(store, first, campaign="a", actor=A_SUPERVISOR)
    rows = [
        ["Société", "Tél"],
        ["Alpha bis", "+33 1 42 68 53 00"],  # already in the database
        ["Beta", "06 12 34 56 78"],
        ["Beta encore", "06.12.34.56.78"],  # earlier in this file
    ]
    rejects = tmp_path / "rejects.csv"
    report = import_file(store, write_csv(tmp_path / "b.csv", rows), campaign="b",
                         rejects_path=rejects, actor=A_SUPERVISOR)  # fmt: skip
    assert (report.rows_read, report.imported, report.duplicates) == (3, 1, 2)
    rejected = list(csv.reader(rejects.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rejected[0][:5] == ["line", "reason", "phone_e164", "existing_company", "Société"]
    assert rejected[1][:5] == ["2", "duplicate", "'+33142685300", "Alpha", "Alpha bis"]
    assert rejected[2][:5] == ["4", "duplicate", "'+33612345678", "Beta", "Beta encore"]


def test_reimport_imports_nothing(tmp_path: Path, store: Store):
    path = write_csv(tmp_path / "achat.csv", [HEADER, *ROWS])
    first = import_file(store, path, campaign="c", source="Vendor X", actor=A_SUPERVISOR)
    second = import_file(store, path, campaign="c", source="Vendor X", actor=A_SUPERVISOR)
    assert (first.imported, second.imported, second.duplicates) == (3, 0, 3)
    assert store.count_leads() == 3
    batches = store.rows("SELECT * FROM import_batches ORDER BY id")
    assert [(b["imported"], b["duplicates"]) for b in batches] == [(3, 0), (0, 3)]


def test_suppressed_numbers_and_emails_are_not_imported(tmp_path: Path, store: Store):
    with store.write() as conn:
        suppress(conn, "phone", "+33142685300", "do_not_call", "alice", store.now())
        suppress(conn, "email", "Zoe@Example.FR", "opt_out", "bob", store.now())
    rows = [
        ["Société", "Tél", "E-mail"],
        ["Alpha", "01 42 68 53 00", ""],
        ["Beta", "06 12 34 56 78", "zoe@example.fr"],
        ["Gamma", "04 78 12 34 56", "other@example.fr"],
    ]
    report = import_file(
        store, write_csv(tmp_path / "s.csv", rows), campaign="c", actor=A_SUPERVISOR
    )
    assert (report.imported, report.suppressed, report.duplicates) == (1, 2, 0)
    assert [lead["company"] for lead in leads(store)] == ["Gamma"]
    rejected = Path(report.rejects_file).read_text(encoding="utf-8-sig")
    assert rejected.count('"suppressed"') == 2


def test_provenance_and_batch(tmp_path: Path, store: Store):
    path = write_csv(tmp_path / "leads.csv", [HEADER, *ROWS])
    report = import_file(store, path, campaign="Printemps", source="Vendor X", actor=A_SUPERVISOR)
    lead = leads(store)[0]
    assert lead["source"] == "leads.csv (Vendor X)"
    assert lead["batch_id"] == report.batch_id
    assert lead["campaign_id"] == store.campaign("Printemps")["id"]
    assert lead["email"] == "helene@sge.fr"
    assert lead["contact_name"] == "Hélène Dupré"
    batch = store.row("SELECT * FROM import_batches WHERE id = ?", (report.batch_id,))
    assert (batch["file_name"], batch["source"], batch["rows_read"], batch["imported"]) == (
        "leads.csv", "Vendor X", 3, 3
    )  # fmt: skip
    import_file(store, write_csv(tmp_path / "other.csv", [["Société", "Tél"], ["Z", "0612345679"]]),
                campaign="Printemps", actor=A_SUPERVISOR)  # fmt: skip
    assert leads(store)[-1]["source"] == "other.csv"


def test_rejects_file_for_excel(tmp_path: Path, store: Store):
    rows = [["Société", "Tél"], ['=HYPERLINK("http://x")', "N/A"], ["Alpha", "0142685300"]]
    report = import_file(
        store, write_csv(tmp_path / "r.csv", rows), campaign="c", actor=A_SUPERVISOR
    )
    target = Path(report.rejects_file)
    assert target.parent == store.path.parent
    assert target.name == f"r-rejects-{report.batch_id}.csv"
    assert target.stat().st_mode & 0o777 == 0o600
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert '"2";"invalid_phone";"";"";"\'=HYPERLINK(""http://x"")";"N/A"' in raw.decode("utf-8-sig")


def test_no_rejects_no_file_unless_asked(tmp_path: Path, store: Store):
    path = write_csv(tmp_path / "ok.csv", [["Société", "Tél"], ["A", "0142685300"]])
    assert import_file(store, path, campaign="c", actor=A_SUPERVISOR).rejects_file is None
    asked = tmp_path / "out" / "rejects.csv"
    path2 = write_csv(tmp_path / "ok2.csv", [["Société", "Tél"], ["B", "0142685301"]])
    assert import_file(
        store, path2, campaign="c", rejects_path=asked, actor=A_SUPERVISOR
    ).rejects_file == str(asked)
    assert asked.read_text(encoding="utf-8-sig").count("\n") == 1


def test_report_json_and_summary(tmp_path: Path, store: Store):
    path = write_csv(tmp_path / "leads.csv", [HEADER, *ROWS, ["X", "n.c.", "", "", "", "", ""]])
    report = import_file(store, path, campaign="c", actor=A_SUPERVISOR)
    figures = report.as_json()
    assert {k: figures[k] for k in ("rows_read", "imported", "duplicates", "invalid_phone",
                                    "suppressed")} == {  # fmt: skip
        "rows_read": 4, "imported": 3, "duplicates": 0, "invalid_phone": 1, "suppressed": 0
    }  # fmt: skip
    assert figures["rejects_file"] == report.rejects_file
    text = report.summary()
    assert "4 rows read: 3 imported" in text
    assert "UTF-8, semicolon separator, header on line 1" in text
    assert "phone <- 'Téléphone'" in text


def test_progress_callback_and_quiet_bar(tmp_path: Path, store: Store, capsys):
    seen: list[tuple[int, int]] = []
    path = write_csv(tmp_path / "p.csv", [HEADER, *ROWS])
    import_file(
        store,
        path,
        campaign="c",
        progress=True,
        on_progress=lambda d, t: seen.append((d, t)),
        actor=A_SUPERVISOR,
    )
    assert seen[-1][0] == seen[-1][1]  # the last report says the work is done
    assert capsys.readouterr().err == ""  # under a second: no bar


def test_progress_bar_after_a_second(monkeypatch, capsys):
    bar = batch.Progress("importing big.csv", True, None)
    bar.started -= 5
    bar.update(50, 100)
    bar.close()
    err = capsys.readouterr().err
    assert err.startswith("\rimporting big.csv [###############") and " 50%" in err
    assert err.endswith("\n")


def test_phones_parsed_in_helper_processes(monkeypatch):
    monkeypatch.setattr(phone_pool.os, "cpu_count", lambda: 3)
    cells = [f"01 42 68 {i // 100:02d} {i % 100:02d}" for i in range(300)] + ["N/A"] * 5
    with phone_pool.PhonePool("FR", phone_pool.HELPER_MIN_ROWS) as pool:
        assert len(pool.helpers) == 2
        pool.submit(cells)
        parsed = pool.result()
        # Two chunks through the same helpers: they live for the whole import.
        pool.submit(cells[:50])
        again = pool.result()
    assert parsed[:2] == [
        ("+33142680000", "01 42 68 00 00", "fixed", "Europe/Paris", "FR"),
        ("+33142680001", "01 42 68 00 01", "fixed", "Europe/Paris", "FR"),
    ]
    assert parsed[299][0] == "+33142680299" and parsed[-1] is None
    assert again == parsed[:50]
    # The helpers really answered: a pool that fell back to this process would pass the
    # checks above too.
    assert pool.helped == round(301 * 2 / 2.5) + round(50 * 2 / 2.5)


def test_helper_failure_falls_back_to_this_process(monkeypatch):
    monkeypatch.setattr(phone_pool.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(phone_pool.sys, "executable", "/nonexistent/python")
    cells = [f"01 42 68 53 {i:02d}" for i in range(40)]
    with phone_pool.PhonePool("FR", phone_pool.HELPER_MIN_ROWS) as pool:
        pool.submit(cells)
        assert [p[0] for p in pool.result()] == [f"+331426853{i:02d}" for i in range(40)]
    assert pool.helped == 0


# Bad files: one line naming the file, exit 2, database unchanged


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    def put(name: str, data: bytes) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return {
        "garbage": (put("garbage.csv", bytes(range(256)) * 40), "binary content"),
        "empty": (put("empty.csv", b""), "the file is empty"),
        "blank": (put("blank.csv", b"\r\n ; ;\r\n\r\n"), "the file is empty"),
        "header only": (
            put("header.csv", "Raison sociale;Téléphone\r\n;\r\n".encode("cp1252")),
            "no data rows below the header (line 1)",
        ),
        "fake xlsx": (
            put("fake.xlsx", b"Raison sociale;Telephone\r\nA;0142685300\r\n"),
            "not a real .xlsx spreadsheet (it holds text)",
        ),
        "broken zip": (
            put("broken.xlsx", b"PK\x03\x04" + b"\x00garbage" * 50),
            "not a readable .xlsx spreadsheet",
        ),  # fmt: skip
        "no phone column": (
            put("nophone.csv", b"Raison sociale;Ville\r\nACME;Lyon\r\n"),
            "no phone column found among 2 columns on line 1",
        ),
        "missing": (folder / "missing.csv", "no such file"),
        "folder": (folder, "is a folder"),
    }


@pytest.mark.parametrize(
    "case",
    ["garbage", "empty", "blank", "header only", "fake xlsx", "broken zip", "no phone column",
     "missing", "folder"],
)  # fmt: skip
def test_bad_files_exit_2_and_change_nothing(tmp_path: Path, capsys, case: str):
    database = tmp_path / "db" / "prospect.db"
    good = write_csv(tmp_path / "good.csv", [HEADER, *ROWS])
    assert main(["--db", str(database), "import", str(good), "--json"]) == 0
    capsys.readouterr()
    store = Store(database)
    before = snapshot(store)
    files_before = sorted(database.parent.iterdir())
    path, reason = bad_files(tmp_path / "in" if case != "folder" else tmp_path)[case]

    assert main(["--db", str(database), "import", str(path), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("prospect: error: ")
    assert str(path) in err and reason in err
    assert snapshot(store) == before
    assert sorted(database.parent.iterdir()) == files_before
    store.close()


@pytest.fixture(autouse=True)
def _input_folder(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()


def test_failure_while_writing_rolls_everything_back(tmp_path: Path, store: Store):
    path = write_csv(tmp_path / "new.csv", [HEADER, *ROWS, ["Bad", "n.c.", "", "", "", "", ""]])
    before = snapshot(store)
    folder = tmp_path / "a folder"
    folder.mkdir()
    with pytest.raises(UserError, match="not a regular file"):
        import_file(store, path, campaign="brand new", rejects_path=folder, actor=A_SUPERVISOR)
    assert snapshot(store) == before
    assert store.campaign_names() == []


def test_cli_json_report(tmp_path: Path, capsys):
    path = write_csv(tmp_path / "leads.csv", [HEADER, *ROWS])
    database = tmp_path / "p.db"
    code = main(["--db", str(database), "import", str(path), "--source", "Vendor X",
                 "--campaign", "Q4", "--json"])  # fmt: skip
    assert code == 0
    out, err = capsys.readouterr()
    figures = json.loads(out)
    assert set(figures) >= {"rows_read", "imported", "duplicates", "invalid_phone",
                            "suppressed", "rejects_file"}  # fmt: skip
    assert (figures["imported"], figures["campaign"], err) == (3, "Q4", "")


def test_cli_map_region_rejects_and_summary(tmp_path: Path, capsys):
    rows = [["Société", "Numéro"], ["Bruxelles SA", "02 555 12 12"], ["X", "?"]]
    path = write_csv(tmp_path / "be.csv", rows)
    rejects = tmp_path / "r.csv"
    code = main(["--db", str(tmp_path / "p.db"), "import", str(path), "--map", "phone=Numéro",
                 "--region", "BE", "--rejects", str(rejects)])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "2 rows read: 1 imported" in out and str(rejects) in out
    assert rejects.exists()


# The purchased files of ../shared/data and the demo list


@pytest.mark.parametrize("name", ["leads_fr_excel_2000.csv", "leads_office_1000.xlsx"])
def test_shared_purchased_files_give_the_expected_figures(
    tmp_path: Path, shared_data: Path, name: str
):
    expected = json.loads((shared_data / "expected.json").read_text(encoding="utf-8"))[name]
    store = Store(tmp_path / f"{name}.db")
    report = import_file(store, shared_data / name, campaign="achat", actor=A_SUPERVISOR)
    assert {key: report.as_json()[key] for key in expected} == expected
    assert store.count_leads() == expected["imported"]
    store.close()


def test_make_leads_is_reproducible_and_made_the_demo_list(tmp_path: Path):
    made = tmp_path / "demo.csv"
    script = ROOT / "scripts" / "make_leads.py"
    subprocess.run([sys.executable, str(script), "-n", "300", "-o", str(made)], check=True)
    assert made.read_bytes() == (ROOT / "data" / "demo_leads.csv").read_bytes()
    made.read_bytes().decode("cp1252")


def test_demo_database(tmp_path: Path):
    path = tmp_path / "demo.db"
    store = build_demo(path)
    campaign = store.campaign("demo")
    assert campaign_settings(campaign)["calling_hours"] == "off"
    count = store.count_leads(campaign["id"])  # the demo campaign, not the questionnaire ones
    assert 250 <= count <= 300
    lead = leads(store)[0]
    assert lead["source"].startswith("demo_leads.csv (")
    assert json.loads(lead["extra"]).get("Adresse")
    store.close()
    again = build_demo(path)  # rebuilt from scratch, not added to
    assert again.count_leads(campaign["id"]) == count
    again.close()
