"""Addresses heard on the phone: syntax, typos, phonetic read-back, generic boxes, MX checks."""

from __future__ import annotations

import json
from types import SimpleNamespace

import dns.resolver
import pytest

from prospect_tui.cli import main
from prospect_tui.core.deliverability import (
    DELIVERABLE,
    UNDELIVERABLE,
    UNKNOWN,
    address_status,
    verify_emails,
)
from prospect_tui.core.emails import check_email, is_generic, spell_back, suggest_fix


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("jean.dupont@orange.fr", "jean.dupont@orange.fr"),
        ("  Jean.Dupont@ORANGE.FR ", "Jean.Dupont@orange.fr"),
        ("dsi@société-générale.fr", "dsi@société-générale.fr"),
    ],
)
def test_valid_addresses_are_normalized(typed, normalized):
    checked = check_email(typed)
    assert checked.ok and checked.normalized == normalized


@pytest.mark.parametrize("typed", ["", "jean.dupont", "jean@", "jean dupont@orange.fr", "a@b"])
def test_invalid_addresses_say_why(typed):
    checked = check_email(typed)
    assert not checked.ok and checked.error and checked.normalized == ""


@pytest.mark.parametrize(
    ("heard", "suggested"),
    [
        ("jean@gmial.com", "jean@gmail.com"),
        ("jean@gmal.com", "jean@gmail.com"),
        ("jean@gmail.fr", "jean@gmail.com"),
        ("jean@gmial.fr", "jean@gmail.com"),
        ("jean@hotmial.com", "jean@hotmail.com"),
        ("jean@hotmial.fr", "jean@hotmail.fr"),
        ("jean@orange.com", "jean@orange.fr"),
        ("jean@wanadoo.com", "jean@wanadoo.fr"),
        ("jean@free.com", "jean@free.fr"),
        ("jean@sfr.com", "jean@sfr.fr"),
        ("jean@laposte.fr", "jean@laposte.net"),
        ("jean@gmail.con", "jean@gmail.com"),
        # The local part is kept exactly as typed; only the domain is suggested.
        ("Jean.Dupont@Orange.COM", "Jean.Dupont@orange.fr"),
    ],
)
def test_provider_typos_are_suggested(heard, suggested):
    assert suggest_fix(heard) == suggested


@pytest.mark.parametrize(
    "heard",
    ["jean@gmail.com", "jean@orange.fr", "jean@laposte.net", "j.martin@dupont-sa.fr", "jean", ""],
)
def test_right_addresses_get_no_suggestion(heard):
    assert suggest_fix(heard) is None
    assert suggest_fix(heard, "https://www.dupont-sa.fr") is None


@pytest.mark.parametrize(
    ("heard", "website", "suggested"),
    [
        ("j.martin@dupont-industrie.fr", "https://www.dupont-industries.fr/contact", "industries"),
        ("j.martin@dupotn-sa.fr", "www.dupont-sa.fr", "dupont-sa.fr"),
        ("j.martin@dupont-sa.com", "http://dupont-sa.fr", None),
        ("j.martin@acme.fr", "https://acme.fr/", None),
        ("j.martin@acne.fr", "acme.fr", "acme.fr"),
        ("j.martin@gmail.com", "gmail.co", None),
        ("j.martin@martin-freres.fr", "dupont-sa.fr", None),
    ],
)
def test_near_miss_of_the_company_website_is_suggested(heard, website, suggested):
    found = suggest_fix(heard, website)
    if suggested is None:
        assert found is None
    else:
        assert found is not None and found.startswith("j.martin@") and suggested in found


def test_website_near_miss_keeps_the_whole_site_domain():
    assert suggest_fix("dsi@dupont-industrie.fr", "https://dupont-industries.fr") == (
        "dsi@dupont-industries.fr"
    )


def test_french_read_back():
    assert spell_back("jean.dupont@orange.fr") == (
        "j comme Joseph, e comme Eugène, a comme Anatole, n comme Nicolas, point, "
        "d comme Désiré, u comme Ursule, p comme Pierre, o comme Oscar, n comme Nicolas, "
        "t comme Thérèse, arobase, orange, point, fr"
    )


def test_read_back_spells_an_unknown_domain_but_says_known_endings():
    assert spell_back("b_2-x@kz.net") == (
        "b comme Berthe, tiret bas, chiffre deux, tiret, x comme Xavier, arobase, "
        "k comme Kléber, z comme Zoé, point, net"
    )


def test_international_read_back():
    assert spell_back("Jo@gmail.com", alphabet="intl") == (
        "j comme Juliett, o comme Oscar, arobase, gmail, point, com"
    )


def test_read_back_names_accents():
    assert spell_back("héloïse@ça.fr").startswith(
        "h comme Henri, e accent aigu, l comme Louis, o comme Oscar, i tréma"
    )
    assert "c cédille" in spell_back("héloïse@ça.fr")


def test_unknown_alphabet_is_refused():
    with pytest.raises(ValueError, match="alphabet"):
        spell_back("a@b.fr", alphabet="klingon")


@pytest.mark.parametrize(
    "address",
    [
        "contact@dupont-sa.fr",
        "info@dupont-sa.fr",
        "accueil@dupont-sa.fr",
        "Contact@Dupont-SA.fr",
        "contact.lyon@dupont-sa.fr",
        "info+promo@dupont-sa.fr",
        "secretariat@mairie-x.fr",
    ],
)
def test_generic_addresses_are_flagged(address):
    assert is_generic(address)


@pytest.mark.parametrize(
    "address",
    ["j.dupont@dupont-sa.fr", "informatique@dupont-sa.fr", "contactless@x.fr", "not an address"],
)
def test_personal_addresses_are_not_flagged(address):
    assert not is_generic(address)


# Deliverability (MX), with a resolver that answers like DNS would, offline or not


class FakeResolver:
    """Answers from a table: a list of MX hosts, or the exception DNS would raise."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str]] = []

    def resolve(self, qname, rdtype, *, lifetime=None):
        self.asked.append((qname, rdtype))
        found = self.answers.get((qname, rdtype), self.answers.get(qname, dns.resolver.NXDOMAIN))
        if isinstance(found, type) and issubclass(found, Exception):
            raise found()
        return [SimpleNamespace(exchange=host) for host in found]


ANSWERS = {
    "gmail.com": ["gmail-smtp-in.l.google.com."],
    "dupont-sa.fr": ["mx1.dupont-sa.fr.", "mx2.dupont-sa.fr."],
    ("petit.fr", "MX"): dns.resolver.NoAnswer,
    ("petit.fr", "A"): ["192.0.2.1"],
    "nomail.fr": ["."],
    "lent.fr": dns.resolver.LifetimeTimeout,
}


def _with_addresses(store, *emails: str) -> None:
    campaign = store.ensure_campaign("c", {"calling_hours": "off"})
    with store.write() as conn:
        for i, email in enumerate(emails):
            conn.execute(
                "INSERT INTO leads (campaign_id, phone_e164, email, created_at) VALUES (?,?,?,?)",
                (campaign["id"], f"+3314268000{i}", email, store.now()),
            )


def test_domains_are_marked_by_their_mx(store):
    _with_addresses(
        store,
        "a@dupont-sa.fr",
        "B@Dupont-SA.fr",
        "c@petit.fr",
        "d@nomail.fr",
        "e@lent.fr",
        "f@gmial.com",
    )
    resolver = FakeResolver(ANSWERS)
    report = verify_emails(store, resolver=resolver, timeout=0.5)
    assert report.addresses == {
        "a@dupont-sa.fr": DELIVERABLE,
        "b@dupont-sa.fr": DELIVERABLE,
        "c@petit.fr": DELIVERABLE,  # no MX, but an address: RFC 5321 implicit MX
        "d@nomail.fr": UNDELIVERABLE,  # null MX
        "e@lent.fr": UNKNOWN,  # timed out: not a rejection
        "f@gmial.com": UNDELIVERABLE,
    }
    assert report.counts() == {DELIVERABLE: 3, UNDELIVERABLE: 2, UNKNOWN: 1}
    assert address_status(store, "x@dupont-sa.fr") == DELIVERABLE
    assert address_status(store, "x@never-checked.fr") == UNKNOWN
    # Second run: definite verdicts come from the cache, "unknown" is asked again.
    again = FakeResolver(ANSWERS)
    second = verify_emails(store, resolver=again, timeout=0.5)
    assert second.cached == 4 and second.checked == 1
    assert {q for q, _ in again.asked} == {"gmail.com", "lent.fr"}
    assert second.addresses == report.addresses


def test_offline_everything_is_unknown_and_nothing_rejected(store):
    _with_addresses(store, "a@dupont-sa.fr", "b@gmial.com")
    # A captive network answering NXDOMAIN to everything, the canary included.
    report = verify_emails(store, resolver=FakeResolver({}), timeout=0.5)
    assert report.offline and set(report.addresses.values()) == {UNKNOWN}
    assert store.count_leads() == 2


def test_verify_emails_command_offline(store, capsys, monkeypatch):
    from prospect_tui.core import deliverability

    _with_addresses(store, "a@dupont-sa.fr")
    monkeypatch.setattr(deliverability, "make_resolver", lambda timeout: None)
    assert main(["--db", str(store.path), "verify-emails", "--timeout", "0.2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["offline"] and report["counts"] == {
        DELIVERABLE: 0,
        UNDELIVERABLE: 0,
        UNKNOWN: 1,
    }
    assert report["addresses"][0]["email"] == "a@dupont-sa.fr"
