"""Campaign settings (JSON on the campaign row, over defaults), validated per key, and the script.

`prospect campaign set NAME KEY VALUE` writes one key; every key `show` prints can be set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

import phonenumbers

from prospect_tui.core import UserError
from prospect_tui.core.hours import DEFAULT_HOURS, check_subdiv, parse_hours
from prospect_tui.core.records import CampaignSettings
from prospect_tui.core.roles import Actor, require
from prospect_tui.core.store import Store
from prospect_tui.core.text import visible

CONSENT_TEXT = (
    "Acceptez-vous de recevoir par e-mail nos promotions mensuelles sur le matériel et les "
    "logiciels informatiques ? Vous pourrez vous désinscrire à tout moment par un lien "
    "présent dans chaque e-mail."
)

# Outcomes that send a lead back to the pool, each with its own delay.
RETRY_OUTCOMES = ("no_answer", "busy", "voicemail", "switchboard")
# A setting's validator: its text as typed -> the value stored.
Parser = Callable[[str], Any]

NEXT_DAY = "next_day"
QUEUE_ORDERS = ("retries_first", "fresh_first")
# What "script"/"objections" hold when the campaign uses the French texts shipped in data/.
PACKAGED = "default"
PACKAGED_FILES = {"script": "script_fr.txt", "objections": "objections_fr.txt"}
# The default script of a campaign with a questionnaire: an opening, then `q`.
QUESTIONNAIRE_SCRIPT = "script_questionnaire_fr.txt"

DEFAULTS: dict[str, Any] = {
    "region": "FR",
    "calling_hours": DEFAULT_HOURS,
    "holidays_subdiv": "",
    "retry_minutes": {"no_answer": 120, "busy": 15, "voicemail": 240, "switchboard": NEXT_DAY},
    "max_attempts": 6,
    "queue_order": "retries_first",
    "claim_minutes": 10,
    "consumer_guard": False,
    "our_company": "",
    "script": PACKAGED,
    "objections": PACKAGED,
    "consent_text": CONSENT_TEXT,
    "consent_version": "1",
    "purpose": "monthly IT promotions by email",
}


def campaign_settings(campaign: Mapping[str, Any]) -> CampaignSettings:
    """The campaign's settings with every default filled in (retry delays one by one)."""
    stored = json.loads(campaign.get("settings") or "{}")
    merged = {**DEFAULTS, **stored}
    merged["retry_minutes"] = {**DEFAULTS["retry_minutes"], **stored.get("retry_minutes", {})}
    return cast(CampaignSettings, merged)


def flat_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings keyed as `campaign set` takes them: retry delays as retry_minutes.OUTCOME."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "retry_minutes":
            for outcome in RETRY_OUTCOMES:
                if outcome in value:
                    flat[f"retry_minutes.{outcome}"] = value[outcome]
        elif key in DEFAULTS:
            flat[key] = value
    return flat


SETTING_KEYS: tuple[str, ...] = tuple(flat_settings(DEFAULTS))


# Validation: each key's text as typed on the command line -> the value stored.


def _int_between(key: str, low: int, high: int) -> Parser:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise UserError(f"{key}: {text!r} is not a whole number") from None
        if not low <= value <= high:
            raise UserError(f"{key}: {value} is out of range ({low} to {high})")
        return value

    return parse


_YES = ("yes", "y", "true", "on", "1", "oui")
_NO = ("no", "n", "false", "off", "0", "non")


def _yes_no(key: str) -> Parser:
    def parse(text: str) -> bool:
        word = text.strip().lower()
        if word in _YES or word in _NO:
            return word in _YES
        raise UserError(f"{key}: {text!r} is not yes or no")

    return parse


_DELAY = re.compile(r"^(?:(\d+)\s*h\s*(\d+)?|(\d+)\s*(?:m|min|mn)?)$")


def _retry_delay(key: str) -> Parser:
    def parse(text: str) -> int | str:
        word = text.strip().lower().replace("-", "_").replace(" ", "_")
        if word in (NEXT_DAY, "nextday"):
            return NEXT_DAY
        match = _DELAY.match(text.strip().lower())
        if match is None:
            raise UserError(
                f"{key}: {text!r} is not a delay (minutes such as 15 or 90, 2h, 1h30, next_day)"
            )
        minutes = int(match[3]) if match[3] else int(match[1]) * 60 + int(match[2] or 0)
        if not 1 <= minutes <= 60 * 24 * 60:
            raise UserError(f"{key}: {minutes} minutes is out of range (1 minute to 60 days)")
        return minutes

    return parse


def _calling_hours(text: str) -> str:
    # Stored canonical, so `show` prints what the dialer understood.
    return parse_hours(text).text


def _region(text: str) -> str:
    region = text.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UserError(f"region: {text!r} is not a phone region (e.g. FR, BE, CH, RE)")
    return region


def _queue_order(text: str) -> str:
    word = text.strip().lower().replace("-", "_")
    if word not in QUEUE_ORDERS:
        raise UserError(f"queue_order: {text!r} is not one of {', '.join(QUEUE_ORDERS)}")
    return word


def _text(key: str) -> Parser:
    def parse(text: str) -> str:
        if not text.strip():
            raise UserError(f"{key}: the text is empty")
        return text.strip()

    return parse


def _looks_like_path(value: str) -> bool:
    """A single line naming a file rather than the text itself."""
    if "\n" in value or value != value.strip():
        return False
    return (
        value.startswith(("/", "~", "./", "../"))
        or re.match(r"^[A-Za-z]:[\\/]", value) is not None
        or value.lower().endswith((".txt", ".md"))
    )


def _text_file(key: str) -> Parser:
    def parse(text: str) -> str:
        value = text.strip()
        if value.lower() in (PACKAGED, ""):
            return PACKAGED
        path = Path(value).expanduser()
        if "\n" not in value and path.is_file():
            try:
                path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise UserError(f"{key}: cannot read {value} as UTF-8 text ({error})") from None
            # Absolute, so the campaign works from any directory.
            return str(path.resolve())
        if _looks_like_path(value):
            raise UserError(f"{key}: no such file {value!r} (a path, the text itself, or default)")
        return value

    return parse


def _subdiv(text: str) -> str:
    return check_subdiv(text)


_PARSERS = {
    "region": _region,
    "calling_hours": _calling_hours,
    "holidays_subdiv": _subdiv,
    **{f"retry_minutes.{o}": _retry_delay(f"retry_minutes.{o}") for o in RETRY_OUTCOMES},
    "max_attempts": _int_between("max_attempts", 1, 100),
    "queue_order": _queue_order,
    "claim_minutes": _int_between("claim_minutes", 1, 24 * 60),
    "consumer_guard": _yes_no("consumer_guard"),
    "our_company": str.strip,
    "script": _text_file("script"),
    "objections": _text_file("objections"),
    "consent_text": _text("consent_text"),
    "consent_version": _text("consent_version"),
    "purpose": _text("purpose"),
}


def parse_setting(key: str, value: object) -> object:
    """The stored form of `value` for `key`; an unknown key or a bad value is a UserError."""
    parser = _PARSERS.get(key)
    if parser is None:
        raise UserError(f"unknown setting {key!r} (known: {', '.join(SETTING_KEYS)})")
    if isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value)
    return parser(text)


def set_setting(
    store: Store, name: str, key: str, value: object, *, actor: Actor
) -> dict[str, Any]:
    """Validate and store one setting; returns the campaign row as it now is."""
    require(actor, "campaign.settings")
    parsed = parse_setting(key, value)
    with store.write() as conn:
        # Read inside the write lock: two `set`s at once never lose each other's key.
        row = conn.execute("SELECT id, settings FROM campaigns WHERE name = ?", (name,)).fetchone()
        if row is None:
            store.campaign(name)  # raises the "unknown campaign" UserError with known names
        campaign_id, stored = row[0], json.loads(row[1] or "{}")
        if key.startswith("retry_minutes."):
            stored.setdefault("retry_minutes", {})[key.split(".", 1)[1]] = parsed
        else:
            current = campaign_settings({"settings": row[1]})["consent_text"]
            if key == "consent_text" and parsed != current:
                # Consent proof names the wording's version: a new wording is a new version.
                version = str(stored.get("consent_version", DEFAULTS["consent_version"]))
                if version.isdigit():
                    stored["consent_version"] = str(int(version) + 1)
            stored[key] = parsed
        conn.execute(
            "UPDATE campaigns SET settings = ? WHERE id = ?",
            (json.dumps(stored, ensure_ascii=False), campaign_id),
        )
    return store.campaign(name)


# What `prospect campaign list` and `show` print.


def campaign_list(store: Store) -> list[dict[str, Any]]:
    """Every campaign with its lead counts, oldest first."""
    return store.rows(
        "SELECT c.name, c.created_at, count(l.id) AS leads,"
        " coalesce(sum(l.status = 'open'), 0) AS open,"
        " coalesce(sum(l.status = 'callback'), 0) AS callbacks,"
        " coalesce(sum(l.status = 'done'), 0) AS done"
        " FROM campaigns c LEFT JOIN leads l ON l.campaign_id = c.id"
        " GROUP BY c.id ORDER BY c.id"
    )


def has_questionnaire(store: Store, campaign_id: int) -> bool:
    """Whether a questionnaire is attached to the campaign (cheap: nothing is parsed)."""
    found = store.row("SELECT 1 AS yes FROM questionnaires WHERE campaign_id = ?", (campaign_id,))
    return found is not None


def format_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no campaigns yet: prospect import FILE --campaign NAME"
    header = ("NAME", "LEADS", "OPEN", "CALLBACK", "DONE", "CREATED")
    table = [header] + [
        (
            visible(r["name"]),
            str(r["leads"]),
            str(r["open"]),
            str(r["callbacks"]),
            str(r["done"]),
            r["created_at"][:10],
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def describe(store: Store, name: str) -> dict[str, Any]:
    """Every setting with its value, defaults included, and which ones are defaults."""
    campaign = store.campaign(name)
    stored = flat_settings(json.loads(campaign["settings"] or "{}"))
    settings = flat_settings(campaign_settings(campaign))
    return {
        "name": campaign["name"],
        "created_at": campaign["created_at"],
        "leads": store.count_leads(campaign["id"]),
        "settings": settings,
        "defaults": [key for key in settings if key not in stored],
    }


def shown_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in PACKAGED_FILES and value == PACKAGED:
        return f"{PACKAGED_FILES[key]} shipped with prospect-tui"
    text = str(value)
    if "\n" in text:
        first, rest = text.split("\n", 1)
        return f"{first} (+{rest.count(chr(10)) + 1} lines)"
    return text if text else '""'


def format_describe(described: dict[str, Any]) -> str:
    lines = [f"campaign {visible(described['name'])}: {described['leads']} leads"]
    width = max(len(key) for key in described["settings"])
    for key, value in described["settings"].items():
        marker = "  (default)" if key in described["defaults"] else ""
        lines.append(f"  {key.ljust(width)}  {visible(shown_value(key, value))}{marker}")
    return "\n".join(lines)


# The script and the objection sheet.

# A {field} with the spaces before it: an empty field is left out with them.
_FIELD = re.compile(r"(?P<space>[ \t]*)\{(?P<name>[^{}\n]+)\}")
# Words that go with a field: "[, de la société {our_company}]" is left out whole when a
# field in it is empty, and read without its brackets otherwise.
_GROUP = re.compile(r"\[(?P<words>[^\[\]\n]*\{[^{}\n]+\}[^\[\]\n]*)\]")
_CONDITION = re.compile(r"^\s*\{([?!])([^{}\n]+)\}\s?")


def _load_text(settings: dict[str, Any], key: str, packaged_name: str | None = None) -> str:
    """The campaign's text for `key`: the packaged file, a file of its own, or inline text."""
    value = str(settings.get(key) or PACKAGED)
    packaged = files("prospect_tui.data").joinpath(packaged_name or PACKAGED_FILES[key])
    if value == PACKAGED:
        return packaged.read_text(encoding="utf-8")
    if _looks_like_path(value):
        try:
            return Path(value).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            # Never a crash mid-session: say what is wrong, then the default text.
            warning = f"[{key} file {value} cannot be read: showing the default]\n"
            return warning + packaged.read_text(encoding="utf-8")
    return value


def _visible_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


def _script_fields(settings: dict[str, Any], lead: dict[str, Any], caller: str) -> dict[str, str]:
    from prospect_tui.core.phones import national
    from prospect_tui.core.provenance import vendor_of

    fields: dict[str, str] = {}
    extra = lead.get("extra")
    if isinstance(extra, str) and extra.startswith("{"):
        try:
            extra = json.loads(extra)
        except ValueError:
            extra = {}
    if isinstance(extra, dict):
        fields.update({str(k): "" if v is None else str(v) for k, v in extra.items()})
    fields.update({k: "" if v is None else str(v) for k, v in lead.items() if k != "extra"})
    direct = lead.get("direct_line_e164") or ""
    fields.update(
        caller=caller,
        our_company=str(settings.get("our_company") or ""),
        phone=str(lead.get("phone_national") or ""),
        source=vendor_of(str(lead.get("source") or "")),
        direct_line=national(direct) if direct else "",
    )
    return fields


def _lookup(fields: dict[str, str], name: str) -> str | None:
    if name in fields:
        return fields[name]
    folded = name.strip().casefold()
    for key, value in fields.items():
        if key.casefold() == folded:
            return value
    return None


def fill_fields(text: str, lookup: Callable[[str], str | None]) -> str:
    """`text` with each {field} replaced by `lookup(field)`. An empty field is left out with
    the spaces before it ("Bonjour {contact_name}, ..." -> "Bonjour, ..."), so nothing read
    aloud has a hole in it; "[words {field}]" drops the words with an empty field; an
    unknown field (None) stays as typed; nothing here can raise."""

    def fill(match: re.Match[str]) -> str:
        value = lookup(match["name"])
        if value is None:
            return match[0]
        value = value.strip()
        return f"{match['space']}{value}" if value else ""

    def group(match: re.Match[str]) -> str:
        names = [found["name"] for found in _FIELD.finditer(match["words"])]
        if any(not (lookup(name) or "").strip() for name in names):
            return ""
        return _FIELD.sub(fill, match["words"])

    return _FIELD.sub(fill, _GROUP.sub(group, text))


def render_script(
    settings: dict[str, Any],
    lead: dict[str, Any] | None,
    caller: str,
    questionnaire: bool = False,
) -> str:
    """The campaign's script for this lead: {field} filled in, conditional lines chosen.

    A line opening with {?field} shows only when the field is known, {!field} only when it
    is not (the opening asks for the IT manager by name once it is known). {source} is the
    list's vendor, never a file name. A campaign with a questionnaire and no script of its
    own gets an opening that hands over to the questionnaire, not the prospecting script.
    """
    fields = _script_fields(settings, lead or {}, caller)
    default = QUESTIONNAIRE_SCRIPT if questionnaire else None
    shown: list[str] = []
    for line in _visible_lines(_load_text(settings, "script", default)):
        condition = _CONDITION.match(line)
        if condition:
            known = bool((_lookup(fields, condition[2]) or "").strip())
            if known != (condition[1] == "?"):
                continue
            line = line[condition.end() :]
        shown.append(fill_fields(line, lambda name: _lookup(fields, name)))
    return "\n".join(shown).strip("\n")


def objections_text(settings: dict[str, Any]) -> str:
    """The campaign's objection-handling sheet, comment lines left out."""
    return "\n".join(_visible_lines(_load_text(settings, "objections"))).strip("\n")
