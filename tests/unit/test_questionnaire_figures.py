"""Figures, AAPOR rates and the answers export against a small history worked out by hand,
and a campaign built from another's results."""

from __future__ import annotations

import csv
import io
import json
import os
from zoneinfo import ZoneInfo

import pytest

from prospect_tui.cli import main
from prospect_tui.core.consent import forget, optout_lead
from prospect_tui.core.dialing import Dialer, OptIn
from prospect_tui.core.questionnaires.figures import question_figures
from prospect_tui.core.questionnaires.model import Answer
from prospect_tui.core.questionnaires.parse import parse_questionnaire
from prospect_tui.core.questionnaires.storage import (
    attach_text,
    close_interview,
    give_answer,
    load_interview,
)
from prospect_tui.core.suppression import suppress
from tests.helpers import A_SUPERVISOR, add_leads
from tests.unit.questionnaire_data import SMALL

# Lead number -> (answers given, outcomes of its calls in order; the last closes the interview)
HISTORY = {
    1: ({"accueil": 5.0, "projet": "yes", "projet_type": ("postes", "serveur"),
         "contact": "=1+1"}, ["completed"]),
    2: ({"accueil": 4.0, "projet": "no", "contact": None}, ["completed"]),
    3: ({"accueil": "dont_know", "projet": "yes", "projet_type": ("aucun",),
         "contact": "M. Blanc"}, ["completed"]),
    4: ({"accueil": 2.0}, ["callback", "refused"]),  # 1 of 2 required: partial, then refused
    5: ({}, ["no_answer", "busy", "refused"]),
    6: ({}, ["voicemail", "refused!"]),  # the refusal is undone
    7: ({}, ["wrong_number"]),
    8: ({"accueil": 1.0, "projet": "refused", "contact": None}, ["switchboard", "completed"]),
}  # fmt: skip


@pytest.fixture
def history(store, clock):
    campaign = add_leads(store, "sat", 8)
    attach_text(store, "sat", parse_questionnaire(SMALL), "sat.toml", A_SUPERVISOR)
    dialer = Dialer(store, "alice", campaign)
    leads = store.rows("SELECT id FROM leads ORDER BY id")
    for number, (answers, calls) in HISTORY.items():
        lead_id = leads[number - 1]["id"]
        interview = load_interview(store, lead_id, campaign["id"])
        for position, outcome in enumerate(calls):
            last = position == len(calls) - 1
            if last:
                for qid, value in answers.items():
                    question = interview.version.questionnaire.question(qid)
                    missing = value if value in ("dont_know", "refused") else None
                    given = Answer(None if missing else value, missing)
                    give_answer(store, interview, question, given, "alice")
            call_id = dialer.record(lead_id, outcome.rstrip("!"), started_at=clock(), duration_s=60)
            if outcome.endswith("!"):
                dialer.undo()
            elif last:
                close_interview(store, interview, call_id)
            clock.advance(minutes=5)
    return campaign


def test_figures_per_question_never_count_a_missing_code(store, history):
    figures = question_figures(store, "sat", "", "9999")
    accueil, projet, projet_type, contact = figures["questions"]
    assert accueil == {
        "id": "accueil",
        "type": "scale",
        "text": "Sur 5, l'accueil ?",
        "answered": 4,  # 5, 4, 2, 1: the "don't know" is not a score
        "missing": {"not_applicable": 0, "dont_know": 1, "refused": 0},
        "distribution": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1},
        "labels": {"1": "Mauvais", "5": "Excellent"},
        "mean": 3.0,
        "median": 3.0,
        "sd": 1.8257,  # sqrt((4 + 1 + 1 + 4) / 3)
        "min": 1.0,
        "max": 5.0,
        "top2": 0.5,  # 4 and 5: 2 of 4
    }
    assert projet["answered"] == 3 and projet["missing"]["refused"] == 1
    assert projet["distribution"] == {"yes": 2, "no": 1}
    assert projet_type["distribution"] == {"postes": 1, "serveur": 1, "aucun": 1}
    assert projet_type["answered"] == 2
    assert contact["answered"] == 2  # two skipped, neither answered nor missing
    assert figures["interviews"] == {"completed": 4, "partial": 1, "breakoff": 0}
    assert figures["by_caller"] == {"alice": {"accueil": {"n": 4, "mean": 3.0}}}


def test_aapor_on_one_final_disposition_per_lead(store, history):
    aapor = question_figures(store, "sat", "", "9999")["aapor"]
    # I: leads 1, 2, 3, 8 (8 had a switchboard call first); P: 4 (its partial interview
    # comes before its refusal and its callback);
    # R: 5 (after no answer and busy); UH: 6 (its refusal was undone); NE: 7.
    assert aapor["counts"] == {"I": 4, "P": 1, "R": 1, "NE": 1, "NC": 0, "UH": 1}
    assert aapor["leads"] == 8
    # D = I + P + R + NC + UH = 7
    assert aapor["RR1"] == round(4 / 7, 4)
    assert aapor["RR2"] == round(5 / 7, 4)
    assert aapor["COOP1"] == round(4 / 6, 4)
    assert aapor["REF1"] == round(1 / 7, 4)
    assert aapor["CON1"] == round(6 / 7, 4)


def test_rr3_and_rr4_count_the_unknown_cases_at_the_estimated_e(store, history):
    aapor = question_figures(store, "sat", "", "9999")["aapor"]
    # Known eligibility: I 4 + P 1 + R 1 + NC 0 eligible, NE 1 not: e = 6 / 7.
    e = 6 / 7
    assert aapor["e"] == round(e, 4) and aapor["e_estimated"] is True
    assert aapor["RR3"] == round(4 / (6 + e * 1), 4)  # one UH, counted at e
    assert aapor["RR4"] == round(5 / (6 + e * 1), 4)
    assert aapor["RR1"] <= aapor["RR3"] <= aapor["RR4"]
    assert aapor["edition"] == "AAPOR Standard Definitions, 10th edition, 2023"
    given = question_figures(store, "sat", "", "9999", e=0.5)["aapor"]
    assert given["e"] == 0.5 and given["e_estimated"] is False
    assert given["RR3"] == round(4 / 6.5, 4)


def test_stats_questions_text_names_the_edition_and_shows_labels(store, history, capsys):
    db = ["--db", str(store.path)]
    assert main(["stats", "--campaign", "sat", "--questions", *db]) == 0
    text = capsys.readouterr().out
    assert "AAPOR Standard Definitions, 10th edition, 2023" in text
    assert "RR3 58.3%  RR4 72.9%" in text
    assert "e = 0.86 (estimated: eligible share of the cases of known eligibility)" in text
    assert "Sur 5, l'accueil ?" in text
    # Labels, with the code when it says more than a change of case; a scale's labels.
    assert "  Serveurs  " in text and "  Postes  " in text and "  Yes  " in text
    assert "  5 Excellent  " in text
    assert "  serveur  " not in text
    assert main(["stats", "--campaign", "sat", "--questions", "--e", "0.5", *db]) == 0
    assert "RR3 61.5%  RR4 76.9%" in capsys.readouterr().out


def test_a_choice_shows_its_code_only_where_the_label_does_not_say_it():
    from prospect_tui.core.questionnaires.figures import choice_name

    question = {
        "type": "multi",
        "labels": {"dell": "Dell", "hpe": "HP / HPE", "strategique": "Stratégique (croissance)"},
    }
    assert choice_name(question, "dell") == "Dell"
    assert choice_name(question, "strategique") == "Stratégique (croissance)"
    assert choice_name(question, "hpe") == "HP / HPE (hpe)"
    assert choice_name(question, "gone") == "gone"  # no longer offered: its code
    assert choice_name({"type": "scale", "labels": {"5": "Excellent"}}, "5") == "5 Excellent"


@pytest.mark.parametrize("given", ["1.5", "-0.1", "nan", "x", ""])
def test_e_out_of_0_to_1_is_one_line_exit_2(store, history, capsys, given):
    db = ["--db", str(store.path)]
    assert main(["stats", "--campaign", "sat", "--questions", "--e", given, *db]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--e: a share from 0 to 1" in err
    assert main(["stats", "--e", "0.5", *db]) == 2  # e belongs to the questionnaire's rates
    assert "--e goes with --questions" in capsys.readouterr().err


def test_stats_questions_json_adds_rates_and_labels_keeps_codes(store, history, capsys):
    db = ["--db", str(store.path)]
    assert main(["stats", "--campaign", "sat", "--questions", "--json", "--e", "0.8", *db]) == 0
    printed = json.loads(capsys.readouterr().out)
    aapor = printed["aapor"]
    assert {"RR1", "RR2", "COOP1", "REF1", "CON1", "counts", "leads"} <= set(aapor)
    assert aapor["e"] == 0.8 and aapor["e_estimated"] is False
    assert aapor["RR3"] == round(4 / 6.8, 4)
    assert aapor["edition"] == "AAPOR Standard Definitions, 10th edition, 2023"
    projet_type = printed["questions"][2]
    assert projet_type["distribution"] == {"postes": 1, "serveur": 1, "aucun": 1}
    assert projet_type["labels"] == {"postes": "Postes", "serveur": "Serveurs", "aucun": "Aucun"}
    assert printed["questions"][1]["labels"] == {"yes": "Yes", "no": "No"}
    assert printed["questions"][3]["labels"] == {}  # a text question has none
    assert main(["stats", "--campaign", "sat", "--questions", "--csv", *db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[2]["distribution"] == "postes=1 serveur=1 aucun=1"  # codes, for programs


def test_stats_questions_json_and_csv(store, history, capsys):
    db = ["--db", str(store.path)]
    assert main(["stats", "--campaign", "sat", "--questions", "--json", *db]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["questions"][0]["mean"] == 3.0
    assert printed["aapor"]["counts"]["I"] == 4
    assert printed["period"]["name"] == "all"
    assert main(["stats", "--campaign", "sat", "--questions", "--csv", *db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["id"] == "accueil" and rows[0]["mean"] == "3.0"
    assert rows[0]["dont_know"] == "1"
    assert main(["stats", "--questions", *db]) == 2


def read_csv(path):
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_wide_export_has_fixed_columns_whatever_the_branching(store, history, tmp_path):
    path = tmp_path / "answers.csv"
    assert main(["export", "answers", "--campaign", "sat", "-o", str(path), "--db",
                 str(store.path)]) == 0  # fmt: skip
    header, *rows = read_csv(path)
    assert header == [
        "company", "phone_e164", "contact_name", "caller", "answered_at", "outcome",
        "interview", "accueil", "projet", "projet_type__postes", "projet_type__serveur",
        "projet_type__aucun", "contact",
    ]  # fmt: skip
    assert len(rows) == 5  # leads 1, 2, 3, 4, 8 have answers
    assert rows[0][6:] == ["completed", "5", "yes", "1", "1", "0", "'=1+1"]
    assert rows[0][1].startswith("'+33")  # kept as text by Excel
    assert rows[1][7:] == ["4", "no", "", "", "", ""]  # branch not shown: empty
    assert rows[2][7:] == ["NSP", "yes", "0", "0", "1", "M. Blanc"]
    assert rows[3][5:] == ["refused", "partial", "2", "", "", "", "", ""]
    assert rows[4][8] == "REFUS"
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_long_export_has_one_row_per_answer(store, history, tmp_path):
    path = tmp_path / "long.csv"
    db = ["--db", str(store.path)]
    assert main(["export", "answers", "--campaign", "sat", "--shape", "long", "-o", str(path),
                 *db]) == 0  # fmt: skip
    header, *rows = read_csv(path)
    assert header[:7] == ["campaign", "version", "company", "phone_e164", "caller",
                          "answered_at", "question_id"]  # fmt: skip
    first_lead = [r for r in rows if r[2] == rows[0][2]]
    assert [(r[6], r[9], r[10], r[11], r[12]) for r in first_lead] == [
        ("accueil", "5", "Excellent", "5", ""),
        ("projet", "yes", "Yes", "yes", ""),
        ("projet_type", "postes", "Postes", "postes", ""),
        ("projet_type", "serveur", "Serveurs", "serveur", ""),
        ("contact", "", "", "'=1+1", ""),
    ]
    assert any(r[6] == "accueil" and r[11] == "" and r[12] == "NSP" for r in rows)
    assert len(rows) == 14  # 5 + 2 + 4 + 1 + 2 answers (skips are not answers)


def test_xlsx_export_has_a_codebook_and_never_a_formula(store, history, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "answers.xlsx"
    assert main(["export", "answers", "--campaign", "sat", "-o", str(path), "--db",
                 str(store.path)]) == 0  # fmt: skip
    book = load_workbook(path)
    assert book.sheetnames == ["answers", "codebook"]
    answers = list(book["answers"].iter_rows(values_only=True))
    assert answers[1][12] == "=1+1" and book["answers"]["M2"].data_type == "s"
    codebook = list(book["codebook"].iter_rows(values_only=True))
    assert codebook[0] == ("question_id", "text", "type", "choices", "show_if", "required",
                           "version", "variables", "missing")  # fmt: skip
    assert codebook[3][:5] == ("projet_type", "Lesquels ?", "multi",
                               "postes = Postes; serveur = Serveurs; aucun = Aucun",
                               "projet == 'yes'")  # fmt: skip
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_campaign_from_another_keeps_opt_ins_and_counts_those_left_out(store, clock, capsys):
    source = add_leads(store, "promo", 6)
    dialer = Dialer(store, "alice", source)
    leads = [row["id"] for row in store.rows("SELECT id FROM leads ORDER BY id")]
    for lead_id in leads[:4]:
        dialer.record(lead_id, "opt_in", started_at=clock(), duration_s=60,
                      opt_in=OptIn(f"it{lead_id}@example.fr", "Jean Dupont"))  # fmt: skip
    dialer.record(leads[4], "refused", started_at=clock(), duration_s=60)
    dialer.record(leads[5], "no_answer", started_at=clock(), duration_s=60)
    optout_lead(store, leads[1], "alice")
    with store.write() as conn:
        suppress(conn, "phone", store.lead(leads[2])["phone_e164"], "do_not_call", "x", "t")
    forget(store, store.lead(leads[3])["phone_e164"], actor=A_SUPERVISOR)
    assert main(["campaign", "new", "followup", "--from", "promo", "--json",
                 "--db", str(store.path)]) == 0  # fmt: skip
    made = json.loads(capsys.readouterr().out)
    assert made == {
        "campaign": "followup",
        "leads": 1,
        "skipped": {"withdrawn": 1, "do_not_call": 1, "erased": 1},
    }
    copied = store.row("SELECT * FROM leads WHERE campaign_id != ?", (source["id"],))
    assert copied["email"] == f"it{leads[0]}@example.fr"
    assert copied["phone_e164"] == store.lead(leads[0])["phone_e164"]
    assert main(["campaign", "new", "followup", "--from", "promo", "--db", str(store.path)]) == 2


def test_the_weekly_report_has_a_section_per_questionnaire(store, history):
    from prospect_tui.core.report import build_report

    page = build_report(
        store, store.clock().date(), actor=A_SUPERVISOR, zone=ZoneInfo("Europe/Paris")
    )
    assert "Questionnaire: Satisfaction test (sat, version 1)" in page
    assert (
        "<td>Sur 5, l&#x27;accueil ? (accueil)</td><td>4</td><td>0</td><td>1</td><td>0</td>"
        "<td>3.00 (n=4)</td>" in page
    )
    assert "4 completed, 1 partial, 0 break-offs" in page


def test_the_report_names_the_edition_rr3_rr4_and_shows_labels(store, history):
    from prospect_tui.core.report import build_report

    page = build_report(
        store, store.clock().date(), actor=A_SUPERVISOR, zone=ZoneInfo("Europe/Paris")
    )
    assert "RR3 58.3% · RR4 72.9%" in page
    assert "e = 0.86 (estimated" in page
    assert "AAPOR Standard Definitions, 10th edition, 2023" in page
    # The bars read the choices' labels, not their codes.
    assert "<title>Serveurs: 1</title>" in page and "<title>Postes: 1</title>" in page
    assert "<title>serveur: 1</title>" not in page


def test_campaign_from_takes_the_latest_outcome_in_the_period(store, clock, capsys):
    source = add_leads(store, "promo", 2)
    dialer = Dialer(store, "alice", source)
    first, second = (row["id"] for row in store.rows("SELECT id FROM leads ORDER BY id"))
    dialer.record(first, "callback", started_at=clock(), duration_s=60)  # Monday 23/11
    clock.advance(days=2)
    dialer.record(first, "refused", started_at=clock(), duration_s=60)  # Wednesday: latest
    dialer.record(second, "callback", started_at=clock(), duration_s=60)
    db = ["--db", str(store.path), "--json"]
    assert main(["campaign", "new", "monday", "--from", "promo", "--outcome", "callback",
                 "--until", "2026-11-23", *db]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["leads"] == 1  # the first, as of Monday
    assert main(["campaign", "new", "all", "--from", "promo", "--outcome", "callback", *db]) == 0
    assert json.loads(capsys.readouterr().out)["leads"] == 1  # the second: the first refused
    assert main(["campaign", "new", "x", "--from", "promo", "--outcome", "maybe", *db]) == 2
