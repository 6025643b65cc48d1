"""Email addresses heard on the phone: syntax check and normal form (email-validator).

Deliverability (DNS) is never checked here: this runs on every keystroke.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class EmailCheck:
    typed: str
    normalized: str  # "" when the address is not valid
    error: str  # "" when the address is valid

    @property
    def ok(self) -> bool:
        return not self.error


def check_email(typed: str) -> EmailCheck:
    """Validate syntax only (check_deliverability=False); the normalized form is what we store."""
    text = typed.strip()
    if not text:
        return EmailCheck(typed, "", "Type the address.")
    # Imported here: email-validator costs ~25 ms to import, which the session's
    # start-up should not pay (the app warms it up once the first lead is drawn).
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        return EmailCheck(typed, "", str(error))
    return EmailCheck(typed, result.normalized, "")


# Domains heard wrong on the phone, fixed per label first ("gmial.fr" -> "gmail.fr")
# and then per whole domain ("gmail.fr" -> "gmail.com").
_LABEL_FIXES = {
    "gmial": "gmail",
    "gmal": "gmail",
    "gmai": "gmail",
    "gamil": "gmail",
    "gnail": "gmail",
    "gmaill": "gmail",
    "hotmial": "hotmail",
    "hotmal": "hotmail",
    "hotmai": "hotmail",
    "hotamil": "hotmail",
    "outlok": "outlook",
    "yahou": "yahoo",
    "wanado": "wanadoo",
    "wannadoo": "wanadoo",
    "oragne": "orange",
    "lapost": "laposte",
}
_TLD_FIXES = {"con": "com", "cmo": "com", "ocm": "com", "rf": "fr"}
_DOMAIN_FIXES = {
    "gmail.fr": "gmail.com",
    "orange.com": "orange.fr",
    "wanadoo.com": "wanadoo.fr",
    "free.com": "free.fr",
    "sfr.com": "sfr.fr",
    "laposte.fr": "laposte.net",
    "laposte.com": "laposte.net",
    "neuf.com": "neuf.fr",
    "club-internet.com": "club-internet.fr",
    "bbox.com": "bbox.fr",
    "numericable.com": "numericable.fr",
}
# Mailboxes everyone shares: never taken for a near-miss of a company's own domain.
WEBMAIL_DOMAINS = frozenset(
    "gmail.com hotmail.com hotmail.fr outlook.com outlook.fr live.fr live.com yahoo.com "
    "yahoo.fr icloud.com orange.fr wanadoo.fr free.fr sfr.fr laposte.net neuf.fr bbox.fr "
    "aol.com gmx.fr protonmail.com".split()
)


def _split(address: str) -> tuple[str, str] | None:
    text = address.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain:
        return None
    return local, domain.lower().rstrip(".")


def website_domain(website: str) -> str:
    """`https://www.dupont-sa.fr/contact` -> `dupont-sa.fr` ("" when there is none)."""
    text = website.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    host = re.split(r"[/?#:]", text, maxsplit=1)[0].removeprefix("www.")
    return host if "." in host else ""


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one edit (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def suggest_fix(address: str, company_website: str = "") -> str | None:
    """A likely intended address when the domain looks misheard, else None. Never applied.

    Known provider typos come first; then a domain one or two edits from the company's
    own website domain (an address at the company is the usual case in B2B).
    """
    parts = _split(address)
    if parts is None:
        return None
    local, domain = parts
    labels = domain.split(".")
    labels = [_LABEL_FIXES.get(label, label) for label in labels[:-1]] + [
        _TLD_FIXES.get(labels[-1], labels[-1])
    ]
    fixed = ".".join(labels)
    fixed = _DOMAIN_FIXES.get(fixed, fixed)
    if fixed != domain:
        return f"{local}@{fixed}"
    site = website_domain(company_website)
    if site and domain != site and domain not in WEBMAIL_DOMAINS:
        # One edit on a short domain is already a different company name.
        allowed = 2 if len(site) >= 10 else 1
        if _distance(domain, site) <= allowed:
            return f"{local}@{site}"
    return None


# The French radio alphabet ("A comme Anatole") and the international (NATO) one.
_ALPHABETS = {
    "fr": dict(
        zip(
            "abcdefghijklmnopqrstuvwxyz",
            "Anatole Berthe Célestin Désiré Eugène François Gaston Henri Irma Joseph Kléber"
            " Louis Marcel Nicolas Oscar Pierre Quintal Raoul Suzanne Thérèse Ursule Victor"
            " William Xavier Yvonne Zoé".split(),
            strict=True,
        )
    ),
    "intl": dict(
        zip(
            "abcdefghijklmnopqrstuvwxyz",
            "Alfa Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett Kilo Lima Mike"
            " November Oscar Papa Quebec Romeo Sierra Tango Uniform Victor Whiskey X-ray"
            " Yankee Zulu".split(),
            strict=True,
        )
    ),
}
# The callee is French either way: symbols and digits are said in French.
_SYMBOLS = {
    "@": "arobase",
    ".": "point",
    "-": "tiret",
    "_": "tiret bas",
    "+": "plus",
    "'": "apostrophe",
    "&": "et commercial",
}
_DIGITS = "zéro un deux trois quatre cinq six sept huit neuf".split()
_ACCENTS = {
    "é": "e accent aigu",
    "è": "e accent grave",
    "ê": "e accent circonflexe",
    "ë": "e tréma",
    "à": "a accent grave",
    "â": "a accent circonflexe",
    "ç": "c cédille",
    "î": "i accent circonflexe",
    "ï": "i tréma",
    "ô": "o accent circonflexe",
    "ù": "u accent grave",
    "û": "u accent circonflexe",
    "ü": "u tréma",
}
# Said as words, never spelt: nobody spells "gmail" or "com" on the phone.
_SAID_AS_WORDS = frozenset({"com", "fr", "net", "org", "eu", "info", "biz", "io", "be", "ch"}) | {
    label for domain in WEBMAIL_DOMAINS for label in domain.split(".")
}


def _spell_part(part: str, words: dict[str, str]) -> list[str]:
    spoken = []
    for ch in part.lower():
        if ch in words:
            spoken.append(f"{ch} comme {words[ch]}")
        elif ch.isdigit():
            spoken.append(f"chiffre {_DIGITS[int(ch)]}")
        else:
            spoken.append(_SYMBOLS.get(ch) or _ACCENTS.get(ch) or ch)
    return spoken


def spell_back(address: str, alphabet: str = "fr") -> str:
    """The address as the caller reads it back: "j comme Joseph, …, arobase, orange, point, fr"."""
    words = _ALPHABETS.get(alphabet)
    if words is None:
        raise ValueError(f"unknown alphabet {alphabet!r} (fr or intl)")
    text = address.strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return ", ".join(_spell_part(text, words))
    spoken = _spell_part(local, words) + ["arobase"]
    for i, label in enumerate(domain.lower().split(".")):
        if i:
            spoken.append("point")
        spoken.extend([label] if label in _SAID_AS_WORDS else _spell_part(label, words))
    return ", ".join(spoken)


# Shared mailboxes: reaching one is not reaching the IT manager. "informatique@" and
# "it@" are left out on purpose: in a small company that is the IT manager's own box.
GENERIC_LOCAL_PARTS = frozenset(
    "contact contacts info infos information informations accueil bonjour hello "
    "commercial commerciale ventes vente sales compta comptabilite facturation factures "
    "direction secretariat admin administration office standard reception support sav "
    "service serviceclient service-client rh recrutement jobs noreply no-reply mail "
    "courrier devis webmaster postmaster marketing communication agence societe "
    "entreprise magasin boutique atelier mairie".split()
)


def is_generic(address: str) -> bool:
    """True for a shared mailbox (contact@, info@, accueil@, contact.lyon@...)."""
    local = address.strip().rpartition("@")[0].lower().split("+", 1)[0]
    if not local:
        return False
    return local in GENERIC_LOCAL_PARTS or re.split(r"[._-]", local, maxsplit=1)[0] in (
        GENERIC_LOCAL_PARTS
    )
