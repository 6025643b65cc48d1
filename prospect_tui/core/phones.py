"""Phone numbers as callers dial them: every cell goes through phonenumbers.

Stored as E.164 with its type and time zone; shown in national format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers import timezone as phone_timezone

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

# The number inside a cell such as "Tél : 01.42.68.53.00 (standard)".
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d\s().\-/]{5,}\d")
# A spreadsheet float: 960381322.0 or 9.60381322E8 lost its leading zero.
_FLOAT_CELL = re.compile(r"^\d+\.0+$|^\d(\.\d+)?[eE]\+?\d+$")


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
    match = _NUMBER_RUN.search(text)
    return match.group(0) if match else ""


def _valid(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


@lru_cache(maxsize=65536)
def _parse_clean(text: str, region: str) -> Phone | None:
    number = _valid(text, region)
    if number is None and region == "FR" and not text.startswith("+"):
        for overseas in OVERSEAS_REGIONS:
            number = _valid(text, overseas)
            if number is not None:
                break
    if number is None:
        return None
    zones = phone_timezone.time_zones_for_number(number)
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        type=TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
        timezone=zones[0] if zones and zones[0] != "Etc/Unknown" else "",
        region=phonenumbers.region_code_for_number(number) or region,
    )


def parse_phone(raw: object, region: str = "FR") -> Phone | None:
    """The valid number in a cell, or None when there is none (is_valid_number)."""
    text = _clean(raw)
    return _parse_clean(text, region.upper()) if text else None


def national(e164: str) -> str:
    """The national form of a stored E.164 number, for display."""
    phone = parse_phone(e164)
    return phone.national if phone else e164
