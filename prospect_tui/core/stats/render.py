"""The figures as text for a terminal (`prospect stats`) and as CSV (`stats --csv`).

Both read a computed `Figures` record; neither queries the database.
"""

from __future__ import annotations

from typing import Any

from prospect_tui.core import UserError
from prospect_tui.core.csvout import csv_text
from prospect_tui.core.formatting import duration, percent
from prospect_tui.core.stats.figures import BREAKDOWN_COLUMNS, Figures, Row
from prospect_tui.core.text import visible

BREAKDOWNS = ("caller", "day", "hour", "campaign", "outcome")


def breakdown(figures: Figures, by: str = "caller") -> list[dict[str, Any]]:
    """Rows of one breakdown (caller, day, hour, campaign or outcome), each with its key."""
    if by not in BREAKDOWNS:
        raise UserError(f"unknown breakdown {by!r} (choose from {', '.join(BREAKDOWNS)})")
    if by == "outcome":
        return [
            {"outcome": o["code"], "label": o["label"], "calls": o["calls"], "share": o["share"]}
            for o in figures["outcomes"]
        ]
    rows: dict[str, Row] = figures[f"by_{by}"]  # type: ignore[literal-required]
    return [{by: key, **row} for key, row in rows.items()]


def _grid(header: list[str], rows: list[list[Any]]) -> list[str]:
    # A caller or campaign name is outside text: its controls shown, and counted as shown.
    table = [[visible(str(cell)) for cell in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for r in table:
        cells = [r[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_table(figures: Figures, by: str = "caller") -> str:
    """The figures as text for a terminal: headline, funnel, one breakdown, best hours."""
    f = figures
    rate = f["opt_in_rate"]
    scope = [f["period"]["label"], f"campaign: {visible(f['campaign'] or 'all')}"]
    scope.append(f"caller: {visible(f['caller'] or 'all')}")
    lines = [
        " | ".join(scope),
        "",
        f"Calls            {f['calls']:>8}   leads called {f['leads_called']} of"
        f" {f['leads_in_list']} ({percent(f['penetration'])} of the list)",
        f"Switchboard      {f['switchboard']:>8}   answered {percent(f['answer_rate'])}",
        f"IT manager       {f['contacts']:>8}   contact rate {percent(f['contact_rate'])},"
        f" {percent(f['past_switchboard_rate'])} past the switchboard",
        f"Opt-ins          {f['opt_ins']:>8}   {percent(rate['per_call'])} per call,"
        f" {percent(rate['per_contact'])} per contact, {percent(rate['per_lead'])} of the list",
        f"Refused          {f['refusals']:>8}   do not call {f['do_not_call']}",
        f"Callbacks due    {f['callbacks']['pending']:>8}   overdue {f['callbacks']['overdue']}",
        f"Talk time        {duration(f['talk_time']['total_s']):>8}"
        f"   average {duration(f['talk_time']['avg_s'])} per call",
        f"On the phone     {duration(f['on_phone_s']):>8}   "
        + (f"{f['calls_per_hour']:.1f} calls per hour" if f["calls_per_hour"] else "-")
        + " (pauses excluded)",
        "Calls per opt-in "
        + (f"{f['attempts_per_opt_in']:>8.1f}" if f["attempts_per_opt_in"] else f"{'-':>8}"),
        "",
        "Funnel",
    ]
    lines += _grid(
        ["stage", "leads", "of list"],
        [[s["label"], s["count"], percent(s["share"])] for s in f["funnel"]],
    )
    lines += ["", f"By {by}"]
    rows = breakdown(f, by)
    if by == "outcome":
        lines += _grid(
            ["outcome", "calls", "share"],
            [[r["label"], r["calls"], percent(r["share"])] for r in rows],
        )
    elif not rows:
        lines.append("(no calls in this period)")
    else:
        lines += _grid(
            [by, "calls", "switchboard", "manager", "contact", "opt-ins", "per contact", "talk"],
            [
                [
                    r[by],
                    r["calls"],
                    r["switchboard"],
                    r["contacts"],
                    percent(r["contact_rate"]),
                    r["opt_ins"],
                    percent(r["opt_in_per_contact"]),
                    duration(r["talk_s"]),
                ]
                for r in rows
            ],
        )
    top = f["best_hours"]["top"]
    if top:
        slots = ", ".join(f"{t['weekday']} {t['hour']:02d}h ({percent(t['rate'])})" for t in top)
        lines += ["", f"Best hours to reach IT managers: {slots}"]
    return "\n".join(lines)


def to_csv(figures: Figures, by: str = "caller") -> str:
    """One breakdown as CSV for French Excel (';', every field quoted, CRLF)."""
    rows = breakdown(figures, by)
    fields = list(rows[0]) if rows else [by, *BREAKDOWN_COLUMNS]
    return csv_text(fields, ([row[name] for name in fields] for row in rows), excel=True)
