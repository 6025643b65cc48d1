"""Campaign settings, the `prospect campaign` command (a contract), the script and objections.

CLI tests call cli.main() on a temp database and check exit codes and printed values.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

from prospect_tui.cli import main
from prospect_tui.core import UserError
from prospect_tui.core.campaigns import (
    DEFAULTS,
    SETTING_KEYS,
    campaign_settings,
    objections_text,
    parse_setting,
    render_script,
    set_setting,
)
from prospect_tui.core.dialing import Dialer
from prospect_tui.core.store import Store
from tests.helpers import A_SUPERVISOR, add_leads


def test_defaults_fill_every_setting_and_retry_delays_one_by_one():
    settings = campaign_settings({"settings": json.dumps({"retry_minutes": {"busy": 5}})})
    assert settings["retry_minutes"] == {
        "no_answer": 120,
        "busy": 5,
        "voicemail": 240,
        "switchboard": "next_day",
    }
    assert settings["max_attempts"] == 6
    assert settings["calling_hours"] == "mon-fri 09:00-12:30,14:00-18:30"
    assert settings["queue_order"] == "retries_first"
    assert settings["consumer_guard"] is False


@pytest.mark.parametrize(
    ("key", "typed", "stored"),
    [
        ("calling_hours", "off", "off"),
        ("calling_hours", "lun-ven 9h-18h", "mon-fri 09:00-18:00"),
        ("retry_minutes.no_answer", "90", 90),
        ("retry_minutes.busy", "15min", 15),
        ("retry_minutes.voicemail", "1h30", 90),
        ("retry_minutes.switchboard", "next_day", "next_day"),
        ("retry_minutes.no_answer", "next-day", "next_day"),
        ("max_attempts", "8", 8),
        ("claim_minutes", "5", 5),
        ("region", "be", "BE"),
        ("region", "RE", "RE"),
        ("consumer_guard", "yes", True),
        ("consumer_guard", "non", False),
        ("queue_order", "fresh-first", "fresh_first"),
        ("holidays_subdiv", "Moselle", "57"),
        ("holidays_subdiv", "none", ""),
        ("script", "default", "default"),
        (
            "script",
            "Bonjour {contact_name}, ici {caller}.",
            "Bonjour {contact_name}, ici {caller}.",
        ),
        ("consent_text", "  Acceptez-vous ?  ", "Acceptez-vous ?"),
        ("our_company", "InfoPlus", "InfoPlus"),
    ],
)
def test_each_key_validates_what_is_typed(key, typed, stored):
    assert parse_setting(key, typed) == stored


@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("colour", "blue"),
        ("retry_minutes", "10"),
        ("retry_minutes.refused", "10"),
        ("retry_minutes.busy", "soon"),
        ("retry_minutes.busy", "0"),
        ("max_attempts", "0"),
        ("max_attempts", "six"),
        ("claim_minutes", "-1"),
        ("region", "XX"),
        ("consumer_guard", "maybe"),
        ("queue_order", "random"),
        ("calling_hours", "whenever"),
        ("holidays_subdiv", "Bretagne"),
        ("script", "/no/such/script.txt"),
        ("objections", "missing.txt"),
        ("consent_text", "   "),
    ],
)
def test_a_bad_key_or_value_is_a_one_line_user_error(key, typed):
    with pytest.raises(UserError) as error:
        parse_setting(key, typed)
    assert "\n" not in str(error.value)


def test_every_key_has_a_validator_and_a_default():
    assert set(SETTING_KEYS) >= {"calling_hours", "retry_minutes.no_answer", "max_attempts"}
    for key in SETTING_KEYS:
        default = DEFAULTS[key.split(".")[0]]
        value = default[key.split(".")[1]] if "." in key else default
        typed = "" if key == "holidays_subdiv" else value
        assert parse_setting(key, typed) is not None


def test_a_new_consent_wording_is_a_new_consent_version(store):
    store.ensure_campaign("spring")
    updated = set_setting(
        store, "spring", "consent_text", "Acceptez-vous nos offres ?", actor=A_SUPERVISOR
    )
    assert campaign_settings(updated)["consent_version"] == "2"
    again = set_setting(
        store, "spring", "consent_text", "Acceptez-vous nos offres ?", actor=A_SUPERVISOR
    )
    assert campaign_settings(again)["consent_version"] == "2"


def test_a_dialer_follows_the_settings_that_were_set(store, clock):
    add_leads(store, "spring", 1)
    set_setting(store, "spring", "retry_minutes.busy", "30", actor=A_SUPERVISOR)
    dialer = Dialer(store, "alice", store.campaign("spring"))
    lead = dialer.next_lead()
    dialer.record(lead["id"], "busy", started_at=clock(), duration_s=5)
    assert store.lead(lead["id"])["next_call_at"] == "2026-11-23T10:30:00Z"


# The command line.


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.db"
    store = Store(path)
    add_leads(store, "spring", 3)
    store.ensure_campaign("autumn")
    store.close()
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_campaign_list_prints_every_campaign_with_its_leads(db, capsys):
    code, out, _ = run(capsys, "--db", db, "campaign", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "LEADS", "OPEN", "CALLBACK", "DONE", "CREATED"]
    assert lines[1].split()[:5] == ["spring", "3", "3", "0", "0"]
    assert lines[2].split()[:2] == ["autumn", "0"]
    code, out, _ = run(capsys, "--db", db, "campaign", "list", "--json")
    assert [row["name"] for row in json.loads(out)] == ["spring", "autumn"]


def test_campaign_show_prints_every_setting_defaults_included(db, capsys):
    code, out, _ = run(capsys, "--db", db, "campaign", "show", "autumn")
    assert code == 0
    for key in SETTING_KEYS:
        assert f"  {key} " in out
    assert "mon-fri 09:00-12:30,14:00-18:30  (default)" in out
    code, out, _ = run(capsys, "--db", db, "campaign", "show", "spring", "--json")
    shown = json.loads(out)
    assert list(shown["settings"]) == list(SETTING_KEYS)
    assert shown["settings"]["calling_hours"] == "off"  # set by the test helper
    assert "calling_hours" not in shown["defaults"] and "max_attempts" in shown["defaults"]
    assert shown["settings"]["retry_minutes.switchboard"] == "next_day"


def test_campaign_set_stores_a_valid_value_and_says_so(db, capsys):
    code, out, _ = run(
        capsys, "--db", db, "campaign", "set", "spring", "calling_hours", "mon-fri 09:00-18:00"
    )
    assert (code, out) == (0, "spring: calling_hours = mon-fri 09:00-18:00\n")
    run(capsys, "--db", db, "campaign", "set", "spring", "retry_minutes.no_answer", "3h")
    run(capsys, "--db", db, "campaign", "set", "spring", "consumer_guard", "yes")
    code, out, _ = run(capsys, "--db", db, "campaign", "show", "spring", "--json")
    settings = json.loads(out)["settings"]
    assert settings["calling_hours"] == "mon-fri 09:00-18:00"
    assert settings["retry_minutes.no_answer"] == 180
    assert settings["retry_minutes.busy"] == 15
    assert settings["consumer_guard"] is True


@pytest.mark.parametrize(
    "argv",
    [
        ("campaign", "set", "spring", "colour", "blue"),
        ("campaign", "set", "spring", "max_attempts", "0"),
        ("campaign", "set", "spring", "calling_hours", "mon-fri 18:00-09:00"),
        ("campaign", "set", "nope", "max_attempts", "3"),
        ("campaign", "show", "nope"),
    ],
)
def test_campaign_mistakes_exit_2_with_one_line(db, capsys, argv):
    code, out, err = run(capsys, "--db", db, *argv)
    assert code == 2 and out == ""
    assert err.startswith("prospect: error: ") and err.count("\n") == 1


def test_campaign_set_leaves_other_keys_alone_after_a_mistake(db, capsys):
    run(capsys, "--db", db, "campaign", "set", "spring", "max_attempts", "0")
    code, out, _ = run(capsys, "--db", db, "campaign", "show", "spring", "--json")
    assert json.loads(out)["settings"]["max_attempts"] == 6


# The script and the objection sheet.

LEAD = {
    "id": 1,
    "company": "Boulangerie Martin",
    "contact_name": "",
    "manager_name": "",
    "source": "Kompass, fichier PME Rhône 2026",
    "extra": json.dumps({"Code NAF": "10.71C"}),
    "direct_line_e164": "",
    "phone_national": "04 78 00 00 00",
}


def test_packaged_texts_ship_inside_the_package():
    data = files("prospect_tui.data")
    assert "responsable informatique" in data.joinpath("script_fr.txt").read_text("utf-8")
    assert data.joinpath("objections_fr.txt").read_text("utf-8").strip()


def test_the_opening_asks_for_the_it_manager_by_name_once_it_is_known():
    settings = {**DEFAULTS, "our_company": "InfoPlus"}
    unknown = render_script(settings, LEAD, "Julie")
    assert "votre responsable informatique" in unknown
    assert "Pourrais-je parler à" not in unknown
    known = render_script(settings, {**LEAD, "manager_name": "M. Durand"}, "Julie")
    assert "Pourrais-je parler à M. Durand, s'il vous plaît" in known
    assert "votre responsable informatique" not in known


def test_the_script_names_the_company_the_caller_and_the_list_source():
    text = render_script({**DEFAULTS, "our_company": "InfoPlus"}, LEAD, "Julie")
    assert "Julie, de la société InfoPlus" in text
    assert "Boulangerie Martin figure dans un fichier" in text
    assert "obtenu auprès de Kompass, fichier PME Rhône 2026" in text
    assert "#" not in text and "{" not in text


def test_the_script_names_the_vendor_never_the_file():
    settings = {**DEFAULTS, "our_company": "InfoPlus"}
    sold = render_script(settings, {**LEAD, "source": "pme_69.xlsx (Kompass)"}, "Julie")
    assert "obtenu auprès de Kompass." in sold and "pme_69" not in sold
    unnamed = render_script(settings, {**LEAD, "source": "pme_69.xlsx"}, "Julie")
    assert "pme_69" not in unnamed and "que nous avons acheté" in unnamed


def test_an_empty_field_leaves_no_hole_in_what_is_read_aloud():
    settings = {**DEFAULTS, "script": "Bonjour {contact_name}, InfoPro : {company} ?"}
    assert render_script(settings, LEAD, "Julie") == "Bonjour, InfoPro : Boulangerie Martin ?"
    named = render_script(settings, {**LEAD, "contact_name": "M. Roy"}, "Julie")
    assert named == "Bonjour M. Roy, InfoPro : Boulangerie Martin ?"
    opening = render_script(DEFAULTS, LEAD, "Julie").splitlines()[1]
    assert opening.startswith("« Bonjour, Julie. Pourriez-vous")  # no company of ours set
    ours = render_script({**DEFAULTS, "our_company": "InfoPlus"}, LEAD, "Julie")
    assert "« Bonjour, Julie, de la société InfoPlus. Pourriez-vous" in ours


def test_a_campaign_with_a_questionnaire_opens_on_its_own_script():
    survey = render_script(DEFAULTS, LEAD, "Julie", questionnaire=True)
    assert "Touche q" in survey and "promotions" not in survey
    assert "promotions" in render_script(DEFAULTS, LEAD, "Julie")


def test_substitution_is_safe():
    settings = {
        **DEFAULTS,
        "script": "{company} {unknown} {Code NAF} {code naf} {contact_name} {0} {} {{x}} {",
    }
    line = render_script(settings, LEAD, "Julie")
    assert line == "Boulangerie Martin {unknown} 10.71C 10.71C {0} {} {{x}} {"
    # No lead on screen: nothing is known, everything stays as typed.
    assert render_script(settings, None, "Julie") == settings["script"]


def test_a_campaign_script_file_is_read_and_a_lost_one_never_crashes(store, tmp_path):
    script = tmp_path / "printemps.txt"
    script.write_text("# notes\n{!manager_name}Standard : {company}\n", encoding="utf-8")
    store.ensure_campaign("spring")
    campaign = set_setting(store, "spring", "script", str(script), actor=A_SUPERVISOR)
    settings = campaign_settings(campaign)
    assert settings["script"] == str(script.resolve())
    assert render_script(settings, LEAD, "Julie") == "Standard : Boulangerie Martin"
    script.unlink()
    fallback = render_script(settings, LEAD, "Julie")
    assert fallback.startswith(f"[script file {script.resolve()} cannot be read")
    assert "responsable informatique" in fallback


def test_objections_sheet_default_and_inline():
    sheet = objections_text(DEFAULTS)
    assert "Nous avons déjà un fournisseur" in sheet and not sheet.startswith("#")
    assert objections_text({**DEFAULTS, "objections": "Trop cher ? Comparez."}) == (
        "Trop cher ? Comparez."
    )
