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
from prospect_tui.core.importing import MissingCompany, field_for, read_lead_file
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


# Public files as a list buyer meets them (first rows, a few columns trimmed) and hand-made
# cases: the decision must be the one a person would make, with its reasons printed.

CONTROLE_TECHNIQUE = [
    ["cct_code", "cct_denomination", "cct_adresse", "cct_code_commune", "cct_tel", "cct_url",
     "cct_siret", "cat_vehicule_libelle", "cat_energie_libelle", "prix_visite", "code_postal",
     "reg_name", "dep_name"],
    ["S059A001", "AUTOSUR CONTROLE TECHNIQUE LILLE", "12 RUE DE LA GARE", "59350", "0320123456",
     "www.autosur.fr", "41234567800012", "Véhicule particulier", "Essence", "78", "59000",
     "Hauts-de-France", "Nord"],
    ["S069B014", "SARL CONTROLE AUTO LYON 8", "3 AVENUE PAUL SANTY", "69388", "0478745612",
     "", "52345678900023", "Véhicule particulier", "Diesel", "82", "69008",
     "Auvergne-Rhône-Alpes", "Rhône"],
    ["S075C220", "DEKRA GARAGE DES TERNES", "40 RUE BAYEN", "75117", "0145720011",
     "www.dekra-norisko.fr", "63456789000034", "Véhicule particulier", "Essence", "89", "75017",
     "Île-de-France", "Paris"],
]  # fmt: skip


def test_vehicle_inspection_directory_company_from_its_denomination(tmp_path: Path, capsys):
    path = write(tmp_path / "controle_technique.csv", CONTROLE_TECHNIQUE)
    report, leads = imported(tmp_path, path, capsys)
    assert report["mapping"]["company"] == "cct_denomination"
    assert report["mapping"]["phone"] == "cct_tel"
    assert report["mapping"]["postcode"] == "code_postal"
    assert "city" not in report["mapping"]  # cct_code_commune holds INSEE codes
    assert [lead["company"] for lead in leads] == [row[1] for row in CONTROLE_TECHNIQUE[1:]]
    decided = {pick["field"]: pick for pick in report["columns"]}
    assert decided["company"] == {
        "field": "company",
        "column": "cct_denomination",
        "reason": "name: dénomination; 100 % organisation names",
    }
    assert decided["phone"]["reason"] == "name: tél; 100 % valid phone numbers"
    # The same decision in the plain summary.
    database = tmp_path / "again.db"
    assert main(["--db", str(database), "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "company <- 'cct_denomination' (name: dénomination; 100 % organisation names)" in out


VACCINATION = [
    ["gid", "nom", "arrete_pref_numero", "xy_precis", "id_adr", "adr_num", "adr_voie", "com_cp",
     "com_insee", "com_nom", "lat_coor1", "long_coor1", "structure_siren", "structure_type",
     "structure_rais", "structure_num", "structure_voie", "structure_cp", "structure_insee",
     "structure_com", "_userid_creation", "_userid_modification", "_edit_datemaj",
     "lieu_accessibilite", "rdv_lundi", "rdv_mardi", "rdv_tel", "rdv_tel2", "rdv_site_web"],
    ["1", "Centre de vaccination de Bourg-en-Bresse", "2021-01-07-001", "t", "01053_0490",
     "900", "Route de Paris", "01000", "01053", "Bourg-en-Bresse", "46.2079", "5.2293",
     "260100732", "Public", "CENTRE HOSPITALIER DE BOURG EN BRESSE", "900", "Route de Paris",
     "01000", "01053", "Bourg-en-Bresse", "12", "12", "2021-01-12 10:32:45", "oui",
     "08:00-18:00", "08:00-18:00", "04 74 45 41 00", "", "https://www.sante.fr"],
    ["2", "Salle des fêtes de Belley", "2021-01-07-002", "t", "01034_0120", "2",
     "Boulevard du Mail", "01300", "01034", "Belley", "45.7597", "5.6870", "200040574",
     "Commune", "COMMUNAUTE DE COMMUNES BUGEY SUD", "34", "Grande Rue", "01300", "01034",
     "Belley", "12", "", "2021-01-13 09:10:02", "oui", "09:00-17:00", "", "04 79 81 29 06",
     "04 79 81 29 07", ""],
]  # fmt: skip


def test_vaccination_centres_keep_their_town(tmp_path: Path, capsys):
    report, leads = imported(tmp_path, write(tmp_path / "centres.csv", VACCINATION, ","), capsys)
    mapping = report["mapping"]
    assert (mapping["company"], mapping["city"], mapping["postcode"], mapping["phone"]) == (
        "nom", "com_nom", "com_cp", "rdv_tel"
    )  # fmt: skip
    first = leads[0]
    assert (first["company"], first["city"], first["postcode"], first["phone_e164"]) == (
        "Centre de vaccination de Bourg-en-Bresse", "Bourg-en-Bresse", "01000", "+33474454100"
    )  # fmt: skip
    decided = {pick["field"]: pick["reason"] for pick in report["columns"]}
    assert decided["city"] == "name: a place's name; 100 % place names"


def test_duplicate_headers_the_column_with_values_wins(tmp_path: Path, capsys):
    rows = [["Raison sociale", "Raison sociale", "SIRET", "SIRET", "Téléphone", "Téléphone"],
            ["", "Garage Martin", "", "41234567800012", "", "04 78 12 34 56"],
            ["", "Hôtel du Parc", "", "52345678900023", "", "01 45 67 89 10"]]  # fmt: skip
    report, leads = imported(tmp_path, write(tmp_path / "doublons.csv", rows), capsys)
    assert report["mapping"]["company"] == "Raison sociale (2)"
    assert report["mapping"]["siret"] == "SIRET (4)"
    assert report["mapping"]["phone"] == "Téléphone (6)"
    assert [(lead["company"], lead["siret"]) for lead in leads] == [
        ("Garage Martin", "41234567800012"), ("Hôtel du Parc", "52345678900023")
    ]  # fmt: skip


def test_abbreviated_name_columns(tmp_path: Path, capsys):
    rows = [["siren", "nomoff", "cp", "lib_com", "tel"],
            ["412345678", "CABINET DURAND ET ASSOCIES", "69003", "Lyon", "04 78 12 34 56"],
            ["523456789", "PHARMACIE DU CENTRE", "75011", "Paris", "01 45 67 89 10"]]  # fmt: skip
    report, leads = imported(tmp_path, write(tmp_path / "sirene.csv", rows), capsys)
    assert report["mapping"]["company"] == "nomoff"
    assert report["mapping"]["city"] == "lib_com"
    assert [(lead["company"], lead["city"]) for lead in leads] == [
        ("CABINET DURAND ET ASSOCIES", "Lyon"), ("PHARMACIE DU CENTRE", "Paris")
    ]  # fmt: skip


TOWN_HALLS = [["code_insee", "lib_com", "cp", "adresse", "tel", "mail"],
              ["69123", "Lyon", "69001", "1 place de la Comédie", "04 72 10 30 30",
               "contact@mairie-lyon.fr"],
              ["69266", "Villeurbanne", "69100", "place Lazare-Goujon", "04 78 03 67 67",
               "contact@mairie-villeurbanne.fr"]]  # fmt: skip


def test_town_halls_by_town_are_proposed_then_imported_with_map(tmp_path: Path, capsys):
    path = write(tmp_path / "mairies.csv", TOWN_HALLS)
    assert main(["--db", str(tmp_path / "p.db"), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no company column found" in err
    assert "best candidate 'lib_com' (the only names are places)" in err
    assert err.endswith('import with --map company="lib_com"\n')
    report, leads = imported(tmp_path, path, capsys, "--map", 'company="lib_com"')
    assert [lead["company"] for lead in leads] == ["Lyon", "Villeurbanne"]
    assert {"field": "company", "column": "lib_com", "reason": "--map"} in report["columns"]


def test_english_crm_export_with_preamble_lines(tmp_path: Path, capsys):
    rows = [["Deals and organizations export"], ["Generated 2026-11-20 by Sam (sales)"], [],
            ["Organization - Name", "Person - Name", "Person - Phone - Work",
             "Person - Email - Work", "Organization - City", "Organization - ZIP code",
             "Deal - Value"],
            ["Initech Ltd", "Peter Gibbons", "+33 1 42 68 53 00", "peter@initech.example",
             "Paris", "75008", "12000"],
            ["Globex Corp", "Hank Scorpio", "+33 4 78 12 34 56", "hank@globex.example", "Lyon",
             "69003", "8000"],
            ["Umbrella SAS", "Alice Marchal", "+33 5 56 12 34 56", "", "Bordeaux", "33000", "500"],
            ["Hooli Inc", "Gavin Belson", "+33 3 88 12 34 56", "", "Strasbourg", "67000", "900"],
            ]  # fmt: skip
    report, leads = imported(tmp_path, write(tmp_path / "pipedrive.csv", rows, ","), capsys)
    assert report["header_row"] == 4
    assert report["mapping"] == {
        "phone": "Person - Phone - Work", "email": "Person - Email - Work",
        "company": "Organization - Name", "city": "Organization - City",
        "postcode": "Organization - ZIP code", "contact_name": "Person - Name",
    }  # fmt: skip
    assert (leads[0]["company"], leads[0]["contact_name"]) == ("Initech Ltd", "Peter Gibbons")


def test_a_name_column_that_names_no_organisation_is_proposed_not_taken(tmp_path: Path):
    rows = [["cat_vehicule_libelle", "tel"], ["Véhicule particulier", "04 78 12 34 56"],
            ["Véhicule particulier", "01 45 67 89 10"]]  # fmt: skip
    with pytest.raises(MissingCompany) as refused:
        read_lead_file(write(tmp_path / "prix.csv", rows))
    assert refused.value.column is None


def test_organisations_under_an_unknown_header_are_taken_by_content(tmp_path: Path):
    rows = [["Destinataire", "N°"], ["Mairie de Bron", "04 72 36 13 13"],
            ["Garage du Centre", "04 78 12 34 56"], ["SARL Dupuis", "01 45 67 89 10"]]  # fmt: skip
    lead_file = read_lead_file(write(tmp_path / "envoi.csv", rows))
    assert lead_file.mapping_names()["company"] == "Destinataire"
    assert lead_file.reasons["company"] == "100 % organisation names"
