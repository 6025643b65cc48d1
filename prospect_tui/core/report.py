"""The weekly report: one self-contained HTML page (tables, inline SVG charts, no script).

What the sales director reads on Monday: the week against the one before, per caller,
the funnel, the best hours to reach IT managers and the week's opt-outs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prospect_tui.core.charts import bar_chart
from prospect_tui.core.files import write_private_text
from prospect_tui.core.formatting import MISSING, duration, percent
from prospect_tui.core.questionnaires.report import questionnaire_sections
from prospect_tui.core.roles import Actor, require_whose
from prospect_tui.core.stats import Figures, Period, compute
from prospect_tui.core.stats.figures import BestHours
from prospect_tui.core.store import Store

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #0f172a; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
.scope { color: #475569; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e2e8f0; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f8fafc; font-weight: 600; }
table.list th, table.list td { text-align: left; }
.up { color: #15803d; } .down { color: #b91c1c; }
svg text { font: 12px system-ui, sans-serif; fill: #0f172a; }
svg .value { fill: #334155; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px;
            vertical-align: -1px; }
.empty { color: #64748b; font-style: italic; }
"""

# (label, key into the figures, how to show it, higher is better)
HEADLINE = (
    ("Calls", ("calls",), "int", True),
    ("Leads called", ("leads_called",), "int", True),
    ("Switchboard only", ("switchboard",), "int", None),
    ("IT manager reached", ("contacts",), "int", True),
    ("Contact rate", ("contact_rate",), "pct", True),
    ("Opt-ins", ("opt_ins",), "int", True),
    ("Opt-ins per call", ("opt_in_rate", "per_call"), "pct", True),
    ("Opt-ins per contact", ("opt_in_rate", "per_contact"), "pct", True),
    ("Opt-ins, share of the list", ("opt_in_rate", "per_lead"), "pct", True),
    ("Refused", ("refusals",), "int", None),
    ("Do not call", ("do_not_call",), "int", None),
    ("Talk time", ("talk_time", "total_s"), "duration", None),
    ("Average call", ("talk_time", "avg_s"), "duration", None),
    ("Calls per hour on the phone", ("calls_per_hour",), "float", True),
    ("Calls per opt-in", ("attempts_per_opt_in",), "float", False),
)


def _get(figures: Figures, path: tuple[str, ...]) -> Any:
    value: Any = figures
    for key in path:
        value = value[key]
    return value


def _show(value: Any, kind: str) -> str:
    if kind == "pct":
        return percent(value)
    if kind == "duration":
        return duration(value)
    if value is None:
        return MISSING
    if kind == "float":
        return f"{value:.1f}"
    return f"{value:,}".replace(",", " ")


def _change(now: Any, before: Any, kind: str, better_up: bool | None) -> str:
    if now is None or before is None:
        return "<td>–</td>"
    delta = now - before
    if abs(delta) < 0.0005:
        return "<td>=</td>"
    if kind == "pct":
        text = f"{delta * 100:+.1f} pts"
    elif before:
        text = f"{delta / before * 100:+.0f} %"
    else:
        text = "new" if delta else "="
    css = ""
    if better_up is not None and delta:
        css = " class='up'" if (delta > 0) == better_up else " class='down'"
    return f"<td{css}>{escape(text)}</td>"


# Inline SVG charts: plain shapes with a <title> each, readable with no script at all.


def heat_map(best: BestHours, *, label: str) -> str:
    """Contact rate by weekday (rows) and local hour (columns): darker is better."""
    hours, weekdays = best["hours"], best["weekdays"]
    cell_w, cell_h, left, head = 52, 30, 48, 22
    width = left + cell_w * len(hours) + 4
    height = head + cell_h * len(weekdays) + 4
    rates = [r for row in best["rate"] for r in row if r is not None]
    # Shade from the week's worst slot to its best, so small differences still show.
    low, top = (min(rates), max(rates)) if rates else (0.0, 0.0)
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart heatmap' width='{width}'"
        f" height='{height}' viewBox='0 0 {width} {height}' role='img'"
        f" aria-label='{escape(label, quote=True)}'>"
    ]
    for column, hour in enumerate(hours):
        x = left + column * cell_w + cell_w / 2
        parts.append(f"<text x='{x:.0f}' y='15' text-anchor='middle'>{hour:02d}h</text>")
    for row, day in enumerate(weekdays):
        y = head + row * cell_h
        parts.append(f"<text x='4' y='{y + cell_h / 2 + 4:.0f}'>{escape(day)}</text>")
        for column, hour in enumerate(hours):
            rate = best["rate"][row][column]
            calls = best["calls"][row][column]
            contacts = best["contacts"][row][column]
            strength = (rate - low) / (top - low) if rate is not None and top > low else 1.0
            fill = _blend(strength) if calls else "#f8fafc"
            x = left + column * cell_w
            text = "" if rate is None else percent(rate, 0)
            ink = "#ffffff" if strength > 0.6 else "#0f172a"
            parts.append(
                f"<rect class='cell' x='{x}' y='{y}' width='{cell_w - 2}' height='{cell_h - 2}'"
                f" fill='{fill}'><title>{escape(day)} {hour:02d}h: {contacts} IT managers"
                f" reached in {calls} calls</title></rect>"
                f"<text x='{x + cell_w / 2 - 1:.0f}' y='{y + cell_h / 2 + 3:.0f}'"
                f" text-anchor='middle' style='fill:{ink}'>{text}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _blend(strength: float) -> str:
    """From pale (#e0f2fe) to deep blue (#1e40af) as the contact rate nears the best slot."""
    low, high = (0xE0, 0xF2, 0xFE), (0x1E, 0x40, 0xAF)
    mixed = (round(a + (b - a) * strength) for a, b in zip(low, high, strict=True))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _table(header: list[str], rows: list[list[str]], css: str = "figures") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any, kind: str = "int") -> str:
    return f"<td>{escape(_show(value, kind))}</td>"


def optouts(
    store: Store, period: Period, campaign_id: int | None, caller: str | None
) -> list[dict[str, Any]]:
    """Consent withdrawn during the period, with who had obtained the opt-in and when."""
    # An undone opt-in is logged as a withdrawal of that call's consent: a correction by the
    # caller, not the contact opting out.
    where = [
        "w.event = 'withdrawn'",
        "w.at >= :lo",
        "w.at < :hi",
        "NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = w.call_id AND c.undone_at IS NOT NULL)",
    ]
    params: dict[str, Any] = {"lo": period.start_iso, "hi": period.end_iso}
    if campaign_id is not None:
        where.append("w.campaign_id = :campaign_id")
        params["campaign_id"] = campaign_id
    if caller is not None:
        where.append("g.caller = :caller")
        params["caller"] = caller
    return store.rows(
        "SELECT w.at, w.email, w.contact_name, w.erased_at, l.company,"
        " g.caller AS opted_in_by, g.at AS opted_in_at"
        " FROM consent_events w LEFT JOIN leads l ON l.id = w.lead_id"
        " LEFT JOIN consent_events g ON g.id = (SELECT max(id) FROM consent_events"
        "   WHERE lead_id = w.lead_id AND event = 'granted' AND id < w.id)"
        f" WHERE {' AND '.join(where)} ORDER BY w.at",
        params,
    )


def default_week(
    store: Store,
    campaign: str | None = None,
    caller: str | None = None,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> tuple[Period, str]:
    """The week `prospect report` covers when none is named, and why: last week when it had
    calls (the report is read on Monday mornings), else the last week that had any, this one
    included (a demo tried today), else last week, empty. Calls are counted in the report's
    scope: the campaign and the caller asked for."""
    now = now or store.clock()
    today = now.astimezone(zone).date()
    last_week = Period.week_of(today - timedelta(days=7), zone)
    where, params = ["undone_at IS NULL"], {}
    if campaign is not None:
        where.append("campaign_id = :campaign_id")
        params["campaign_id"] = store.campaign(campaign)["id"]
    if caller is not None:
        where.append("caller = :caller")
        params["caller"] = caller
    sql = f"SELECT max(started_at) FROM calls WHERE {' AND '.join(where)}"
    recent = store.scalar(
        sql + " AND started_at >= :lo AND started_at < :hi",
        {**params, "lo": last_week.start_iso, "hi": last_week.end_iso},
    )
    if recent is not None:
        return last_week, "last week"
    latest = store.scalar(sql, params)
    if latest is None:
        return last_week, "last week; no call recorded yet"
    week = Period.week_of(_moment(latest).astimezone(zone).date(), zone)
    if week == Period.week_of(today, zone):
        return week, "this week so far: the last week with calls"
    return week, "the last week with calls"


def build_report(
    store: Store,
    week: date,
    campaign: str | None = None,
    caller: str | None = None,
    *,
    zone: ZoneInfo,
    actor: Actor,
    now: datetime | None = None,
) -> str:
    """The HTML page for the Monday-to-Sunday week containing `week`: every caller's
    figures (`caller` None) or another caller's need a supervisor."""
    require_whose(actor, "report", caller, "figures.own")
    now = now or store.clock()
    period = Period.week_of(week, zone)
    this = compute(store, period, campaign, caller, now=now)
    before = compute(store, period.previous(), campaign, caller, now=now)
    campaign_id = store.campaign(campaign)["id"] if campaign else None
    scope = f"campaign: {campaign or 'all campaigns'} · caller: {caller or 'all callers'}"
    title = f"Prospecting report, week of {period.first:%d/%m/%Y} to {period.last:%d/%m/%Y}"
    # One time zone for every time and day of the page: the team's.
    sections = [
        f"<h1>{escape(title)}</h1>",
        f"<p class='scope'>{escape(scope)} · compared with {period.previous().first:%d/%m}"
        f" to {period.previous().last:%d/%m} · made {now.astimezone(zone):%d/%m/%Y %H:%M}"
        f" · all times in {escape(zone.key)}</p>",
        _week_against_previous(this, before),
        _per_caller(this),
        _funnel_section(this),
        _outcomes_section(this),
        _best_hours_section(this),
        _optouts_section(optouts(store, period, campaign_id, caller), zone),
        *questionnaire_sections(store, period.start_iso, period.end_iso, campaign, caller),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def write_report(
    store: Store,
    path: Path,
    week: date,
    campaign: str | None = None,
    caller: str | None = None,
    *,
    zone: ZoneInfo,
    actor: Actor,
) -> Path:
    """Write the page owner-only (it lists contacts' addresses), whole or not at all."""
    write_private_text(
        Path(path), build_report(store, week, campaign, caller, actor=actor, zone=zone)
    )
    return path


def _week_against_previous(this: Figures, before: Figures) -> str:
    rows = []
    for label, key, kind, better_up in HEADLINE:
        now_value, then_value = _get(this, key), _get(before, key)
        rows.append(
            [
                f"<td>{escape(label)}</td>",
                _cell(now_value, kind),
                _cell(then_value, kind),
                _change(now_value, then_value, kind, better_up),
            ]
        )
    chart = bar_chart(
        [
            (
                name,
                [
                    ("previous", then_count, f"{then_count} last week"),
                    ("this", now_count, f"{now_count} this week"),
                ],
            )
            for name, then_count, now_count in (
                ("Calls", before["calls"], this["calls"]),
                ("IT manager", before["contacts"], this["contacts"]),
                ("Opt-ins", before["opt_ins"], this["opt_ins"]),
            )
        ],
        label="This week against the previous week",
    )
    legend = (
        "<p class='legend'><span><i style='background:#cbd5e1'></i>previous week</span>"
        "<span><i style='background:#2563eb'></i>this week</span></p>"
    )
    return (
        "<h2>The week against the previous week</h2>"
        + _table(["", "this week", "previous week", "change"], rows)
        + chart
        + legend
    )


def _per_caller(figures: Figures) -> str:
    callers = figures["by_caller"]
    rows = [
        [
            f"<td>{escape(name)}</td>",
            _cell(row["calls"]),
            _cell(row["switchboard"]),
            _cell(row["contacts"]),
            _cell(row["contact_rate"], "pct"),
            _cell(row["opt_ins"]),
            _cell(row["opt_in_per_contact"], "pct"),
            _cell(row["refusals"]),
            _cell(row["talk_s"], "duration"),
            _cell(row["calls_per_hour"], "float"),
        ]
        for name, row in callers.items()
    ]
    chart = bar_chart(
        [
            (
                name,
                [
                    ("calls", row["calls"], f"{row['calls']} calls"),
                    ("contacts", row["contacts"], f"{row['contacts']} IT manager reached"),
                    ("opt_ins", row["opt_ins"], f"{row['opt_ins']} opt-ins"),
                ],
            )
            for name, row in callers.items()
        ],
        label="Calls, IT managers reached and opt-ins per caller",
    )
    legend = (
        "<p class='legend'><span><i style='background:#94a3b8'></i>calls</span>"
        "<span><i style='background:#2563eb'></i>IT manager reached</span>"
        "<span><i style='background:#16a34a'></i>opt-ins</span></p>"
    )
    if not rows:
        return "<h2>Per caller</h2><p class='empty'>No calls this week.</p>"
    header = [
        "caller",
        "calls",
        "switchboard",
        "IT manager",
        "contact rate",
        "opt-ins",
        "per contact",
        "refused",
        "talk time",
        "calls / hour",
    ]
    return "<h2>Per caller</h2>" + _table(header, rows) + chart + legend


def _funnel_section(figures: Figures) -> str:
    stages = figures["funnel"]
    chart = bar_chart(
        [
            (s["label"], [("contacts", s["count"], f"{s['count']} ({_show(s['share'], 'pct')})")])
            for s in stages
        ],
        label="Funnel: leads, called, answered, IT manager reached, opt-in",
    )
    rows = [
        [f"<td>{escape(s['label'])}</td>", _cell(s["count"]), _cell(s["share"], "pct")]
        for s in stages
    ]
    return "<h2>Funnel (leads)</h2>" + chart + _table(["stage", "leads", "of the list"], rows)


def _outcomes_section(figures: Figures) -> str:
    outcomes = [o for o in figures["outcomes"] if o["calls"]]
    chart = bar_chart(
        [
            (o["label"], [("calls", o["calls"], f"{o['calls']} ({_show(o['share'], 'pct')})")])
            for o in outcomes
        ],
        label="Outcome of the week's calls",
    )
    return "<h2>Outcomes</h2>" + chart


def _best_hours_section(figures: Figures) -> str:
    best = figures["best_hours"]
    top = ", ".join(
        f"{t['weekday']} {t['hour']:02d}h ({percent(t['rate'], 0)}, {t['calls']} calls)"
        for t in best["top"]
    )
    summary = f"<p>Best slots: {escape(top)}.</p>" if top else ""
    return (
        "<h2>Best hours to reach IT managers</h2>"
        "<p class='scope'>Contact rate (IT manager reached / calls) by weekday and hour.</p>"
        + heat_map(best, label="Contact rate by weekday and hour")
        + summary
    )


def _local_day(stored: str | None, zone: ZoneInfo) -> str:
    """A stored UTC time as the day it was where the team works (the page's one zone)."""
    return "" if not stored else f"{_moment(stored).astimezone(zone):%Y-%m-%d}"


def _moment(stored: str) -> datetime:
    """A stored *_at value (UTC, `Z`; one without a zone is UTC too)."""
    moment = datetime.fromisoformat(stored)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _optouts_section(rows: list[dict[str, Any]], zone: ZoneInfo) -> str:
    if not rows:
        return "<h2>Opt-outs of the week</h2><p class='empty'>No opt-out this week.</p>"
    body = [
        [
            f"<td>{_local_day(r['at'], zone)}</td>",
            f"<td>{escape('(erased)' if r['erased_at'] else r['email'])}</td>",
            f"<td>{escape('' if r['erased_at'] else r['contact_name'] or '')}</td>",
            f"<td>{escape(r['company'] or '')}</td>",
            f"<td>{escape(r['opted_in_by'] or '')}</td>",
            f"<td>{_local_day(r['opted_in_at'], zone)}</td>",
        ]
        for r in rows
    ]
    header = ["withdrawn", "email", "contact", "company", "opt-in by", "opt-in on"]
    return f"<h2>Opt-outs of the week ({len(rows)})</h2>" + _table(header, body, "list")
