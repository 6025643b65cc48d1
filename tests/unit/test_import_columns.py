"""Columns recognised by header and content, on small copies of real exports.

Each case is one that went wrong on a real file: the test writes a few rows shaped like it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core.importing import field_for, read_lead_file
from prospect_tui.core.store import Store


def write(path: Path, rows: list[list[str]], separator: str = ";") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def imported(tmp_path: Path, path: Path, capsys, *extra: str) -> tuple[dict, list[dict]]:
    database = tmp_path / "p.db"
    assert main(["--db", str(database), "import", str(path), "--json", *extra]) == 0
    report = json.loads(capsys.readouterr().out)
    store = Store(database)
    leads = store.rows("SELECT * FROM leads ORDER BY id")
    store.close()
    return report, leads


@pytest.mark.parametrize(
    ("header", "field"),
    [("rs", "company"), ("RS", "company"), ("Dénomination", "company"), ("Enseigne", "company"),
     ("name", "company"), ("Établissement", "company"), ("tel2", "phone"), ("Tél", "phone"),
     ("Portable", "phone"), ("postalCode", "postcode"), ("addressLocality", "city"),
     ("Localité", "city"), ("mail", "email"), ("Fax", None), ("Fax 2", None)],
)  # fmt: skip
def test_header_names_and_abbreviations(header: str, field: str | None):
    assert field_for(header) == field


def test_rs_is_the_company(tmp_path: Path, capsys):
    rows = [["rs", "cp", "ville", "tel"], ["Garage Martin", "69003", "Lyon", "04 78 12 34 56"],
            ["Boulangerie Élise", "75011", "Paris", "01 45 67 89 10"]]  # fmt: skip
    report, leads = imported(tmp_path, write(tmp_path / "annuaire.csv", rows), capsys)
    assert report["mapping"]["company"] == "rs"
    assert [lead["company"] for lead in leads] == ["Garage Martin", "Boulangerie Élise"]


def test_english_export_with_a_contact_form_of_urls(tmp_path: Path, capsys):
    rows = [
        ["name", "telephone", "postalCode", "addressLocality", "contact_form"],
        ["Initech", "+33 1 42 68 53 00", "75008", "Paris", "https://initech.example/contact"],
        ["Globex", "+33 4 78 12 34 56", "69003", "Lyon", "https://globex.example/form"],
    ]
    report, leads = imported(tmp_path, write(tmp_path / "scraped.csv", rows, ","), capsys)
    assert report["mapping"]["company"] == "name"
    assert report["mapping"]["postcode"] == "postalCode"
    assert report["mapping"]["city"] == "addressLocality"
    assert "contact_name" not in report["mapping"]
    first = leads[0]
    assert (first["company"], first["postcode"], first["city"], first["contact_name"]) == (
        "Initech", "75008", "Paris", ""
    )  # fmt: skip
    assert json.loads(first["extra"]) == {"contact_form": "https://initech.example/contact"}


def test_open_data_directory_words_beat_codes(tmp_path: Path, capsys):
    # The shape of the French schools directory: identifiers, INSEE codes and GPS positions.
    rows = [
        ["Identifiant_de_l_etablissement", "Nom_etablissement", "Code_commune", "Nom_commune",
         "Telephone", "position"],
        ["0350001A", "Lycée Jean Macé", "35238", "Rennes", "02 99 87 65 43",
         "48.1113, -1.6800"],
        ["0690002B", "Collège Ampère", "69383", "Lyon 3e Arrondissement", "04 78 12 34 56",
         "45.7597, 4.8422"],
    ]  # fmt: skip
    report, leads = imported(tmp_path, write(tmp_path / "annuaire_education.csv", rows), capsys)
    assert report["mapping"]["company"] == "Nom_etablissement"
    assert report["mapping"]["city"] == "Nom_commune"
    assert "contact_title" not in report["mapping"]
    first = leads[0]
    assert (first["company"], first["city"], first["contact_title"]) == (
        "Lycée Jean Macé", "Rennes", ""
    )  # fmt: skip
    assert json.loads(first["extra"])["position"] == "48.1113, -1.6800"


def test_the_phone_column_with_most_valid_numbers_wins(tmp_path: Path, capsys):
    rows = [["Société", "tel", "tel2"], ["Alpha", "n.c.", "01 42 68 53 00"],
            ["Beta", "", "06 12 34 56 78"],
            ["Gamma", "04 78 12 34 56", "04 78 12 34 57"]]  # fmt: skip
    report, leads = imported(tmp_path, write(tmp_path / "deux.csv", rows), capsys)
    assert report["mapping"]["phone"] == "tel2"
    assert report["imported"] == 3
    assert json.loads(leads[2]["extra"]) == {"tel": "04 78 12 34 56"}  # kept, shown on the card


def test_map_still_overrides_content(tmp_path: Path, capsys):
    rows = [["Société", "tel", "tel2"], ["Alpha", "04 78 12 34 56", "01 42 68 53 00"],
            ["Beta", "n.c.", "06 12 34 56 78"]]  # fmt: skip
    report, leads = imported(
        tmp_path, write(tmp_path / "m.csv", rows), capsys, "--map", "phone=tel"
    )
    assert report["mapping"]["phone"] == "tel"
    assert report["imported"] == 1 and leads[0]["phone_e164"] == "+33478123456"


def test_no_company_column_is_refused_with_the_count_of_columns_seen(tmp_path: Path, capsys):
    rows = [["Code", "Téléphone", "Ville"], ["A12", "01 42 68 53 00", "Paris"]]
    path = write(tmp_path / "sans_nom.csv", rows)
    assert main(["--db", str(tmp_path / "p.db"), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"prospect: error: {path}: no company column found among 3 columns on line 1; "
        "best candidate 'Ville' (the only names are places): "
        'if right, import with --map company="Ville"\n'
    )
    report, leads = imported(tmp_path, path, capsys, "--map", "company=Code")
    assert leads[0]["company"] == "A12"


def test_a_contact_name_alone_is_enough(tmp_path: Path):
    rows = [["Nom du contact", "Portable"], ["Hélène Dupré", "06 12 34 56 78"]]
    lead_file = read_lead_file(write(tmp_path / "contacts.csv", rows))
    assert lead_file.mapping_names() == {"contact_name": "Nom du contact", "phone": "Portable"}
