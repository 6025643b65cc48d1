"""Which column feeds which lead field: by its header (French and English names) and its cells.

A header proposes a field; the cells confirm it: URLs, identifiers or coordinates are never a
name, a city or a title, and among several phone columns the one with most valid numbers wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from prospect_tui.core import UserError
from prospect_tui.core.phones import parse_phone

# Lead fields a column can feed; first_name/last_name are joined into contact_name.
FIELDS = (
    "company", "phone", "city", "postcode", "contact_name", "contact_title", "email", "siret",
    "sector", "employees", "website", "first_name", "last_name",
)  # fmt: skip

# Header names as they come from French and English vendors, compared after normal().
# fmt: off
ALIASES: dict[str, tuple[str, ...]] = {
    "company": (
        "raison sociale", "rs", "societe", "entreprise", "company", "company name", "nom societe",
        "nom de la societe", "nom entreprise", "nom de l entreprise", "denomination",
        "denomination sociale", "etablissement", "enseigne", "nom commercial", "organisation",
        "organization", "account", "account name", "business name", "name", "legal name",
        "nom etablissement", "nom de l etablissement",
    ),
    "phone": (
        "telephone", "tel", "tel standard", "telephone standard", "standard", "phone",
        "phone number", "telephone number", "numero de telephone", "num tel", "no tel", "n tel",
        "tel fixe", "telephone fixe", "fixe", "ligne directe", "portable", "mobile", "gsm",
    ),
    "city": (
        "ville", "city", "commune", "localite", "town", "locality", "address locality",
        "nom commune", "nom de la commune",
    ),
    "postcode": (
        "cp", "code postal", "zip", "zip code", "postcode", "postal code", "address postal code",
    ),
    "contact_name": (
        "nom du contact", "contact", "contact name", "nom contact", "interlocuteur",
        "dirigeant", "nom du dirigeant", "full name", "nom complet",
    ),
    "contact_title": (
        "fonction", "job title", "title", "poste", "titre", "position", "role",
        "fonction du contact",
    ),
    "email": (
        "e mail", "email", "mail", "courriel", "adresse e mail", "adresse email", "adresse mail",
        "email address", "e mail address",
    ),
    "siret": ("siret", "siren", "n siret", "no siret", "numero siret", "siret siege"),
    "sector": (
        "secteur", "secteur d activite", "industry", "activite", "code naf", "naf",
        "libelle naf", "sector", "code ape", "ape",
    ),
    "employees": (
        "effectif", "effectifs", "employees", "tranche d effectif", "tranche effectif",
        "nombre de salaries", "salaries", "headcount", "number of employees", "company size",
    ),
    "website": ("site web", "site internet", "website", "web", "url", "site"),
    "first_name": ("prenom", "first name", "given name", "prenom du contact"),
    "last_name": ("nom", "last name", "surname", "family name", "nom de famille"),
}
# fmt: on
# Words that give a longer header away ("Téléphone du standard", "E-mail du DSI"), in the
# order they are tried: an email or phone column often also says "contact".
KEYWORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("email", frozenset({"mail", "email", "courriel"})),
    ("siret", frozenset({"siret", "siren"})),
    ("phone", frozenset({"tel", "telephone", "phone", "standard", "portable", "mobile", "gsm"})),
    ("postcode", frozenset({"cp", "zip", "postal", "postcode"})),
    ("website", frozenset({"web", "url", "site", "internet", "website"})),
    ("city", frozenset({"ville", "city", "commune", "localite", "locality", "town"})),
    ("employees", frozenset({"effectif", "effectifs", "salaries", "employees"})),
    ("sector", frozenset({"secteur", "industry", "naf", "activite", "ape"})),
    ("contact_title", frozenset({"fonction", "title", "poste"})),
    (
        "company",
        frozenset({"societe", "entreprise", "company", "sociale", "etablissement", "enseigne"}),
    ),
    ("contact_name", frozenset({"contact", "interlocuteur", "dirigeant"})),
)
# A fax number is a phone number nobody answers.
NOT_A_PHONE = frozenset({"fax", "telecopie"})
_ALIAS_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

# Fields that hold words a caller reads out: never URLs, identifiers or coordinates.
WORDY_FIELDS = frozenset(
    {"company", "city", "contact_name", "contact_title", "first_name", "last_name"}
)
# Share of a column's filled cells that makes a kind of content decisive.
DECISIVE = 0.5

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_URL = re.compile(
    r"^(https?://|www\.)\S+$|^[a-z0-9-]+(\.[a-z0-9-]+)*\.(fr|com|net|org|eu|io|be|ch|de)(/\S*)?$",
    re.IGNORECASE,
)
_COORDINATE = r"[-+]?\d{1,3}[.,]\d{4,}"
_GPS = re.compile(rf"^\(?{_COORDINATE}(\s*[,;/ ]\s*{_COORDINATE})?\)?$")
_POSTCODE = re.compile(r"^(\d{4,5}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{5}-\d{4})$")
_NUMBER = re.compile(r"^[-+]?\d[\d\s]*([.,]\d+)?$")
# An identifier: one token of capitals, digits and joiners, with at least one digit.
_CODE = re.compile(r"^(?=[^ ]*\d)[A-Z0-9][A-Z0-9_./-]{2,}$")
_WORD = re.compile(r"[^\W\d_]{2,}")


def normal(name: str) -> str:
    """A header as compared: no accents, case or punctuation ("Tél. std" = "tel std")."""
    name = _CAMEL.sub(r"\1 \2", name)  # postalCode, addressLocality
    stripped = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in stripped if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", stripped).split())


def _undigit(normal_header: str) -> str:
    # "tel2", "mail 1": a number after a word does not change what the column holds.
    return " ".join(word.rstrip("0123456789") or word for word in normal_header.split())


def field_for(header: str) -> str | None:
    """The lead field a column header names, or None for a column kept as extra."""
    normal_header = normal(header)
    for name in (normal_header, _undigit(normal_header)):
        if name in _ALIAS_FIELD:
            return _ALIAS_FIELD[name]
    words = set(_undigit(normal_header).split())
    if words & NOT_A_PHONE:
        return None
    for name, keywords in KEYWORDS:
        if words & keywords:
            return name
    return None


def parse_mapping(items: list[str]) -> dict[str, str]:
    """`--map` items (`phone=Tél. standard`) as {field: column}; a bad item is a user error."""
    mapping: dict[str, str] = {}
    for item in items:
        name, equals, column = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        column = column.strip().strip("\"'").strip()
        if not equals or not name or not column:
            raise UserError(f'--map {item!r}: expected FIELD=COLUMN, e.g. phone="Tél. standard"')
        if name not in FIELDS:
            raise UserError(f"--map {item!r}: unknown field {name!r} (fields: {', '.join(FIELDS)})")
        mapping[name] = column
    return mapping


@dataclass
class ColumnProfile:
    """What a column's sample cells hold, as counts over its filled cells."""

    filled: int = 0
    phones: int = 0
    emails: int = 0
    urls: int = 0
    coordinates: int = 0
    postcodes: int = 0
    numbers: int = 0
    codes: int = 0
    words: int = 0

    def share(self, count: int) -> float:
        return count / self.filled if self.filled else 0.0

    @property
    def machine_made(self) -> float:
        """Share of URLs, e-mails, identifiers, coordinates and numbers: not words to read."""
        kinds = self.urls + self.emails + self.coordinates + self.codes + self.numbers
        return self.share(min(kinds, self.filled))


def profile(cells: Sequence[str], region: str, phones: bool) -> ColumnProfile:
    """Count what each filled cell looks like (one cell may count as several kinds).

    Phone numbers are only looked for when `phones` (parsing costs ~20 µs a cell).
    """
    found = ColumnProfile()
    for raw in cells:
        cell = raw.strip()
        if not cell:
            continue
        found.filled += 1
        if _EMAIL.match(cell):
            found.emails += 1
            continue
        if _URL.match(cell):
            found.urls += 1
            continue
        if _GPS.match(cell):
            found.coordinates += 1
            continue
        if _POSTCODE.match(cell):
            found.postcodes += 1
        if _NUMBER.match(cell):
            found.numbers += 1
        elif _CODE.match(cell):
            found.codes += 1
        elif _WORD.search(cell):
            found.words += 1
        if phones and any(c.isdigit() for c in cell) and parse_phone(cell, region) is not None:
            found.phones += 1
    return found


def _fits(name: str, header_field: str | None, found: ColumnProfile) -> bool:
    """Whether a column's cells agree with the field its header names."""
    if not found.filled:
        return header_field == name
    if name in WORDY_FIELDS:
        # "words beat codes": a column of identifiers, links or positions is no name.
        return found.machine_made < DECISIVE and found.share(found.phones) < DECISIVE
    if name == "phone":
        return header_field == name or found.share(found.phones) >= DECISIVE
    if name == "email":
        return header_field == name or found.share(found.emails) >= DECISIVE
    return header_field == name


def choose_mapping(
    columns: list[str],
    samples: list[list[str]],
    region: str,
    forced: dict[str, int],
) -> dict[str, int]:
    """field -> column index, from headers confirmed by content; `forced` (--map) wins."""
    mapping = dict(forced)
    used = set(forced.values())
    named = [field_for(column) for column in columns]
    exact = [normal(column) in _ALIAS_FIELD for column in columns]
    maybe_phone = ("phone", None, *WORDY_FIELDS)
    profiles = [profile(cells, region, named[i] in maybe_phone) for i, cells in enumerate(samples)]
    free = [i for i in range(len(columns)) if i not in used]

    def take(name: str, index: int) -> None:
        mapping[name] = index
        used.add(index)

    # Phone and e-mail are told by content too: among the columns named so, the one with most
    # valid values wins; a column of them under another name only when none is named so.
    for name, count in (("phone", "phones"), ("email", "emails")):
        if name in mapping:
            continue
        candidates = [
            i
            for i in free
            if i not in used
            and named[i] in maybe_phone
            and not set(_undigit(normal(columns[i])).split()) & NOT_A_PHONE
            and _fits(name, named[i], profiles[i])
        ]
        candidates = [i for i in candidates if named[i] == name] or candidates
        if candidates:
            take(name, max(candidates, key=lambda i: (getattr(profiles[i], count), exact[i], -i)))
    for name in FIELDS:
        if name in mapping:
            continue
        candidates = [
            i
            for i in free
            if i not in used and named[i] == name and _fits(name, named[i], profiles[i])
        ]
        if candidates:
            # An exact name beats a keyword; then the column with most words, then the first.
            take(
                name,
                max(candidates, key=lambda i: (exact[i], profiles[i].share(profiles[i].words), -i)),
            )
    # A lone "Nom" with no company column is the company's name, not a person's.
    if "company" not in mapping and "last_name" in mapping and "first_name" not in mapping:
        mapping["company"] = mapping.pop("last_name")
    return mapping
