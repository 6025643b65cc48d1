"""Which column feeds which lead field: by its header (French and English names) and its cells.

A header proposes a field; the sampled cells confirm it: URLs, identifiers or coordinates are
never a name, a city or a title, an empty column is never chosen, among several phone columns
the one with most valid numbers wins, and cells naming organisations (SARL, Mairie, Garage...)
make a company column where no header says so. Each choice keeps its reasons in words.
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
        frozenset(
            {
                "societe",
                "entreprise",
                "company",
                "sociale",
                "etablissement",
                "enseigne",
                "denomination",
                "raison",
                "rs",
                "nomoff",
                "organisation",
                "organization",
            }
        ),
    ),  # fmt: skip
    ("contact_name", frozenset({"contact", "interlocuteur", "dirigeant", "person"})),
)
# A fax number is a phone number nobody answers.
NOT_A_PHONE = frozenset({"fax", "telecopie"})
_ALIAS_FIELD = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

# Fields that hold words a caller reads out: never URLs, identifiers or coordinates.
WORDY_FIELDS = frozenset(
    {"company", "city", "contact_name", "contact_title", "first_name", "last_name"}
)
MAYBE_PHONE = ("phone", None, *WORDY_FIELDS)
MAYBE_WORDS = (None, *WORDY_FIELDS)
# Share of a column's filled cells that makes a kind of content decisive.
DECISIVE = 0.5
# Share of place-like names that makes a column beside the postcodes the town.
PLACES = 0.8

# A header word that only says "name" (lib_etab, nom_structure): the cells must confirm it.
NAME_WORDS = frozenset({"nom", "lib", "libelle", "name", "intitule", "label"})
NOT_A_NAME = frozenset({
    "nombre", "nomenclature", "prenom", "first", "last", "full", "user", "utilisateur",
    "owner", "proprietaire", "contact", "fichier", "file", "produit", "product", "categorie",
    "category", "type", "voie", "rue", "street", "naf", "ape", "activite", "region",
    "departement", "dep", "reg", "pays", "country", "person", "personne", "dirigeant",
})  # fmt: skip
# With a name word, the name of a place: com_nom, lib_com, nom_ville; of an area, no city.
AREA_WORDS = frozenset({"reg", "region", "dep", "departement", "dept", "pays", "country"})
PLACE_WORDS = AREA_WORDS | {"com", "commune", "ville", "city", "localite", "town", "locality"}
# Words that say a cell names an organisation (compared folded: "Hôtel" = "hotel").
ORGANISATION_WORDS = frozenset({
    "sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "selarl", "selas", "scp", "scop", "gie",
    "gaec", "earl", "sem", "spl", "inc", "ltd", "llc", "gmbh", "corp", "plc", "mairie", "musee",
    "garage", "hotel", "centre", "center", "cabinet", "clinique", "pharmacie", "boulangerie",
    "restaurant", "boucherie", "brasserie", "cafe", "salon", "agence", "societe", "entreprise",
    "groupe", "group", "association", "institut", "laboratoire", "lycee", "college", "ecole",
    "universite", "hopital", "hospitalier", "ehpad", "maison", "bureau", "atelier", "office",
    "syndicat", "communaute", "banque", "assurances", "transports", "immobilier", "services",
    "conseil", "consulting", "solutions", "technologies", "industries", "automobiles", "auto",
    "controle", "technique", "cooperative", "federation", "fondation", "club", "chambre",
    "camping", "residence", "foyer", "creche", "piscine", "mediatheque", "bibliotheque",
    "theatre", "cinema", "prefecture", "gendarmerie", "notaire", "notaires", "avocats",
    "imprimerie", "librairie", "traiteur", "menuiserie", "plomberie", "btp", "coiffure",
    "optique", "vaccination", "sante", "medical", "dentaire", "veterinaire", "etablissement",
})  # fmt: skip
# How a reason shows the word a header was recognised by, and what the cells were counted as.
DISPLAY = {
    "denomination": "dénomination", "societe": "société", "telephone": "téléphone", "tel": "tél",
    "etablissement": "établissement", "libelle": "libellé", "localite": "localité",
}  # fmt: skip
CONTENT_WORDS = {
    "phone": "valid phone numbers", "email": "e-mail addresses", "postcode": "postcodes",
    "website": "web addresses", "company": "organisation names", "city": "place names",
}  # fmt: skip

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


def header_hint(header: str) -> tuple[str | None, str, int]:
    """(field, the words that say it, strength) for a header: 2 an exact name ("raison
    sociale"), 1 a telling word ("cct_denomination"), 0 a mere "name" ("nom_structure",
    "lib_etab"), which the cells must confirm."""
    normal_header = normal(header)
    for name in (normal_header, _undigit(normal_header)):
        if name in _ALIAS_FIELD:
            return _ALIAS_FIELD[name], name, 2
    words = _undigit(normal_header).split()
    found = set(words)
    if found & NOT_A_PHONE:
        return None, normal_header, 1
    # The name of a place (com_nom, lib_com); a region's or a department's is no city.
    if found & NAME_WORDS and found & PLACE_WORDS:
        return (None, normal_header, 1) if found & AREA_WORDS else ("city", "a place's name", 1)
    if found & AREA_WORDS:
        return None, normal_header, 1
    for name, keywords in KEYWORDS:
        for word in words:
            if word in keywords:
                return name, word, 1
    for word in words:
        if word in NAME_WORDS or (word.startswith("nom") and word not in NOT_A_NAME):
            return (None if found & NOT_A_NAME else "company"), word, 0
    return None, "", 0


def field_for(header: str) -> str | None:
    """The lead field a column header names, or None for a column kept as extra."""
    return header_hint(header)[0]


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
    organisations: int = 0  # a legal form or a word such as Mairie, Garage, Hôtel
    places: int = 0  # a few capitalised words, no digit: what a town's name looks like
    distinct: int = 0

    def share(self, count: int) -> float:
        return count / self.filled if self.filled else 0.0

    @property
    def machine_made(self) -> float:
        """Share of URLs, e-mails, identifiers, coordinates and numbers: not words to read."""
        kinds = self.urls + self.emails + self.coordinates + self.codes + self.numbers
        return self.share(min(kinds, self.filled))


def profile(cells: Sequence[str], region: str, phones: bool, wordy: bool = False) -> ColumnProfile:
    """Count what each filled cell looks like (one cell may count as several kinds).

    Phone numbers are only looked for when `phones` (parsing costs ~20 µs a cell), names of
    organisations and places only when `wordy`.
    """
    found = ColumnProfile()
    seen: set[str] = set()
    for raw in cells:
        cell = raw.strip()
        if not cell:
            continue
        found.filled += 1
        seen.add(cell.casefold())
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
            if wordy:
                tokens = normal(cell).split()
                if ORGANISATION_WORDS.intersection(tokens):
                    found.organisations += 1
                elif len(tokens) <= 5 and not any(c.isdigit() for c in cell):
                    found.places += 1
        if phones and any(c.isdigit() for c in cell) and parse_phone(cell, region) is not None:
            found.phones += 1
    found.distinct = len(seen)
    return found


def _fits(name: str, header_field: str | None, found: ColumnProfile) -> bool:
    """Whether a column's cells agree with the field its header names; an empty one never."""
    if not found.filled:
        return False
    if name in WORDY_FIELDS:
        # "words beat codes": a column of identifiers, links or positions is no name.
        return found.machine_made < DECISIVE and found.share(found.phones) < DECISIVE
    if name == "phone":
        return header_field == name or found.share(found.phones) >= DECISIVE
    if name == "email":
        return header_field == name or found.share(found.emails) >= DECISIVE
    return header_field == name


def _names_organisations(found: ColumnProfile) -> bool:
    """Cells a person would take for company names: mostly distinct, many say what they are."""
    return found.share(found.distinct) >= 0.8 and (
        found.share(found.organisations) >= DECISIVE
        or found.share(found.words) >= DECISIVE
        and found.share(found.places) < DECISIVE
    )


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


@dataclass
class ColumnChoice:
    """Which column feeds which field and why; a company column to propose when none is sure."""

    mapping: dict[str, int]  # field -> column index
    reasons: dict[str, str]  # field -> why, in words
    proposal: tuple[int, str] | None = None  # (column index, why) for --map company=...


class _Chooser:
    """One file's columns with their header hints and sample profiles, and the picks so far."""

    def __init__(
        self, columns: list[str], samples: list[list[str]], region: str, forced: dict[str, int]
    ) -> None:
        self.columns = columns
        self.mapping = dict(forced)
        self.reasons = {name: "--map" for name in forced}
        self.used = set(forced.values())
        self.hints = [header_hint(column) for column in columns]
        self.named = [hint[0] for hint in self.hints]
        self.profiles = [
            profile(cells, region, self.named[i] in MAYBE_PHONE, self.named[i] in MAYBE_WORDS)
            for i, cells in enumerate(samples)
        ]

    def free(self) -> list[int]:
        return [i for i in range(len(self.columns)) if i not in self.used]

    def take(self, name: str, index: int, content: str = "") -> None:
        self.mapping[name] = index
        self.used.add(index)
        field, said, strength = self.hints[index]
        why = []
        if (field == name or (field, name) == ("last_name", "company")) and said:
            # A whole header recognised is shown as written; a telling word, with its accents.
            said = self.columns[index].strip() if strength == 2 else DISPLAY.get(said, said)
            why.append(f"name: {said}" + (" (a name)" if not strength else ""))
        found = self.profiles[index]
        counts = {"phone": found.phones, "email": found.emails, "postcode": found.postcodes,
                  "website": found.urls, "company": found.organisations,
                  "city": found.places}  # fmt: skip
        if content:
            why.append(content)
        elif name in counts:
            why.append(f"{_percent(found.share(counts[name]))} {CONTENT_WORDS[name]}")
        self.reasons[name] = "; ".join(why)

    def by_values(self) -> None:
        """Phone and e-mail are told by content too: among the columns named so, the one with
        most valid values wins; a column of them under another name only when none is named so."""
        for name, count in (("phone", "phones"), ("email", "emails")):
            if name in self.mapping:
                continue
            candidates = [
                i
                for i in self.free()
                if self.named[i] in MAYBE_PHONE
                and not set(_undigit(normal(self.columns[i])).split()) & NOT_A_PHONE
                and _fits(name, self.named[i], self.profiles[i])
            ]
            candidates = [i for i in candidates if self.named[i] == name] or candidates
            if candidates:
                self.take(
                    name,
                    max(
                        candidates,
                        key=lambda i: (getattr(self.profiles[i], count), self.hints[i][2], -i),
                    ),
                )

    def by_names(self) -> None:
        """Every other field from the columns named so, when their cells agree."""
        for name in FIELDS:
            if name in self.mapping:
                continue
            candidates = [
                i
                for i in self.free()
                if self.named[i] == name
                and _fits(name, name, self.profiles[i])
                # A mere "name" header (lib_*, nom*) must be borne out by its cells.
                and (self.hints[i][2] > 0 or _names_organisations(self.profiles[i]))
            ]
            if candidates:
                # The strongest name, then most organisations, then most words, then the first.
                self.take(name, max(candidates, key=self._rank))
        # A lone "Nom" with no company column is the company's name, not a person's.
        if "company" not in self.mapping and "last_name" in self.mapping:
            if "first_name" not in self.mapping:
                del self.reasons["last_name"]
                self.take("company", self.mapping.pop("last_name"))

    def _rank(self, index: int) -> tuple[int, float, float, int]:
        found = self.profiles[index]
        strength = self.hints[index][2]
        return strength, found.share(found.organisations), found.share(found.words), -index

    def by_content(self) -> None:
        """Columns no header names whose cells speak: organisations; towns beside postcodes."""
        # Columns no header says anything of (not "reg_name", a region, nor "fax").
        loose = [i for i in self.free() if self.hints[i] == (None, "", 0)]
        if "company" not in self.mapping:
            organisations = [
                i
                for i in loose
                if _fits("company", None, self.profiles[i])
                and _names_organisations(self.profiles[i])
                and self.profiles[i].share(self.profiles[i].organisations) >= DECISIVE
            ]
            if organisations:
                self.take("company", max(organisations, key=self._rank))
        if "city" not in self.mapping and "postcode" in self.mapping:
            beside = (self.mapping["postcode"] - 1, self.mapping["postcode"] + 1)
            towns = [
                i
                for i in loose
                if i in beside
                and i not in self.used
                and _fits("city", None, self.profiles[i])
                and self.profiles[i].share(self.profiles[i].places) >= PLACES
            ]
            if towns:
                found = self.profiles[towns[0]]
                share = _percent(found.share(found.places))
                self.take("city", towns[0], f"beside the postcodes; {share} place names")

    def proposal(self) -> tuple[int, str] | None:
        """The column a person would try as the company when none is sure: words first (the
        most organisation-like), else the town's name (a directory of town halls)."""
        if {"company", "contact_name", "first_name", "last_name"} & set(self.mapping):
            return None
        wordy = [i for i in self.free() if _fits("company", None, self.profiles[i])]
        organisations = [i for i in wordy if self.profiles[i].organisations]
        if organisations:
            best = max(organisations, key=self._rank)
            found = self.profiles[best]
            return best, f"{_percent(found.share(found.organisations))} organisation names"
        if "city" in self.mapping:
            return self.mapping["city"], "the only names are places"
        names = [
            i
            for i in wordy
            if self.profiles[i].share(self.profiles[i].places) >= DECISIVE
            and self.profiles[i].share(self.profiles[i].distinct) >= PLACES
        ]
        if names:
            best = max(names, key=self._rank)
            return best, f"{_percent(self.profiles[best].share(self.profiles[best].places))} names"
        return None


def choose_mapping(
    columns: list[str],
    samples: list[list[str]],
    region: str,
    forced: dict[str, int],
) -> ColumnChoice:
    """field -> column index, from headers confirmed by content; `forced` (--map) wins."""
    chooser = _Chooser(columns, samples, region, forced)
    chooser.by_values()
    chooser.by_names()
    chooser.by_content()
    return ColumnChoice(chooser.mapping, chooser.reasons, chooser.proposal())
