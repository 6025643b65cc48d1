"""Fill a database with a synthetic calling history: N leads, M past calls, pauses, opt-ins.

For the stats benchmark (100,000 leads + 1,000,000 calls in seconds) and for trying screens.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from bisect import bisect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate, pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from prospect_tui.core.campaigns import campaign_settings
from prospect_tui.core.consent import record_consent
from prospect_tui.core.outcomes import BY_CODE, MAX_ATTEMPTS
from prospect_tui.core.store import Store
from prospect_tui.core.suppression import suppression_hash

PARIS = ZoneInfo("Europe/Paris")
DAYS_BACK = 91
CALLER_NAMES = (
    "alice bruno chloe david emma fabien gaelle hugo ines julien karine louis manon nadia "
    "olivier pauline quentin romain sarah thomas"
).split()
COMPANY_WORDS = (
    "Transports Informatique Bâtiment Conseil Imprimerie Menuiserie Distribution "
    "Électricité Logistique Mécanique Emballages Expertise Bureautique Chimie"
).split()
FORMS = ("SARL", "SAS", "SA", "EURL", "SASU")
CITIES = (
    ("Paris", "75011"),
    ("Lyon", "69003"),
    ("Marseille", "13008"),
    ("Toulouse", "31000"),
    ("Nantes", "44000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Bordeaux", "33000"),
    ("Strasbourg", "67000"),
    ("Metz", "57000"),
    ("Grenoble", "38000"),
    ("Dijon", "21000"),
)
CONTACTS = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard Mercier Dupont"
).split()

# Final outcome of a called lead (the rest stay open or hit the attempt cap). Opt-ins are
# sized separately so that about 10% of the whole list ends opted in, as in the real campaign.
FINAL_SHARES = {"refused": 0.25, "wrong_number": 0.05, "do_not_call": 0.02, "not_qualified": 0.08}
# Typical talk time in seconds; each call gets 50%-150% of it.
DURATION_S = {
    "no_answer": 25,
    "busy": 6,
    "voicemail": 35,
    "switchboard": 75,
    "callback": 100,
    "refused": 110,
    "opt_in": 260,
    "wrong_number": 20,
    "do_not_call": 45,
    "not_qualified": 90,
}
# How reachable IT managers are, by local hour and weekday: drives switchboard/callback
# shares so that the "best hours" heat map has something to show.
HOUR_QUALITY = {9: 1.35, 10: 1.1, 11: 1.0, 12: 0.6, 14: 0.75, 15: 0.9, 16: 1.0, 17: 1.25, 18: 1.1}
WEEKDAY_QUALITY = (1.0, 1.15, 0.9, 1.05, 0.7, 0.5, 0.5)
CALLED_SHARE = 0.88
OPT_IN_SHARE_OF_LIST = 0.10
WITHDRAWN_SHARE = 0.4
UNDONE_SHARE = 0.01
LEAD_WINDOW = 3  # weeks over which one lead's attempts are spread
# Calling hours in Paris local time, in seconds after midnight: 09:00-12:30, 14:00-18:30.
MORNING = (9 * 3600, 12 * 3600 + 1800)
AFTERNOON = (14 * 3600, 18 * 3600 + 1800)


def working_days(today: date) -> list[date]:
    french = holidays.France(years={today.year - 1, today.year})
    days = (today - timedelta(days=back) for back in range(DAYS_BACK, -1, -1))
    return [d for d in days if d.weekday() < 5 and d not in french]


def local_midnight_epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=PARIS).timestamp())


def iso_maker() -> Callable[[int], str]:
    """Epoch seconds -> the store's ISO text, cached by the minute (2M conversions to make)."""
    minutes: dict[int, str] = {}
    seconds = [f"{second:02d}Z" for second in range(60)]

    def to_iso(epoch: int) -> str:
        minute, second = divmod(epoch, 60)
        prefix = minutes.get(minute)
        if prefix is None:
            prefix = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:")
            minutes[minute] = prefix
        return prefix + seconds[second]

    return to_iso


def phone_for(index: int) -> tuple[str, str]:
    """A unique valid French geographic number (01-05) for lead `index`, E.164 and national."""
    zone = 1 + index % 5
    # Tails 20000000-89999999 are assigned in every zone; 37 is coprime with their count,
    # so this walks each tail once before repeating (70 million numbers per zone).
    tail = f"{20_000_000 + (index // 5) * 37 % 70_000_000:08d}"
    national = f"0{zone} {tail[0:2]} {tail[2:4]} {tail[4:6]} {tail[6:8]}"
    return f"+33{zone}{tail}", national


def call_times(rng: random.Random, days: list[date], count: int, now_epoch: int) -> list[int]:
    """`count` sorted epochs inside calling hours on working days, all before now."""
    bases = [local_midnight_epoch(d) for d in days]
    morning = MORNING[1] - MORNING[0]
    span = morning + AFTERNOON[1] - AFTERNOON[0]
    rand, pick = rng.random, rng.randrange
    times = []
    while len(times) < count:
        for _ in range(count - len(times)):
            offset = int(rand() * span)
            second = MORNING[0] + offset if offset < morning else AFTERNOON[0] + offset - morning
            epoch = bases[pick(len(bases))] + second
            if epoch < now_epoch:
                times.append(epoch)
    times.sort()
    return times


def seed(
    path: Path,
    leads: int,
    calls: int,
    campaign: str = "seed",
    callers: int = 13,
    seed_value: int = 1,
    now: datetime | None = None,
) -> dict:
    """Write the history into `path` (a new or empty database); returns counts."""
    rng = random.Random(seed_value)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    now_epoch = int(now.timestamp())
    to_iso = iso_maker()
    store = Store(path)
    if store.count_leads():
        store.close()
        raise SystemExit(f"{path} already holds leads: seed a new database")
    settings_row = store.ensure_campaign(campaign, {"max_attempts": 12})
    campaign_id = settings_row["id"]
    settings = campaign_settings(settings_row)
    max_attempts = int(settings["max_attempts"])
    store.close()

    team = [
        CALLER_NAMES[i % len(CALLER_NAMES)] + ("" if i < 20 else str(i)) for i in range(callers)
    ]
    # Some callers call more, some convert better: the per-caller table is not flat.
    volume = list(accumulate(rng.uniform(0.6, 1.4) for _ in team))
    skill = list(accumulate(rng.uniform(0.3, 2.2) * (b - a) for a, b in pairwise([0, *volume])))

    called = min(calls, round(leads * CALLED_SHARE))
    attempts = [1] * called
    for index in rng.choices(range(called), k=calls - called):
        attempts[index] += 1
    p_opt = min(0.9, OPT_IN_SHARE_OF_LIST * leads / max(called, 1))
    finals: list[str | None] = []
    for _ in range(called):
        r = rng.random()
        if r < p_opt:
            finals.append("opt_in")
            continue
        r = (r - p_opt) / (1 - p_opt)
        chosen = None
        for code, share in FINAL_SHARES.items():
            if r < share:
                chosen = code
                break
            r -= share
        finals.append(chosen)

    days = working_days(now.astimezone(PARIS).date())
    times = call_times(rng, days, calls, now_epoch)
    # The list is worked in file order: a lead's attempts fall in a window of a few weeks
    # that starts later for leads further down the file (so opt-ins are spread too).
    spread = LEAD_WINDOW / (DAYS_BACK / 7)
    rand = rng.random
    keyed = [
        ((lead / called) * (1 - spread) + rand() * spread, lead)
        for lead in range(called)
        for _ in range(attempts[lead])
    ]
    keyed.sort()
    order = [lead for _, lead in keyed]
    del keyed

    offsets: dict[int, tuple[int, int]] = {}
    for day in days:
        base = local_midnight_epoch(day)
        offsets[(base + 12 * 3600) // 86400] = (base, day.weekday())

    phones = [phone_for(index) for index in range(leads)]
    done = [0] * called
    kept = [0] * called  # attempts that were not undone: what leads.attempts counts
    last_call: list[tuple[int, str, int] | None] = [None] * called  # (epoch, outcome, call id)
    open_callback: dict[int, int] = {}
    call_rows = []
    callback_rows: list[list] = []
    consent_jobs = []
    dnc_phones = []
    for number, (epoch, lead) in enumerate(zip(times, order, strict=True), start=1):
        base, weekday = offsets[epoch // 86400]
        hour = (epoch - base) // 3600
        attempt = done[lead]
        done[lead] = attempt + 1
        final = finals[lead] if attempt == attempts[lead] - 1 else None
        weights = skill if final == "opt_in" else volume
        caller = team[bisect(weights, rand() * weights[-1])]
        if final is not None:
            code = final
        else:
            quality = HOUR_QUALITY.get(hour, 0.8) * WEEKDAY_QUALITY[weekday]
            r = rand()
            if r < 0.05 * quality:
                code = "callback"
            elif r < 0.33 * quality:
                code = "switchboard"
            elif r < 0.65:
                code = "no_answer"
            elif r < 0.75:
                code = "busy"
            else:
                code = "voicemail"
        reached = BY_CODE[code].reached
        if code == "callback" and rand() < 0.3:
            reached = "switchboard"
        duration = round(DURATION_S[code] * (0.5 + rand()), 1)
        started = to_iso(epoch)
        ended = to_iso(epoch + int(duration) + 5)
        undone = (
            to_iso(epoch + int(duration) + 20) if final is None and rand() < UNDONE_SHARE else None
        )
        phone = phones[lead][0]
        call_rows.append(
            (
                number,
                lead + 1,
                campaign_id,
                caller,
                code,
                reached,
                started,
                ended,
                duration,
                phone,
                "",
                undone,
            )
        )
        if undone is None:
            kept[lead] += 1
            last_call[lead] = (epoch, code, number)
            if lead in open_callback:
                callback_rows[open_callback.pop(lead)][9] = started
        if code == "callback" and undone is None:
            due = epoch + 86400 * rng.randint(1, 3)
            owner = caller if rand() < 0.7 else None
            asked_by = "manager" if reached == "manager" else "switchboard"
            open_callback[lead] = len(callback_rows)
            callback_rows.append(
                [
                    lead + 1,
                    campaign_id,
                    number,
                    to_iso(due),
                    owner,
                    asked_by,
                    caller,
                    ended,
                    None,
                    None,
                ]
            )
        if code == "opt_in":
            consent_jobs.append((epoch + int(duration) + 5, "granted", lead, number, caller))
            if rand() < WITHDRAWN_SHARE:
                withdrawn = epoch + rng.randint(3, 45) * 86400
                if withdrawn < now_epoch:
                    consent_jobs.append((withdrawn, "withdrawn", lead, None, ""))
        elif code == "do_not_call":
            dnc_phones.append((phone, ended, caller))

    lead_rows = []
    created = to_iso(now_epoch - (DAYS_BACK + 1) * 86400)
    for index in range(leads):
        company = f"{COMPANY_WORDS[index % len(COMPANY_WORDS)]} {CONTACTS[index % 24]} {index}"
        city, postcode = CITIES[index % len(CITIES)]
        e164, national = phones[index]
        status, final_outcome, tries, last_at, next_at, email = "open", None, 0, None, None, ""
        if index < called and last_call[index] is not None:
            epoch, code, _ = last_call[index]
            tries = kept[index]
            last_at = to_iso(epoch)
            if BY_CODE[code].final:
                status, final_outcome = "done", code
            elif code == "callback":
                status, next_at = "callback", callback_rows[open_callback[index]][3]
            elif tries >= max_attempts:
                status, final_outcome = "done", MAX_ATTEMPTS
            else:
                next_at = to_iso(epoch + 7200)
            if code == "opt_in":
                email = f"dsi{index}@example.fr"
        lead_rows.append(
            (
                index + 1,
                campaign_id,
                1,
                f"{company} {FORMS[index % len(FORMS)]}",
                e164,
                national,
                "FIXED_LINE",
                "Europe/Paris",
                city,
                postcode,
                CONTACTS[(index * 7) % 24],
                "DSI",
                email,
                "seed_history.py",
                status,
                final_outcome,
                tries,
                last_at,
                next_at,
                created,
            )
        )

    pause_rows = []
    for day in days:
        base = local_midnight_epoch(day)
        for caller in team:
            # Coffee in each half-day, and lunch recorded as a pause (stats exclude pauses).
            for start, length in (
                (10 * 3600 + 1800, 900),
                (12 * 3600 + 1800, 5400),
                (16 * 3600, 900),
            ):
                begin = base + start + rng.randint(-900, 900)
                if begin + length < now_epoch:
                    pause_rows.append((caller, campaign_id, to_iso(begin), to_iso(begin + length)))

    conn = sqlite3.connect(path, isolation_level=None)
    # Seeding only: no fsync, big cache; the app's own connections keep synchronous=FULL.
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    # A fresh file: a rollback journal in memory instead of writing every page twice (WAL).
    conn.execute("PRAGMA journal_mode = MEMORY")
    # Loading without indexes then building each one in a single sort is several times faster.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('leads', 'calls', 'callbacks', 'pauses')"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.execute(
        "INSERT INTO import_batches (id, campaign_id, file_name, source, imported_at, rows_read,"
        " imported) VALUES (1, ?, 'seed_history.py', 'synthetic', ?, ?, ?)",
        (campaign_id, created, leads, leads),
    )
    conn.executemany(
        "INSERT INTO leads (id, campaign_id, batch_id, company, phone_e164, phone_national,"
        " phone_type, timezone, city, postcode, contact_name, contact_title, email, source,"
        " status, final_outcome, attempts, last_called_at, next_call_at, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        lead_rows,
    )
    conn.executemany(
        "INSERT INTO calls (id, lead_id, campaign_id, caller, outcome, reached, started_at,"
        " ended_at, duration_s, dialled_e164, note, undone_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        call_rows,
    )
    conn.executemany(
        "INSERT INTO callbacks (lead_id, campaign_id, call_id, due_at, owner, asked_by,"
        " created_by, created_at, id, done_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        callback_rows,
    )
    conn.executemany(
        "INSERT INTO pauses (caller, campaign_id, started_at, ended_at) VALUES (?,?,?,?)",
        pause_rows,
    )
    conn.executemany(
        "INSERT OR IGNORE INTO suppressions (kind, hash, reason, added_by, added_at)"
        " VALUES ('phone', ?, 'do_not_call', ?, ?)",
        [(suppression_hash("phone", p), caller, at) for p, at, caller in dnc_phones],
    )
    for _, sql in indexes:
        conn.execute(sql)
    # Consent events go through the consent module so the hash chain is the real one,
    # in time order as they would have been appended.
    consent_jobs.sort()
    for epoch, event, lead, call_id, caller in consent_jobs:
        row = lead_rows[lead]
        lead_dict = {"id": lead + 1, "campaign_id": campaign_id, "source": row[13]}
        record_consent(
            conn,
            event=event,
            lead=lead_dict,
            call_id=call_id,
            email=row[12],
            email_typed=row[12],
            contact_name=row[10],
            contact_title=row[11],
            caller=caller,
            at=to_iso(epoch),
            phone_e164=row[4],
            settings=settings,
        )
    # A withdrawal suppresses the address and the number, as the app's opt-out does.
    conn.executemany(
        "INSERT OR IGNORE INTO suppressions (kind, hash, reason, added_by, added_at)"
        " VALUES (?, ?, 'withdrawn', '', ?)",
        [
            (kind, suppression_hash(kind, lead_rows[lead][column]), to_iso(epoch))
            for epoch, event, lead, _, _ in consent_jobs
            if event == "withdrawn"
            for kind, column in (("email", 12), ("phone", 4))
        ],
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return {
        "leads": leads,
        "calls": calls,
        "callers": len(team),
        "working_days": len(days),
        "opt_ins": sum(1 for job in consent_jobs if job[1] == "granted"),
        "withdrawn": sum(1 for job in consent_jobs if job[1] == "withdrawn"),
        "undone": sum(1 for row in call_rows if row[11] is not None),
        "callbacks": len(callback_rows),
        "pauses": len(pause_rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="database file to create")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--campaign", default="seed")
    parser.add_argument("--callers", type=int, default=13)
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    args = parser.parse_args(argv)
    if args.leads < 1 or args.calls < 0 or args.callers < 1:
        parser.error("--leads and --callers must be at least 1, --calls at least 0")
    started = time.perf_counter()
    counts = seed(args.db, args.leads, args.calls, args.campaign, args.callers, args.seed)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{value} {name}" for name, value in counts.items())
    print(f"{args.db}: {summary} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
