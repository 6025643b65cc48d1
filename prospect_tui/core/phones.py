"""Phone numbers as callers dial them: every cell goes through phonenumbers.

Stored as E.164 with its type and time zone; shown in national format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonenumberutil import is_number_type_geographical

# The prefix table behind phonenumbers.timezone: read directly because
# time_zones_for_number() recomputes the number type we already have (half its cost).
from phonenumbers.timezone import (  # type: ignore[attr-defined]  # not in the stubs
    TIMEZONE_DATA,
    TIMEZONE_LONGEST_PREFIX,
)

# French overseas departments dial like mainland numbers (0590..., 0262...) but
# belong to their own regions: retried when the mainland parse is not valid.
OVERSEAS_REGIONS = ("GP", "MQ", "GF", "RE", "YT")

TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
}

# +262 mobiles span Réunion and Mayotte, listed alphabetically: the number's own region
# decides, or a Réunion mobile would get Mayotte's hours.
_REGION_ZONES = {"RE": "Indian/Reunion", "YT": "Indian/Mayotte"}

# The number inside a cell such as "Tél : 01.42.68.53.00 (standard)".
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")
# A spreadsheet float: 960381322.0 lost its leading zero.
_FLOAT_CELL = re.compile(r"^\d+\.0+$")
# The same in scientific notation (9.60381322E+08, or 9,60381322E+08 from French Excel); when
# the mantissa is shorter than the exponent (1.4E+08) it is a display rounded to a few digits.
_SCIENTIFIC_CELL = re.compile(r"^(\d)(?:[.,](\d+))?[eE]\+?(\d+)$")
# Two numbers in one cell ("01 42 68 53 00 / 06 12 34 56 78"): tried one by one.
_ALTERNATIVES = re.compile(r"\s*/\s*")
# Punctuation people type inside a number; "(0)" is kept apart (see _french_digits).
_PUNCTUATION = str.maketrans("", "", " .-/()\u00a0\u202f\t")


@dataclass(frozen=True)
class Phone:
    e164: str
    national: str
    type: str
    timezone: str
    region: str


def _clean(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    text = str(raw).strip()
    if _FLOAT_CELL.match(text):
        return str(int(float(text)))
    scientific = _SCIENTIFIC_CELL.match(text)
    if scientific:
        return _exact_digits(scientific) or ""
    match = _NUMBER_RUN.search(text)
    return match.group(0) if match else ""


def _exponent(scientific: re.Match[str]) -> int:
    digits = scientific.group(3).lstrip("0")
    return int(digits or "0") if len(digits) < 10 else 10**10  # int() refuses 4,300 digits


def _exact_digits(scientific: re.Match[str]) -> str | None:
    """`9.60381322E+08` -> `960381322`; None unless every digit up to the units is written:
    `1.4E+08` may be 140123456 as Excel shows it in a narrow column, another company's line."""
    fraction, exponent = scientific.group(2) or "", _exponent(scientific)
    if len(fraction) < exponent or fraction[exponent:].strip("0"):
        return None
    return scientific.group(1) + fraction[:exponent]


def is_rounded_number(cell: str) -> bool:
    """A number in scientific notation whose last digits were rounded away (`1.4E+08`)."""
    scientific = _SCIENTIFIC_CELL.match(cell.strip())
    return scientific is not None and len(scientific.group(2) or "") < _exponent(scientific)


def _time_zone(number: phonenumbers.PhoneNumber, kind: int, e164: str, region: str) -> str:
    """What phonenumbers.timezone.time_zones_for_number answers, from a known type."""
    key = (
        e164[1:]
        if is_number_type_geographical(kind, number.country_code or 0)
        else str(number.country_code)
    )
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(key)), 0, -1):
        zones = TIMEZONE_DATA.get(key[:length])
        if zones:
            if len(zones) > 1 and _REGION_ZONES.get(region) in zones:
                return _REGION_ZONES[region]
            return zones[0] if zones[0] != "Etc/Unknown" else ""
    return ""


# Country codes whose national formats choose their pattern from at most the first three
# digits of a number of a given length (checked in tests/unit/test_phones.py), so one
# formatted number gives the layout of every number sharing those digits: mainland France
# and the overseas departments.
_TEMPLATE_COUNTRIES = frozenset({33, 262, 590, 594, 596})
_national_templates: dict[tuple[int, int, str], str | None] = {}


def _template(formatted: str, nsn: str) -> str | None:
    """`formatted` as a str.format template over the digits of `nsn`, when it holds them."""
    digits = "".join(c for c in formatted if c.isdigit())
    literal = len(digits) - len(nsn)
    if literal < 0 or digits[literal:] != nsn:
        return None
    parts, seen = [], 0
    for char in formatted:
        if char.isdigit():
            parts.append(char if seen < literal else f"{{{seen - literal}}}")
            seen += 1
        else:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


def _national_format(number: phonenumbers.PhoneNumber) -> str:
    """format_number(NATIONAL), which costs as much as validating: reused per layout."""
    if number.country_code not in _TEMPLATE_COUNTRIES:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    nsn = str(number.national_number)
    key = (number.country_code, len(nsn), nsn[:3])
    template = _national_templates.get(key)
    if template is None:
        formatted = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        _national_templates[key] = _template(formatted, nsn)
        return formatted
    return template.format(*nsn)


def _phone(number: phonenumbers.PhoneNumber, kind: int, own_region: str) -> Phone:
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return Phone(
        e164=e164,
        national=_national_format(number),
        type=TYPE_NAMES.get(kind, "unknown"),
        timezone=_time_zone(number, kind, e164, own_region),
        region=own_region,
    )


def _french_digits(text: str) -> str | None:
    """The 9 significant digits of a plainly written French number, else None.

    phonenumbers.parse is two thirds of the cost of a number; the usual French
    spellings need none of its generality, and anything unusual goes to parse.
    """
    digits = text.replace("(0)", "").translate(_PUNCTUATION)
    if digits.startswith("+33"):
        digits = digits[3:]
    elif digits.startswith("0033"):
        digits = digits[4:]
    elif len(digits) == 10 and digits[0] == "0":
        digits = digits[1:]
    if len(digits) != 9 or not digits.isdigit() or digits[0] == "0":
        return None
    return digits


def _valid(text: str, region: str) -> Phone | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    own_region = phonenumbers.region_code_for_number(number) or region
    return _phone(number, phonenumbers.number_type(number), own_region)


# The country codes _french_digits tries, as parse(text, region) would: mainland first.
_FRENCH_CODES = (33, 590, 596, 594, 262)

# The descriptions phonenumbers' number_type() tries before fixed line and mobile, in order.
_SPECIAL_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)

_Desc = tuple[frozenset[int], re.Pattern[str]] | None


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc:
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _matches(nsn: str, desc: _Desc) -> bool:
    return (
        desc is not None and (not desc[0] or len(nsn) in desc[0]) and bool(desc[1].fullmatch(nsn))
    )


class _RegionTypes:
    """number_type() against one region's metadata, its patterns compiled once.

    The same steps as phonenumbers' _number_type_helper, whose patterns go through two
    cache lookups per test: a third of an import's time before this.
    """

    def __init__(self, region: str) -> None:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            raise ValueError(f"no phone metadata for region {region!r}")
        self.region = region
        self.leading = re.compile(metadata.leading_digits) if metadata.leading_digits else None
        self.general = _desc(metadata.general_desc)
        self.special = [(kind, found) for name, kind in _SPECIAL_TYPES
                        if (found := _desc(getattr(metadata, name)))]  # fmt: skip
        self.fixed, self.mobile = _desc(metadata.fixed_line), _desc(metadata.mobile)
        self.same_fixed_and_mobile = metadata.same_mobile_and_fixed_line_pattern

    def kind(self, nsn: str) -> int:
        if not _matches(nsn, self.general):
            return PhoneNumberType.UNKNOWN
        for kind, desc in self.special:
            if _matches(nsn, desc):
                return kind
        if _matches(nsn, self.fixed):
            if self.same_fixed_and_mobile or _matches(nsn, self.mobile):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self.same_fixed_and_mobile and _matches(nsn, self.mobile):
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


@cache
def _code_types(code: int) -> tuple[_RegionTypes, ...]:
    return tuple(_RegionTypes(region) for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code])


def _type_and_region(code: int, nsn: str) -> tuple[int, str | None]:
    """number_type() and region_code_for_number() of +code nsn, as phonenumbers decides them."""
    candidates = _code_types(code)
    if len(candidates) == 1:
        return candidates[0].kind(nsn), candidates[0].region
    for types in candidates:
        if types.leading is not None:
            if types.leading.match(nsn):
                return types.kind(nsn), types.region
        else:
            kind = types.kind(nsn)
            if kind != PhoneNumberType.UNKNOWN:
                return kind, types.region
    return PhoneNumberType.UNKNOWN, None


@lru_cache(maxsize=65536)
def _parse_clean(text: str, region: str) -> Phone | None:
    digits = _french_digits(text) if region == "FR" else None
    if digits is not None:
        international = text.lstrip().startswith(("+", "00"))
        for code in _FRENCH_CODES[:1] if international else _FRENCH_CODES:
            # A valid number is one whose type is known (what is_valid_number tests).
            kind, own_region = _type_and_region(code, digits)
            if kind != PhoneNumberType.UNKNOWN:
                number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits))
                return _phone(number, kind, own_region or region)
    phone = _valid(text, region)
    if phone is None and region == "FR" and not text.startswith("+"):
        for overseas in OVERSEAS_REGIONS:  # spellings _french_digits leaves to parse()
            phone = _valid(text, overseas)
            if phone is not None:
                break
    if phone is None and "/" in text:
        for part in _ALTERNATIVES.split(text):
            if part and part != text:
                phone = _parse_clean(part, region)
                if phone is not None:
                    break
    return phone


def parse_phone(raw: object, region: str = "FR") -> Phone | None:
    """The valid number in a cell, or None when there is none (is_valid_number)."""
    text = _clean(raw)
    return _parse_clean(text, region.upper()) if text else None


def parse_phones(cells: list[object], region: str = "FR") -> list[tuple[str, ...] | None]:
    """parse_phone over a batch, as plain tuples (e164, national, type, timezone, region).

    Tuples because this runs in worker processes and tuples pickle fast.
    """
    found = (parse_phone(cell, region) for cell in cells)
    return [(p.e164, p.national, p.type, p.timezone, p.region) if p else None for p in found]


def national(e164: str) -> str:
    """The national form of a stored E.164 number, for display."""
    phone = parse_phone(e164)
    return phone.national if phone else e164
