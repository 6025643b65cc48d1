"""Supervisor figures as plain data: calls, contacts, opt-ins, funnel, best hours, per caller.

`compute()` feeds the stats screen, `prospect stats` and the weekly report; undone calls
never count. `Figures` is the record it returns (the JSON of `prospect stats --json`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from prospect_tui.core.clock import iso
from prospect_tui.core.outcomes import BY_CODE, CODES
from prospect_tui.core.stats.periods import Period, PeriodJson, local_midnight
from prospect_tui.core.store import Store, connect

DIMS = ("caller", "day", "hour", "campaign")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# The record (a contract: `prospect stats --json` prints it, keys never renamed)


class Row(TypedDict):
    """One row of a breakdown: a caller, a day, an hour or a campaign."""

    calls: int
    contacts: int
    opt_ins: int
    switchboard: int
    refusals: int
    do_not_call: int
    talk_s: float
    contact_rate: float | None
    opt_in_per_call: float | None
    opt_in_per_contact: float | None


class CallerRow(Row):
    on_phone_s: float
    calls_per_hour: float | None
    attempts_per_opt_in: float | None


# The columns of a breakdown row, in order (the CSV header when a period has no calls).
BREAKDOWN_COLUMNS = tuple(Row.__annotations__)


class OptInRate(TypedDict):
    per_call: float | None
    per_contact: float | None
    per_lead: float | None
    per_lead_called: float | None


class Callbacks(TypedDict):
    pending: int
    overdue: int


class TalkTime(TypedDict):
    total_s: float
    avg_s: float | None


class FunnelStage(TypedDict):
    stage: str
    label: str
    count: int
    share: float | None


class OutcomeShare(TypedDict):
    code: str
    label: str
    calls: int
    share: float | None


class BestSlot(TypedDict):
    weekday: str
    hour: int
    calls: int
    contacts: int
    rate: float


class BestHours(TypedDict):
    weekdays: list[str]
    hours: list[int]
    calls: list[list[int]]
    contacts: list[list[int]]
    rate: list[list[float | None]]
    top: list[BestSlot]


class Figures(TypedDict):
    """Every figure for one period, campaign and caller (None: no denominator)."""

    period: PeriodJson
    campaign: str | None
    caller: str | None
    computed_at: str
    calls: int
    leads_called: int
    contacts: int
    opt_ins: int
    by_outcome: dict[str, int]
    by_caller: dict[str, CallerRow]
    leads_in_list: int
    penetration: float | None
    answered: int
    switchboard: int
    answer_rate: float | None
    contact_rate: float | None
    past_switchboard_rate: float | None
    opt_in_rate: OptInRate
    refusals: int
    do_not_call: int
    callbacks: Callbacks
    talk_time: TalkTime
    on_phone_s: float
    paused_s: float
    calls_per_hour: float | None
    attempts_per_opt_in: float | None
    funnel: list[FunnelStage]
    outcomes: list[OutcomeShare]
    best_hours: BestHours
    by_day: dict[str, Row]
    by_hour: dict[str, Row]
    by_campaign: dict[str, Row]


def _parse(text: str) -> datetime:
    """A stored *_at value (fromisoformat: thousands per figure set, strptime is too slow)."""
    return datetime.fromisoformat(text)


def callers(store: Store, campaign: str | None = None) -> list[str]:
    """Everyone who has recorded a call (in this campaign): the screen's caller choice."""
    if campaign is None:
        rows = store.conn.execute("SELECT DISTINCT caller FROM calls ORDER BY caller")
    else:
        campaign_id = store.campaign(campaign)["id"]
        rows = store.conn.execute(
            "SELECT DISTINCT caller FROM calls WHERE campaign_id = ? ORDER BY caller",
            (campaign_id,),
        )
    return [row[0] for row in rows]


# The figures


# (breakdown key, outcome, reached): the calls and talk seconds summed under each.
_Key = tuple[Any, str, str]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


class _Tally:
    """Counts for one row of a breakdown (a caller, a day, an hour, a campaign)."""

    __slots__ = ("calls", "answered", "contacts", "opt_ins", "refusals", "do_not_call", "talk_s")

    def __init__(self) -> None:
        self.calls = self.answered = self.contacts = 0
        self.opt_ins = self.refusals = self.do_not_call = 0
        self.talk_s = 0.0

    def add(self, outcome: str, reached: str, calls: int, talk_s: float) -> None:
        self.calls += calls
        self.talk_s += talk_s
        if reached != "none":
            self.answered += calls
        if reached == "manager":
            self.contacts += calls
        if outcome == "opt_in":
            self.opt_ins += calls
        elif outcome == "refused":
            self.refusals += calls
        elif outcome == "do_not_call":
            self.do_not_call += calls

    def row(self) -> Row:
        return {
            "calls": self.calls,
            "contacts": self.contacts,
            "opt_ins": self.opt_ins,
            "switchboard": self.answered - self.contacts,
            "refusals": self.refusals,
            "do_not_call": self.do_not_call,
            "talk_s": round(self.talk_s, 1),
            "contact_rate": _ratio(self.contacts, self.calls),
            "opt_in_per_call": _ratio(self.opt_ins, self.calls),
            "opt_in_per_contact": _ratio(self.opt_ins, self.contacts),
        }


@dataclass
class _Where:
    """The calls of the period, campaign and caller: one WHERE for every query."""

    period: Period
    campaign_id: int | None
    caller: str | None

    def sql(self) -> tuple[str, dict[str, Any]]:
        # Period ends are local midnights, always whole UTC hours, so comparing the hour
        # prefix is exact; it is what lets SQLite walk calls_stats_hour in order.
        parts = [
            "substr(started_at, 1, 13) >= :lo_hour",
            "substr(started_at, 1, 13) < :hi_hour",
            "undone_at IS NULL",
        ]
        params: dict[str, Any] = {
            "lo_hour": self.period.start_iso[:13],
            "hi_hour": self.period.end_iso[:13],
        }
        # The unary + keeps the planner on the covering index instead of a narrower one.
        if self.campaign_id is not None:
            parts.append("+campaign_id = :campaign_id")
            params["campaign_id"] = self.campaign_id
        if self.caller is not None:
            parts.append("+caller = :caller")
            params["caller"] = self.caller
        return " AND ".join(parts), params


def compute(
    store: Store,
    period: Period,
    campaign: str | None = None,
    caller: str | None = None,
    *,
    now: datetime | None = None,
) -> Figures:
    """Every figure of the stats screen for one period, campaign (name) and caller, as JSON data.

    Run it in a worker thread on its own connection (`store.clone()`): a month of a
    million-call history takes a few hundred milliseconds.
    """
    now = now or store.clock()
    campaign_row = store.campaign(campaign) if campaign is not None else None
    campaign_id = campaign_row["id"] if campaign_row else None
    where, params = _Where(period, campaign_id, caller).sql()
    # The lead funnel needs its own sort of the period's calls: it runs on a second
    # connection in a thread (sqlite3 releases the GIL) while this one sums the hours.
    with ThreadPoolExecutor(max_workers=1) as aside:
        funnel_future = aside.submit(_lead_funnel, store.path, where, params)
        figures = _figures(store, period, campaign, campaign_id, caller, where, params, now)
        counts = funnel_future.result()
    leads_called = counts["called"]
    figures["leads_called"] = leads_called
    figures["penetration"] = _ratio(leads_called, figures["leads_in_list"])
    figures["opt_in_rate"]["per_lead_called"] = _ratio(figures["opt_ins"], leads_called)
    figures["funnel"] = _funnel(figures["leads_in_list"], counts)
    return figures


def _figures(
    store: Store,
    period: Period,
    campaign: str | None,
    campaign_id: int | None,
    caller: str | None,
    where: str,
    params: dict[str, Any],
    now: datetime,
) -> Figures:
    """Everything but the lead funnel (filled in by compute)."""
    hours = _HourCache(period.zone)

    # One row per (UTC hour, campaign, caller, outcome, reached): tens of thousands for a
    # busy month. Sum them into plain dicts first; tallies are built from the few keys left.
    raw: dict[str, dict[tuple[Any, str, str], list[Any]]] = {
        dim: defaultdict(lambda: [0, 0.0]) for dim in DIMS
    }
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    caller_days: set[tuple[str, date]] = set()
    rows = store.conn.execute(
        "SELECT substr(started_at, 1, 13), campaign_id, caller, outcome, reached, count(*),"
        f" total(duration_s) FROM calls WHERE {where} GROUP BY 1, 2, 3, 4, 5",
        params,
    )
    by_caller_raw, by_day_raw = raw["caller"], raw["day"]
    by_hour_raw, by_campaign_raw = raw["hour"], raw["campaign"]
    for hour_utc, row_campaign, row_caller, outcome, reached, calls, talk_s in rows:
        day, hour, slot = hours(hour_utc)
        for found in (
            by_caller_raw[(row_caller, outcome, reached)],
            by_day_raw[(day, outcome, reached)],
            by_hour_raw[(hour, outcome, reached)],
            by_campaign_raw[(row_campaign, outcome, reached)],
        ):
            found[0] += calls
            found[1] += talk_s
        cell = cells[slot]
        cell[0] += calls
        if reached == "manager":
            cell[1] += calls
        caller_days.add((row_caller, day))

    tallies = {dim: _tallies(found) for dim, found in raw.items()}
    total = _Tally()
    outcomes = dict.fromkeys(CODES, 0)
    for (_, outcome, reached), (calls, talk_s) in by_campaign_raw.items():
        total.add(outcome, reached, calls, talk_s)
        outcomes[outcome] = outcomes.get(outcome, 0) + calls
    by_caller, by_campaign = tallies["caller"], tallies["campaign"]
    by_day, by_hour = tallies["day"], tallies["hour"]

    leads_in_list = store.count_leads(campaign_id)
    on_phone = _time_on_phone(store, period, campaign_id, caller_days, now)
    callbacks = _callbacks(store, campaign_id, caller, now)
    names = dict(store.conn.execute("SELECT id, name FROM campaigns"))

    callers_rows: dict[str, CallerRow] = {}
    for name in sorted(by_caller):
        row = by_caller[name].row()
        seconds = on_phone["by_caller"].get(name, 0.0)
        callers_rows[name] = CallerRow(
            **row,
            on_phone_s=round(seconds, 1),
            calls_per_hour=round(row["calls"] * 3600 / seconds, 2) if seconds else None,
            attempts_per_opt_in=_ratio(row["calls"], row["opt_ins"]),
        )

    on_phone_s = on_phone["total_s"]
    return {
        "period": period.as_json(),
        "campaign": campaign,
        "caller": caller,
        "computed_at": iso(now),
        # The foundation's keys (issue 2): a contract, never renamed.
        "calls": total.calls,
        "leads_called": 0,  # filled in by compute(), with the funnel
        "contacts": total.contacts,
        "opt_ins": total.opt_ins,
        "by_outcome": outcomes,
        "by_caller": callers_rows,
        "leads_in_list": leads_in_list,
        "penetration": None,
        "answered": total.answered,
        "switchboard": total.answered - total.contacts,
        "answer_rate": _ratio(total.answered, total.calls),
        "contact_rate": _ratio(total.contacts, total.calls),
        "past_switchboard_rate": _ratio(total.contacts, total.answered),
        "opt_in_rate": {
            "per_call": _ratio(total.opt_ins, total.calls),
            "per_contact": _ratio(total.opt_ins, total.contacts),
            "per_lead": _ratio(total.opt_ins, leads_in_list),
            "per_lead_called": None,
        },
        "refusals": total.refusals,
        "do_not_call": total.do_not_call,
        "callbacks": callbacks,
        "talk_time": {
            "total_s": round(total.talk_s, 1),
            "avg_s": round(total.talk_s / total.calls, 1) if total.calls else None,
        },
        "on_phone_s": round(on_phone_s, 1),
        "paused_s": round(on_phone["paused_s"], 1),
        "calls_per_hour": round(total.calls * 3600 / on_phone_s, 2) if on_phone_s else None,
        "attempts_per_opt_in": _ratio(total.calls, total.opt_ins),
        "funnel": [],
        "outcomes": [
            {
                "code": code,
                "label": BY_CODE[code].label if code in BY_CODE else code,
                "calls": count,
                "share": _ratio(count, total.calls),
            }
            for code, count in outcomes.items()
        ],
        "best_hours": _best_hours(cells, total.calls),
        "by_day": {day.isoformat(): by_day[day].row() for day in sorted(by_day)},
        "by_hour": {hour: by_hour[hour].row() for hour in sorted(by_hour)},
        "by_campaign": {
            names.get(key, str(key)): by_campaign[key].row() for key in sorted(by_campaign)
        },
    }


def summary(store: Store, zone: ZoneInfo, campaign: str | None = None) -> Figures:
    """All-time figures (the foundation's `prospect stats`), days and hours in `zone`."""
    return compute(store, Period.all_time(zone), campaign)


class _HourCache:
    """'2026-11-23T09' (UTC hour) -> (local day, "HH" local hour, (weekday, hour)), memoised."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.seen: dict[str, tuple[date, str, tuple[int, int]]] = {}

    def __call__(self, hour_utc: str) -> tuple[date, str, tuple[int, int]]:
        found = self.seen.get(hour_utc)
        if found is None:
            local = datetime.fromisoformat(hour_utc + ":00+00:00").astimezone(self.zone)
            found = (local.date(), f"{local.hour:02d}", (local.weekday(), local.hour))
            self.seen[hour_utc] = found
        return found


def _tallies(found: dict[_Key, list[Any]]) -> dict[Any, _Tally]:
    tallies: dict[Any, _Tally] = defaultdict(_Tally)
    for (key, outcome, reached), (calls, talk_s) in found.items():
        tallies[key].add(outcome, reached, calls, talk_s)
    return tallies


def _lead_funnel(path: Path, where: str, params: dict[str, Any]) -> dict[str, int]:
    """Distinct leads called, answered, manager reached and opted in over the calls selected.

    The stages nest (an opt-in reached the manager, who was reached past the switchboard),
    so each lead's best call level is enough: one sort by lead, one small aggregate.
    """
    conn = connect(path, read_only=True)
    try:
        levels = dict(
            conn.execute(
                "SELECT level, count(*) FROM (SELECT max(CASE WHEN outcome = 'opt_in' THEN 3"
                " WHEN reached = 'manager' THEN 2 WHEN reached <> 'none' THEN 1 ELSE 0 END)"
                f" AS level FROM calls WHERE {where} GROUP BY lead_id) GROUP BY level",
                params,
            ).fetchall()
        )
    finally:
        conn.close()
    at_least = [sum(n for level, n in levels.items() if level >= floor) for floor in range(4)]
    return {
        "called": at_least[0],
        "answered": at_least[1],
        "manager": at_least[2],
        "opt_in": at_least[3],
    }


def _funnel(leads_in_list: int, counts: dict[str, int]) -> list[FunnelStage]:
    stages = (
        ("leads", "Leads in the list", leads_in_list),
        ("called", "Called", counts["called"]),
        ("switchboard", "Someone answered", counts["answered"]),
        ("manager", "IT manager reached", counts["manager"]),
        ("opt_in", "Opt-in", counts["opt_in"]),
    )
    return [
        {"stage": stage, "label": label, "count": count, "share": _ratio(count, leads_in_list)}
        for stage, label, count in stages
    ]


def _best_hours(cells: dict[tuple[int, int], list[int]], total_calls: int) -> BestHours:
    """The contact rate by weekday and local hour, as a grid, plus the best few slots."""
    weekdays = [d for d in range(7) if d < 5 or any(w == d for w, _ in cells)]
    if cells:
        hours = list(range(min(h for _, h in cells), max(h for _, h in cells) + 1))
    else:
        hours = list(range(9, 19))
    grid_calls = [[cells.get((d, h), [0, 0])[0] for h in hours] for d in weekdays]
    grid_contacts = [[cells.get((d, h), [0, 0])[1] for h in hours] for d in weekdays]
    grid_rate = [
        [_ratio(c, n) for n, c in zip(calls_row, contacts_row, strict=True)]
        for calls_row, contacts_row in zip(grid_calls, grid_contacts, strict=True)
    ]
    # A slot with a handful of calls has a meaningless rate: rank only slots with at
    # least a quarter of the average slot's calls.
    floor = max(1, total_calls // max(1, len(cells)) // 4)
    ranked = sorted(
        ((c / n, n, d, h) for (d, h), (n, c) in cells.items() if n >= floor),
        key=lambda item: (-item[0], -item[1], item[2], item[3]),
    )
    return {
        "weekdays": [WEEKDAYS[d] for d in weekdays],
        "hours": hours,
        "calls": grid_calls,
        "contacts": grid_contacts,
        "rate": grid_rate,
        "top": [
            {
                "weekday": WEEKDAYS[d],
                "hour": h,
                "calls": n,
                "contacts": cells[(d, h)][1],
                "rate": round(rate, 4),
            }
            for rate, n, d, h in ranked[:3]
        ],
    }


def _callbacks(
    store: Store, campaign_id: int | None, caller: str | None, now: datetime
) -> Callbacks:
    """Callbacks not yet made (state now, whatever the period); overdue ones are past due."""
    parts = ["done_at IS NULL"]
    params: dict[str, Any] = {"now": iso(now)}
    if campaign_id is not None:
        parts.append("campaign_id = :campaign_id")
        params["campaign_id"] = campaign_id
    if caller is not None:
        # Mine: kept for me, or left for anyone by me.
        parts.append("(owner = :caller OR (owner IS NULL AND created_by = :caller))")
        params["caller"] = caller
    row = store.conn.execute(
        "SELECT count(*), total(due_at < :now) FROM callbacks cb WHERE "
        + " AND ".join(parts)
        + " AND NOT EXISTS (SELECT 1 FROM calls WHERE calls.id = cb.call_id"
        " AND calls.undone_at IS NOT NULL)",
        params,
    ).fetchone()
    return {"pending": row[0], "overdue": int(row[1])}


class _OnPhone(TypedDict):
    total_s: float
    paused_s: float
    by_caller: dict[str, float]


def _time_on_phone(
    store: Store,
    period: Period,
    campaign_id: int | None,
    caller_days: Iterable[tuple[str, date]],
    now: datetime,
) -> _OnPhone:
    """Seconds on the phone: per caller and local day, first call start to last call end,
    minus the pauses recorded in between (VICIdial's login time minus pause time)."""
    days = sorted(caller_days)
    if not days:
        return {"total_s": 0.0, "paused_s": 0.0, "by_caller": {}}
    lo, hi = period.start_iso, period.end_iso
    wanted = [
        (
            name,
            max(lo, iso(local_midnight(day, period.zone))),
            min(hi, iso(local_midnight(day + timedelta(1), period.zone))),
        )
        for name, day in days
    ]
    campaign_sql = "" if campaign_id is None else " AND campaign_id = :campaign_id"
    # Two index seeks per caller-day on calls_caller_started, in one statement.
    pick = (
        "SELECT {column} FROM calls WHERE caller = d.caller AND started_at >= d.lo"
        f" AND started_at < d.hi AND undone_at IS NULL{campaign_sql}"
        " ORDER BY started_at {order} LIMIT 1"
    )
    spans = store.conn.execute(
        "WITH d(caller, lo, hi) AS (SELECT json_extract(value, '$[0]'),"
        " json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(:days))"
        f" SELECT caller, ({pick.format(column='started_at', order='ASC')}),"
        f" ({pick.format(column='ended_at', order='DESC')}) FROM d",
        {"days": json.dumps(wanted), "campaign_id": campaign_id},
    ).fetchall()
    pauses = _pauses(store, {name for name, _ in days}, lo, hi, now)
    by_caller: dict[str, float] = defaultdict(float)
    paused_total = 0.0
    for name, first, last in spans:
        if first is None or last is None:
            continue
        start, end = _parse(first), _parse(last)
        paused = sum(
            max(0.0, (min(end, p_end) - max(start, p_start)).total_seconds())
            for p_start, p_end in pauses.get(name, ())
        )
        span = max(0.0, (end - start).total_seconds())
        paused = min(paused, span)
        paused_total += paused
        by_caller[name] += span - paused
    return {"total_s": sum(by_caller.values()), "paused_s": paused_total, "by_caller": by_caller}


def _pauses(
    store: Store, names: set[str], lo: str, hi: str, now: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each caller's pauses near the period, merged, as (start, end); an open pause ends at
    the caller's next call or pause (a crashed session), else now."""
    # A pause longer than a day is not a pause: starting a day early is enough to catch
    # those that straddle the period's first midnight.
    since = iso(_parse(lo) - timedelta(days=1)) if lo else lo
    rows = store.conn.execute(
        "SELECT caller, started_at, ended_at FROM pauses WHERE started_at >= ?"
        " AND started_at < ? ORDER BY caller, started_at",
        (since, hi),
    ).fetchall()
    found: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for index, (name, started, ended) in enumerate(rows):
        if name not in names:
            continue
        start = _parse(started)
        if ended is not None:
            end = _parse(ended)
        else:
            following = [rows[index + 1][1]] if index + 1 < len(rows) else []
            following = [s for s in following if rows[index + 1][0] == name]
            next_call = store.scalar(
                "SELECT started_at FROM calls WHERE caller = ? AND started_at > ?"
                " AND undone_at IS NULL ORDER BY started_at LIMIT 1",
                (name, started),
            )
            candidates = [_parse(s) for s in [*following, next_call] if s] + [now]
            end = min(candidates)
        merged = found[name]
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return found
