"""Phone cells as purchased files hold them: every spelling, floats, overseas, invalid ones.

The fast paths in phones.py are checked against phonenumbers' own answers number by number.
"""

from __future__ import annotations

import random
import re

import phonenumbers
import pytest
from phonenumbers import PhoneMetadata, PhoneNumberFormat
from phonenumbers.timezone import time_zones_for_number

from prospect_tui.core import phones
from prospect_tui.core.phones import OVERSEAS_REGIONS, TYPE_NAMES, national, parse_phone

PARIS = "+33142685300"


@pytest.mark.parametrize(
    "cell",
    [
        "01 42 68 53 00",
        "01.42.68.53.00",
        "01-42-68-53-00",
        "0142685300",
        "01/42/68/53/00",
        "+33 1 42 68 53 00",
        "+33 (0)1 42 68 53 00",
        "+33(0)142685300",
        "0033 1 42 68 53 00",
        "0033142685300",
        "+33142685300",
        "Tél : 01 42 68 53 00",
        "Tel.: 01.42.68.53.00",
        "01 42 68 53 00 (standard)",
        "standard 01 42 68 53 00 poste 214",
        " 01 42 68 53 00 ",
        "01\u00a042\u00a068\u00a053\u00a000",
        "142685300",  # a spreadsheet number that lost its leading zero
        142685300,
        142685300.0,
        "142685300.0",
        "1.42685300E8",
        "1,42685300E+08",  # French Excel's decimal comma
        "01 42 68 53 00 / 06 12 34 56 78",
    ],
)
def test_every_usual_spelling_gives_the_same_number(cell: object) -> None:
    phone = parse_phone(cell)
    assert phone is not None, cell
    assert phone.e164 == PARIS
    assert phone.national == "01 42 68 53 00"
    assert phone.type == "fixed"
    assert phone.timezone == "Europe/Paris"
    assert phone.region == "FR"


@pytest.mark.parametrize(
    "cell",
    [None, "", "   ", "N/A", "n.c.", "pas de numéro", "12345", "01 23 45", "0000000000",
     "+33 0 00 00 00 00", "01 23 45 67 89 12 34", 12345.0, 1.5, "06 12 34 56", "+999 123",
     "1.426853E8", "1.4E+08", "1,4E+08", "1.4268530012E+08", "1E+" + "0" * 5000],
)  # fmt: skip
def test_unusable_cells_are_not_numbers(cell: object) -> None:
    assert parse_phone(cell) is None


@pytest.mark.parametrize(
    ("cell", "e164", "kind", "shown"),
    [
        ("06 12 34 56 78", "+33612345678", "mobile", "06 12 34 56 78"),
        ("07 81 23 45 67", "+33781234567", "mobile", "07 81 23 45 67"),
        ("09 69 12 34 56", "+33969123456", "voip", "09 69 12 34 56"),
        ("0 800 12 34 56", "+33800123456", "toll_free", "0 800 12 34 56"),
        ("04 78 12 34 56", "+33478123456", "fixed", "04 78 12 34 56"),
    ],
)
def test_type_and_national_form(cell: str, e164: str, kind: str, shown: str) -> None:
    phone = parse_phone(cell)
    assert phone is not None
    assert (phone.e164, phone.type, phone.national) == (e164, kind, shown)
    assert phone.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("cell", "e164", "region", "zone"),
    [
        ("0590 82 12 34", "+590590821234", "GP", "America/Guadeloupe"),
        ("05 90 82 12 34", "+590590821234", "GP", "America/Guadeloupe"),
        ("590821234", "+590590821234", "GP", "America/Guadeloupe"),  # float cell
        ("0590 27 12 34", "+590590271234", "BL", "America/Guadeloupe"),  # Saint-Barthélemy
        ("0690 12 34 56", "+590690123456", "GP", "America/Guadeloupe"),
        ("0696 12 34 56", "+596696123456", "MQ", "America/Martinique"),
        ("0594 30 12 34", "+594594301234", "GF", "America/Cayenne"),
        ("0694 20 12 34", "+594694201234", "GF", "America/Cayenne"),
        ("0262 21 23 45", "+262262212345", "RE", "Indian/Reunion"),
        ("0692 12 34 56", "+262692123456", "RE", "Indian/Reunion"),
        ("0639 40 12 34", "+262639401234", "YT", "Indian/Mayotte"),
        ("+590 590 82 12 34", "+590590821234", "GP", "America/Guadeloupe"),
        ("00262 262 21 23 45", "+262262212345", "RE", "Indian/Reunion"),
    ],
)
def test_overseas_numbers_are_found_in_their_own_region(
    cell: str, e164: str, region: str, zone: str
) -> None:
    phone = parse_phone(cell)
    assert phone is not None, cell
    assert (phone.e164, phone.region, phone.timezone) == (e164, region, zone)
    assert phone.national.startswith("0")


def test_a_number_valid_in_mainland_france_stays_there() -> None:
    """The rule of the issue: overseas regions are tried only when FR says invalid.

    phonenumbers' French plan includes 05 96 and 02 69 fixed lines, so those stay +33.
    """
    phone = parse_phone("0596 61 23 45")
    assert phone is not None and (phone.e164, phone.region) == ("+33596612345", "FR")


def test_other_default_regions() -> None:
    belgian = parse_phone("02 555 12 12", "BE")
    assert belgian is not None and belgian.e164 == "+3225551212"
    assert parse_phone("02 555 12 12", "be") == belgian
    swiss = parse_phone("044 668 18 00", "CH")
    assert swiss is not None and swiss.e164 == "+41446681800"
    assert parse_phone("+33 1 42 68 53 00", "BE").e164 == PARIS


def test_national_form_of_a_stored_number() -> None:
    assert national(PARIS) == "01 42 68 53 00"
    assert national("+590590271234") == "0590 27 12 34"
    assert national("not a number") == "not a number"


def test_batch_parse_gives_plain_tuples() -> None:
    assert phones.parse_phones(["01 42 68 53 00", "N/A"]) == [
        (PARIS, "01 42 68 53 00", "fixed", "Europe/Paris", "FR"),
        None,
    ]


def _reference(cell: str, region: str = "FR") -> tuple | None:
    """The answer of plain phonenumbers calls, without any of phones.py's shortcuts."""
    text = phones._clean(cell)
    tries = (
        (region, *OVERSEAS_REGIONS) if region == "FR" and not text.startswith("+") else (region,)
    )
    for attempt in tries:
        try:
            number = phonenumbers.parse(text, attempt)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            zones = time_zones_for_number(number)
            return (
                phonenumbers.format_number(number, PhoneNumberFormat.E164),
                phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
                TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
                tuple(zone for zone in zones if zone != "Etc/Unknown"),
                phonenumbers.region_code_for_number(number),
            )
    return None


def _spellings(digits: str) -> list[str]:
    pairs = " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return [
        pairs,
        digits,
        digits[1:],
        pairs.replace(" ", "."),
        f"+33 {digits[1]} {pairs[3:]}",
        f"+33 (0){digits[1:]}",
        f"0033 {digits[1:]}",
        f"Tél : {pairs}",
    ]


def test_shortcuts_agree_with_phonenumbers_on_thousands_of_numbers() -> None:
    rng = random.Random(7)
    prefixes = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "0590", "0596", "0594",
                "0262", "0269", "0690", "0696", "0694", "0692", "0639", "0976"]  # fmt: skip
    phones._parse_clean.cache_clear()
    phones._national_templates.clear()
    checked = valid = 0
    for _ in range(1500):
        prefix = rng.choice(prefixes)
        digits = prefix + "".join(rng.choice("0123456789") for _ in range(10 - len(prefix)))
        for cell in _spellings(digits):
            expected = _reference(cell)
            found = parse_phone(cell)
            if expected is None:
                assert found is None, cell
            else:
                e164, shown, kind, zones, region = expected
                got = (found.e164, found.national, found.type, found.region)
                assert got == (e164, shown, kind, region), cell
                assert found.timezone in zones or not (found.timezone or zones), cell
            checked += 1
            valid += expected is not None
    assert checked == 12000 and valid > 3000


@pytest.mark.parametrize("code", sorted(phones._TEMPLATE_COUNTRIES))
def test_national_layouts_depend_on_three_digits_at_most(code: int) -> None:
    """What makes _national_format's template cache exact for these country codes."""
    rng = random.Random(code)
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        for layout in metadata.number_format:
            for pattern in layout.leading_digits_pattern:
                compiled = re.compile(pattern)
                for start in range(1000):
                    head = f"{start:03d}"
                    answers = {
                        bool(
                            compiled.match(
                                head + "".join(rng.choice("0123456789") for _ in "123456")
                            )
                        )
                        for _ in range(4)
                    }
                    assert len(answers) == 1, (region, pattern, head)
