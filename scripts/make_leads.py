"""Write a synthetic purchased lead list: French SMEs, numbers typed in the usual messy ways.

Makes the demo list (data/demo_leads.csv) and the benchmark files; same seed, same file.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

import phonenumbers

HEADER = [
    "Raison sociale",
    "SIRET",
    "Téléphone",
    "Adresse",
    "Ville",
    "Code postal",
    "Secteur d'activité",
    "Effectif",
    "Nom du contact",
    "Fonction",
    "E-mail",
    "Site web",
]

SURNAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre "
    "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
    "Guérin Muller Henry Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez "
    "Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly "
    "Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Pérez Marchand Dufour Blanchard "
    "Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre Renard Arnaud Rolland "
    "Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard Philippe Lacroix"
).split()
FIRST_NAMES = (
    "Jean Marie Pierre Nathalie Philippe Isabelle Michel Sylvie Alain Catherine Nicolas "
    "Françoise Christophe Sandrine Stéphane Valérie Laurent Christine Frédéric Céline Éric "
    "Sophie Olivier Sébastien Émilie Julien Aurélie Thierry Camille Hélène Jérôme Amélie"
).split()
FORMS = ("SARL", "SAS", "S.A.S.", "SA", "EURL", "S.A.R.L.", "SASU", "")
ACTIVITIES = (
    "Transports",
    "Informatique",
    "Bâtiment",
    "Conseil",
    "Imprimerie",
    "Menuiserie",
    "Distribution",
    "Électricité",
    "Logistique",
    "Mécanique",
    "Emballages",
    "Expertise",
)
SECTORS = (
    "Industrie",
    "BTP",
    "Commerce de gros",
    "Transport-Logistique",
    "Banque-Finance",
    "Santé",
    "Édition",
    "Agroalimentaire",
    "Services aux entreprises",
    "Télécommunication",
)
HEADCOUNTS = ("10-19", "20-49", "50-99", "100-199", "200-249")
TITLES = (
    "DSI",
    "Responsable informatique",
    "Directeur des systèmes d'information",
    "Administrateur réseau",
    "DAF",
    "Gérant",
    "Responsable des services généraux",
)
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "boulevard Pasteur",
    "rue du Général de Gaulle",
    "impasse des Artisans",
    "zone industrielle des Prés",
)
# City, postcode and the first digits a switchboard there dials (01 Paris... 0590 Guadeloupe).
CITIES = (
    ("Paris", "75008", "01"),
    ("Boulogne-Billancourt", "92100", "01"),
    ("Créteil", "94000", "01"),
    ("Nanterre", "92000", "01"),
    ("Rennes", "35000", "02"),
    ("Nantes", "44000", "02"),
    ("Rouen", "76000", "02"),
    ("Caen", "14000", "02"),
    ("Orléans", "45000", "02"),
    ("Lille", "59000", "03"),
    ("Strasbourg", "67000", "03"),
    ("Metz", "57000", "03"),
    ("Reims", "51100", "03"),
    ("Dijon", "21000", "03"),
    ("Lyon", "69003", "04"),
    ("Marseille", "13002", "04"),
    ("Grenoble", "38000", "04"),
    ("Nice", "06000", "04"),
    ("Montpellier", "34000", "04"),
    ("Saint-Étienne", "42000", "04"),
    ("Bourg-en-Bresse", "01000", "04"),
    ("Bordeaux", "33000", "05"),
    ("Toulouse", "31000", "05"),
    ("Limoges", "87000", "05"),
    ("Pau", "64000", "05"),
    ("La Rochelle", "17000", "05"),
    ("Pointe-à-Pitre", "97110", "0590"),
    ("Fort-de-France", "97200", "0596"),
    ("Cayenne", "97300", "0594"),
    ("Saint-Denis", "97400", "0262"),
    ("Mamoudzou", "97600", "0269"),
)
OVERSEAS_PREFIXES = {"0590": "GP", "0596": "MQ", "0594": "GF", "0262": "RE", "0269": "YT"}
UNUSABLE = (
    "",
    "N/A",
    "n.c.",
    "pas de numéro",
    "12345",
    "01 23 45",
    "0000000000",
    "+33 0 00 00 00 00",
)
FORMULA_LIKE = ('=HYPERLINK("http://example.com")', "+ DSI", "-", "@contact")


def national_digits(rng: random.Random, prefix: str) -> str:
    """Ten digits of a number phonenumbers accepts as valid, starting with `prefix`."""
    if rng.random() < 0.25 and prefix not in OVERSEAS_PREFIXES:
        prefix = rng.choice(("06", "07", "09"))
    while True:
        digits = prefix + "".join(rng.choice("0123456789") for _ in range(10 - len(prefix)))
        if prefix in OVERSEAS_PREFIXES:
            number = phonenumbers.parse(digits, OVERSEAS_PREFIXES[prefix])
        else:
            number = phonenumbers.PhoneNumber(country_code=33, national_number=int(digits))
        if phonenumbers.is_valid_number(number):
            return digits


def spell(rng: random.Random, digits: str) -> str:
    """The same number as a vendor file might hold it."""
    pairs = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    overseas = digits.startswith(tuple(OVERSEAS_PREFIXES))
    styles = [
        pairs,
        pairs.replace(" ", "."),
        pairs.replace(" ", "-"),
        digits,
        f"Tél : {pairs}",
        f"{pairs} (standard)",
        digits[1:],  # a spreadsheet number: the leading zero is gone
    ]
    if not overseas:
        styles += [
            f"+33 {digits[1]} {pairs[3:]}",
            f"+33 (0){digits[1]} {pairs[3:]}",
            f"0033 {digits[1]} {pairs[3:]}",
            f"+33{digits[1:]}",
        ]
    return rng.choice(styles)


def company_name(rng: random.Random) -> str:
    if rng.random() < 0.4:
        base = f"{rng.choice(ACTIVITIES)} {rng.choice(SURNAMES)}"
    elif rng.random() < 0.5:
        base = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
    else:
        base = rng.choice(SURNAMES)
    form = rng.choice(FORMS)
    return f"{base} {form}".strip()


def slug(text: str) -> str:
    table = str.maketrans("àâçéèêëîïôöûüÉ", "aaceeeeiioouue")
    return "".join(c for c in text.lower().translate(table) if c.isalnum())


def lead_rows(count: int, seed: int, invalid_rate: float, duplicate_rate: float):
    rng = random.Random(seed)
    seen: list[str] = []
    for _ in range(count):
        city, postcode, prefix = rng.choice(CITIES)
        company = company_name(rng)
        roll = rng.random()
        if roll < invalid_rate:
            phone = rng.choice(UNUSABLE)
        elif roll < invalid_rate + duplicate_rate and seen:
            phone = spell(rng, rng.choice(seen))
        else:
            digits = national_digits(rng, prefix)
            seen.append(digits)
            phone = spell(rng, digits)
        contact = title = email = ""
        if rng.random() < 0.45:
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            contact = f"{first} {last}"
            title = rng.choice(TITLES) if rng.random() < 0.7 else ""
            if rng.random() < 0.6:
                email = f"{slug(first)}.{slug(last)}@{slug(company)[:20]}.fr"
        if rng.random() < 0.004:
            contact = rng.choice(FORMULA_LIKE)
        siren = "".join(rng.choice("0123456789") for _ in range(9))
        # Some vendors put the street and the building on two lines of one cell.
        address = f"{rng.randint(1, 180)}, {rng.choice(STREETS)}"
        if rng.random() < 0.05:
            address += "\nBâtiment B; 2e étage"
        yield [
            company,
            f"{siren[:3]} {siren[3:6]} {siren[6:]} {rng.randint(10, 999):05d}",
            phone,
            address,
            city,
            postcode,
            rng.choice(SECTORS),
            rng.choice(HEADCOUNTS),
            contact,
            title,
            email,
            f"www.{slug(company)[:20]}.fr" if rng.random() < 0.5 else "",
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rows", type=int, default=300, help="data rows (default 300)")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--encoding", default="cp1252", help="default cp1252, as French Excel")
    parser.add_argument("--separator", default=";", help="default ';', as French Excel")
    parser.add_argument("--invalid-rate", type=float, default=0.03, help="unusable numbers")
    parser.add_argument("--duplicate-rate", type=float, default=0.05, help="repeated numbers")
    args = parser.parse_args(argv)

    rows = lead_rows(args.rows, args.seed, args.invalid_rate, args.duplicate_rate)
    if args.output is None:
        out = open(sys.stdout.fileno(), "w", encoding=args.encoding, newline="", closefd=False)
    else:
        out = args.output.open("w", encoding=args.encoding, newline="")
    with out:
        writer = csv.writer(out, delimiter=args.separator, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
