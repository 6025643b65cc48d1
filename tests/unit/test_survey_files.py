"""Survey files an analyst opens as they are: the demo satisfaction survey's answers read back
as SPSS, Stata and xlsx, the whole sample against the AAPOR table, and the key kept apart."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime

import pyreadstat
import pytest
from openpyxl import load_workbook

from prospect_tui.cli import main
from prospect_tui.core.cells import restore_cell
from prospect_tui.core.demo import build_demo
from prospect_tui.core.dialing import Dialer
from prospect_tui.core.questionnaires.model import Answer
from prospect_tui.core.questionnaires.storage import close_interview, give_answer, load_interview
from prospect_tui.core.questionnaires.survey_files import variable_names
from prospect_tui.core.store import Store
from tests.unit.test_exporter import _office_reads, _soffice

CAMPAIGN = "demo-satisfaction"
SCORES = ("accueil", "delais", "qualite", "conseil", "suivi")
# Lead number on the survey -> (answers after the intro, outcomes of its calls; the last closes
# the interview)
HISTORY = {
    1: ({"accueil": 5.0, "delais": 4.0, "qualite": 3.0, "conseil": 4.0, "suivi": 5.0,
         "note_globale": 9.0, "projet": "yes", "projet_type": ("postes", "serveurs")},
        ["completed"]),
    2: ({"accueil": "dont_know", "delais": 2.0, "qualite": 4.0, "conseil": 3.0, "suivi": 4.0,
         "decu": "Livraisons en retard", "note_globale": 6.0, "projet": "no"},
        ["no_answer", "completed"]),
    3: ({"accueil": 4.0, "delais": 5.0, "qualite": 5.0, "conseil": "refused", "suivi": 3.0,
         "note_globale": 8.0, "projet": "yes", "projet_type": ("aucun",)}, ["completed"]),
    4: ({"accueil": 3.0}, ["refused"]),  # a break-off
    5: ({}, ["no_answer", "busy"]),
    6: ({}, ["wrong_number"]),
    7: ({}, ["refused"]),
}  # fmt: skip


@pytest.fixture
def demo(tmp_path, clock):
    """The demo database with a few interviews of the satisfaction survey."""
    build_demo(tmp_path / "demo.db")
    store = Store(tmp_path / "demo.db", clock=clock)
    campaign = store.campaign(CAMPAIGN)
    dialer = Dialer(store, "alice", campaign)
    leads = store.rows("SELECT id FROM leads WHERE campaign_id = ? ORDER BY id", (campaign["id"],))
    for number, (answers, calls) in HISTORY.items():
        lead_id = leads[number - 1]["id"]
        interview = load_interview(store, lead_id, campaign["id"])
        for position, outcome in enumerate(calls):
            last = position == len(calls) - 1
            if last and answers:
                for qid, value in {"intro": None, **answers}.items():
                    missing = value if value in ("dont_know", "refused") else None
                    question = interview.version.questionnaire.question(qid)
                    give_answer(store, interview, question, Answer(None if missing else value,
                                                                   missing), "alice")  # fmt: skip
            call_id = dialer.record(lead_id, outcome, started_at=clock(), duration_s=60)
            if last and answers:
                close_interview(store, interview, call_id)
            clock.advance(minutes=7)
    return store


def export(store, *options):
    return main(["export", *options, "--campaign", CAMPAIGN, "--db", str(store.path)])


def questionnaire(store):
    from prospect_tui.core.questionnaires.storage import require_version

    return require_version(store, CAMPAIGN)[1].questionnaire


def test_spss_file_has_labels_value_labels_and_user_missing_codes(demo, tmp_path):
    path = tmp_path / "answers.sav"
    assert export(demo, "answers", "-o", str(path)) == 0
    asked = questionnaire(demo)
    data, meta = pyreadstat.read_sav(path)
    kept, _ = pyreadstat.read_sav(path, user_missing=True)
    assert len(data) == 4
    for qid in (*SCORES, "note_globale", "projet", "decu"):
        assert meta.column_names_to_labels[qid] == asked.question(qid).text
    scale = {1.0: "Pas du tout satisfait", 5.0: "Très satisfait"}
    assert scale.items() <= meta.variable_value_labels["accueil"].items()
    projet = {float(n): c.label for n, c in enumerate(asked.question("projet").choices, 1)}
    assert projet.items() <= meta.variable_value_labels["projet"].items()
    assert meta.readstat_variable_types["accueil"] == "double"
    assert list(data["accueil"][[0, 2, 3]]) == [5.0, 4.0, 3.0]  # numbers, not text
    # "Don't know" is a declared user-missing value: missing to SPSS, never a score of 98.
    assert data["accueil"].isna()[1] and kept["accueil"][1] == 98.0
    assert meta.variable_value_labels["accueil"][98.0] == "Don't know"
    _, declared = pyreadstat.read_sav(path, user_missing=True, metadataonly=True)
    assert {"lo": 98.0, "hi": 98.0} in declared.missing_ranges["accueil"]
    assert kept["conseil"][2] == 99.0 and data["conseil"].isna()[2]
    assert meta.variable_measure["accueil"] == "ordinal"
    assert meta.variable_measure["decu"] == "nominal"
    assert data["decu"][1] == "Livraisons en retard"
    assert data["answered_at"][0] == datetime(2026, 11, 23, 11, 0)  # 10:00 UTC, in Paris time
    # One 0/1 variable per choice: their sum is the number of choices made; not asked is empty.
    ticks = data[[f"projet_type__{c.code}" for c in asked.question("projet_type").choices]]
    assert list(ticks.sum(axis=1, min_count=1)[[0, 2]]) == [2.0, 1.0]
    assert ticks.iloc[1].isna().all()
    assert meta.column_names_to_labels["projet_type__serveurs"] == "Lesquels ?: Serveurs"


def test_stata_file_has_labels_and_extended_missing_values(demo, tmp_path):
    path = tmp_path / "answers.dta"
    assert export(demo, "answers", "--format", "dta", "-o", str(path)) == 0
    asked = questionnaire(demo)
    data, meta = pyreadstat.read_dta(path)
    kept, marked = pyreadstat.read_dta(path, user_missing=True)
    assert meta.column_names_to_labels["note_globale"] == asked.question("note_globale").text
    assert meta.variable_value_labels["note_globale"] == {0: "Très mauvais", 10: "Excellent"}
    assert list(data["note_globale"][:3]) == [9.0, 6.0, 8.0] and data["note_globale"].isna()[3]
    assert data["answered_at"][0] == datetime(2026, 11, 23, 11, 0)  # in Paris time
    assert data["accueil"].isna()[1] and kept["accueil"][1] == "b"  # .b: don't know
    assert kept["conseil"][2] == "c"  # .c: refused
    assert kept["projet_type__postes"].isna()[1]  # not asked: ".", not a missing code
    assert "b" in marked.missing_user_values["accueil"]
    assert marked.variable_value_labels["accueil"]["b"] == "Don't know"
    assert data["accueil"][0] == 5.0


def test_xlsx_has_numbers_dates_frozen_header_filter_and_codebook(demo, tmp_path):
    path = tmp_path / "answers.xlsx"
    assert export(demo, "answers", "-o", str(path), "--key", "client_id") == 0
    book = load_workbook(path)
    sheet = book["answers"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "client_id" and [c.value for c in sheet["A"][1:]] == [
        "C0001", "C0002", "C0003", "C0004"]  # fmt: skip
    accueil = header.index("accueil") + 1
    assert sheet.cell(row=2, column=accueil).value == 5
    assert sheet.cell(row=2, column=accueil).data_type == "n"
    assert sheet.cell(row=3, column=accueil).value == "NSP"
    answered = sheet.cell(row=2, column=header.index("answered_at") + 1).value
    assert answered == datetime(2026, 11, 23, 11, 0)  # 10:00 UTC, shown in Paris time
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
    codebook = list(book["codebook"].iter_rows(values_only=True))
    row = next(r for r in codebook if r[0] == "projet_type")
    assert row[7].startswith("projet_type__postes, projet_type__serveurs")
    assert "NSP = Don't know" in row[8]


@pytest.mark.office
def test_libreoffice_sums_a_score_column(demo, tmp_path):
    soffice = _soffice()
    path = tmp_path / "answers.xlsx"
    assert export(demo, "answers", "-o", str(path)) == 0
    book = load_workbook(path)
    sheet = book["answers"]
    header = [c.value for c in sheet[1]]
    column = sheet.cell(row=1, column=header.index("delais") + 1).column_letter
    sheet.cell(row=7, column=1).value = f"=SUM({column}2:{column}5)"
    book.save(tmp_path / "summed.xlsx")
    rows = _office_reads(soffice, tmp_path / "summed.xlsx", tmp_path, None)
    assert float(rows[6][0]) == 4 + 2 + 5  # text cells ('5') would sum to 0


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"), newline=""),
                               delimiter=";"))  # fmt: skip


def test_sample_has_every_lead_and_the_aapor_table(demo, tmp_path, capsys):
    path = tmp_path / "sample.csv"
    assert export(demo, "sample", "-o", str(path)) == 0
    rows = read_csv(path)
    leads = demo.scalar(
        "SELECT count(*) FROM leads WHERE campaign_id = ?", (demo.campaign(CAMPAIGN)["id"],)
    )
    assert len(rows) == leads == 30 and len({r["lead_id"] for r in rows}) == 30
    capsys.readouterr()
    assert main(["stats", "--campaign", CAMPAIGN, "--questions", "--json",
                 "--db", str(demo.path)]) == 0  # fmt: skip
    aapor = json.loads(capsys.readouterr().out)["aapor"]
    called = [r for r in rows if r["disposition"]]
    assert {code: sum(r["disposition"] == code for r in called) for code in aapor["counts"]} == (
        aapor["counts"]
    )
    assert len(called) == aapor["leads"] == 7
    first = rows[0]
    assert (first["disposition"], first["disposition_label"], first["interview"]) == (
        "I", "Complete interview", "completed")  # fmt: skip
    second = rows[1]
    assert second["attempts"] == "2" and second["first_call_at"] < second["last_call_at"]
    assert second["last_caller"] == "alice"
    assert rows[4]["disposition"] == "UH" and rows[4]["interview"] == ""
    assert rows[-1]["disposition_label"] == "not called" and rows[-1]["attempts"] == "0"


def test_sample_as_spss_and_stata(demo, tmp_path):
    for fmt in ("sav", "dta"):
        path = tmp_path / f"sample.{fmt}"
        assert export(demo, "sample", "-o", str(path)) == 0
        data, meta = getattr(pyreadstat, f"read_{fmt}")(path)
        assert len(data) == 30 and list(data["attempts"][:2]) == [1.0, 2.0]


def test_pseudonymised_files_hold_no_contact_and_the_key_maps_back(demo, tmp_path):
    answers, sample = tmp_path / "answers.csv", tmp_path / "sample.csv"
    assert export(demo, "answers", "-o", str(answers), "--pseudonymise", "--key", "client_id") == 0
    assert export(demo, "sample", "-o", str(sample), "--pseudonymise") == 0
    leads = demo.rows(
        "SELECT id, company, phone_e164 FROM leads WHERE campaign_id = ? ORDER BY id",
        (demo.campaign(CAMPAIGN)["id"],),
    )
    for shared in (answers, sample):
        text = shared.read_text("utf-8-sig")
        assert not any(lead["company"] in text or lead["phone_e164"] in text for lead in leads)
        assert "C0001" not in text
    key = read_csv(tmp_path / "answers-key.csv")
    assert os.stat(tmp_path / "answers-key.csv").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "sample-key.csv").st_mode & 0o777 == 0o600
    by_case = {row["case_id"]: row for row in key}
    rows = read_csv(answers)
    assert list(rows[0])[:2] == ["case_id", "caller"]
    first = by_case[rows[0]["case_id"]]
    # The project's CSV keeps a leading "+" from being read as a formula; restore_cell undoes it.
    phone = restore_cell(first["phone_e164"])
    assert (first["lead_id"], first["company"], phone, first["client_id"]) == (
        str(leads[0]["id"]), leads[0]["company"], leads[0]["phone_e164"], "C0001")  # fmt: skip
    assert len(read_csv(tmp_path / "sample-key.csv")) == 30


def test_a_key_no_lead_has_or_a_pseudonym_to_stdout_is_one_line(demo, capsys):
    assert export(demo, "answers", "--key", "client_number") == 2
    assert "no lead of the campaign has a field 'client_number'" in capsys.readouterr().err
    assert export(demo, "sample", "--pseudonymise") == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert export(demo, "answers", "--format", "sav", "--shape", "long", "-o", "x.sav") == 2


@pytest.mark.parametrize(
    ("headers", "names"),
    [
        (["accueil", "projet_type__postes"], ["accueil", "projet_type__postes"]),
        (["1ère-note", "with", "note globale"], ["v1re_note", "with_", "note_globale"]),
        (["q" * 40, "q" * 40, "Q" * 32], ["q" * 31, "q" * 29 + "_2", "Q" * 29 + "_3"]),
        (["_x", "é"], ["v_x", "v"]),
    ],
)
def test_variable_names_are_valid_for_spss_and_stata(headers, names):
    assert variable_names(headers) == names


LONG_IDS = f"""\
title = "Noms"
partial_threshold = 0.5

[[question]]
id = "in"
type = "number"
text = "Combien de postes ?"

[[question]]
id = "{"satisfaction_" * 4}"
type = "scale"
text = "{"é" * 300}"
min = 0
max = 100
"""


def test_long_ids_reserved_words_and_long_texts_still_make_valid_files(store, tmp_path):
    from prospect_tui.core.questionnaires.parse import parse_questionnaire
    from prospect_tui.core.questionnaires.storage import attach_text
    from tests.helpers import A_SUPERVISOR, add_leads

    campaign = add_leads(store, "noms", 1)
    attach_text(store, "noms", parse_questionnaire(LONG_IDS), "noms.toml", A_SUPERVISOR)
    lead = store.rows("SELECT id FROM leads")[0]["id"]
    interview = load_interview(store, lead, campaign["id"])
    asked = interview.version.questionnaire
    give_answer(store, interview, asked.questions[0], Answer(1200.0), "alice")
    give_answer(store, interview, asked.questions[1], Answer(None, "dont_know"), "alice")
    db = ["--campaign", "noms", "--db", str(store.path)]
    for fmt in ("sav", "dta"):
        path = tmp_path / f"noms.{fmt}"
        assert main(["export", "answers", "-o", str(path), *db]) == 0
        data, meta = getattr(pyreadstat, f"read_{fmt}")(path, user_missing=True)
        assert list(data.columns)[-2:] == ["in_", "satisfaction_satisfaction_satis"]
        assert data["in_"][0] == 1200.0
        assert meta.column_names_to_labels["satisfaction_satisfaction_satis"].startswith("éé")
    # A scale up to 100 moves the SPSS codes above it: 998 is "don't know", never a score.
    data, _ = pyreadstat.read_sav(tmp_path / "noms.sav", user_missing=True)
    assert data["satisfaction_satisfaction_satis"][0] == 998.0
