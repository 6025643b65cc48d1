"""The weekly HTML report's section per questionnaire: each question's answers, missing codes
apart, its mean with n, a bar chart of its choices by label, the interviews and the AAPOR rates.
"""

from __future__ import annotations

from html import escape
from typing import Any

from prospect_tui.core.charts import bar_chart
from prospect_tui.core.questionnaires.figures import (
    RATES,
    choice_name,
    e_text,
    question_figures,
)
from prospect_tui.core.store import Store

LABEL_CHARS = 24


def _cell(value: Any) -> str:
    return f"<td>{escape('–' if value is None else str(value))}</td>"


def _fitted(name: str) -> str:
    """A bar's label cut to what the chart's label column shows (about 24 characters)."""
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def questionnaire_sections(
    store: Store, start: str, end: str, campaign: str | None, caller: str | None
) -> list[str]:
    """One section per campaign with a questionnaire (only `campaign` when one is named)."""
    names = [campaign] if campaign else store.campaign_names()
    with_questionnaire = {
        row[0]
        for row in store.conn.execute(
            "SELECT DISTINCT p.name FROM questionnaires q JOIN campaigns p ON p.id = q.campaign_id"
        )
    }
    sections = []
    for name in names:
        if name not in with_questionnaire:
            continue
        figures = question_figures(store, name, start, end, caller)
        head = figures["questionnaire"]
        rows, charts = [], []
        for q in figures["questions"]:
            missing = q["missing"]
            mean = None if q.get("mean") is None else f"{q['mean']:.2f} (n={q['answered']})"
            top2 = None if q.get("top2") is None else f"{q['top2']:.0%}"
            rows.append(
                "<tr>"
                + "".join(
                    _cell(v)
                    for v in (
                        f"{q['text']} ({q['id']})",
                        q["answered"],
                        missing["not_applicable"],
                        missing["dont_know"],
                        missing["refused"],
                        mean,
                        top2,
                    )
                )
                + "</tr>"
            )
            if q["distribution"] and q["type"] != "number":
                bars = [
                    (_fitted(choice_name(q, code)), [("answers", n, str(n))])
                    for code, n in q["distribution"].items()
                ]
                charts.append(f"<h3>{escape(q['id'])}: {escape(q['text'])}</h3>")
                charts.append(bar_chart(bars, label=q["id"]))
        header = "".join(
            f"<th>{h}</th>" for h in ("question", "answered", "NA", "NSP", "REFUS", "mean", "top 2")
        )
        done, aapor = figures["interviews"], figures["aapor"]
        rates = " · ".join(
            f"{k} {'–' if aapor[k] is None else format(aapor[k], '.1%')}" for k in RATES
        )
        sections.append(
            f"<h2>Questionnaire: {escape(head['title'])} ({escape(name)}, version"
            f" {head['version']})</h2>"
            f"<p>{done['completed']} completed, {done['partial']} partial,"
            f" {done['breakoff']} break-offs · AAPOR on {aapor['leads']} leads: {rates}</p>"
            f"<p class='scope'>{escape(e_text(aapor))} · {escape(aapor['edition'])}</p>"
            f"<table class='figures'><thead><tr>{header}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>" + "".join(charts)
        )
    return sections
