"""Figures per question (distributions, means that never count a missing code) and the
AAPOR block (RR1 to RR4, COOP1, REF1, CON1, the e used) on one final disposition per lead called.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections import defaultdict
from typing import Any

from prospect_tui.core.cells import neutralize_cell
from prospect_tui.core.questionnaires.engine import (
    AAPOR_EDITION,
    DISPOSITION_OF_OUTCOME,
    DISPOSITION_OF_STATUS,
    DISPOSITION_ORDER,
    aapor_rates,
    rr3_rr4,
)
from prospect_tui.core.questionnaires.model import MISSING_CODES, Question
from prospect_tui.core.questionnaires.storage import require_version
from prospect_tui.core.store import Store

_ANSWERS_SQL = """
SELECT question_id, value, number, missing, caller, count(*) FROM answers
WHERE campaign_id = ? AND answered_at >= ? AND answered_at < ? {caller}
GROUP BY question_id, value, number, missing, caller
"""


def _rank_sql(column: str, categories: dict[str, str]) -> str:
    """A CASE giving each code the rank of its disposition in DISPOSITION_ORDER (9: none)."""
    ranks = " ".join(
        f"WHEN '{code}' THEN {DISPOSITION_ORDER.index(category)}"
        for code, category in categories.items()
    )
    return f"CASE {column} {ranks} ELSE 9 END"


# One final disposition per lead called in the period: the best-ranked category among its
# calls (undone ones left out), each call taking its outcome's and its interview status's.
_LEAD_DISPOSITIONS_SQL = f"""
SELECT c.lead_id, min(min({_rank_sql("c.outcome", DISPOSITION_OF_OUTCOME)},
                          {_rank_sql("ic.status", DISPOSITION_OF_STATUS)})) AS rank
FROM calls c LEFT JOIN interview_calls ic ON ic.call_id = c.id
WHERE c.campaign_id = ? AND c.started_at >= ? AND c.started_at < ? AND c.undone_at IS NULL
{{caller}}
GROUP BY c.lead_id
"""
_DISPOSITIONS_SQL = f"SELECT rank, count(*) FROM ({_LEAD_DISPOSITIONS_SQL}) GROUP BY rank"
# Each interview's status after its latest call in the period (SQLite takes the bare
# column from the row holding max()).
_INTERVIEWS_SQL = """
SELECT status, count(*) FROM (
    SELECT ic.status, max(c.id) FROM calls c JOIN interview_calls ic ON ic.call_id = c.id
    WHERE c.campaign_id = ? AND c.started_at >= ? AND c.started_at < ? AND c.undone_at IS NULL
    {caller}
    GROUP BY ic.interview_id)
GROUP BY status
"""


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _numbers(counts: dict[float, int]) -> dict[str, float | None]:
    """Mean, median, sample sd, min and max of grouped numbers (value -> how many)."""
    n = sum(counts.values())
    if not n:
        return {"mean": None, "median": None, "sd": None, "min": None, "max": None}
    ordered = sorted(counts.items())
    mean = sum(v * c for v, c in ordered) / n

    def nth(index: int) -> float:
        seen = 0
        for value, count in ordered:
            seen += count
            if index < seen:
                return value
        return ordered[-1][0]

    median = nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2
    sd = math.sqrt(sum(c * (v - mean) ** 2 for v, c in ordered) / (n - 1)) if n > 1 else None
    return {
        "mean": _round(mean),
        "median": _round(median),
        "sd": _round(sd),
        "min": ordered[0][0],
        "max": ordered[-1][0],
    }


def _key(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _question(question: Question, groups: list[tuple[Any, ...]]) -> dict[str, Any]:
    missing = dict.fromkeys(MISSING_CODES, 0)
    answered = 0
    distribution: dict[str, int] = {}
    if question.type in ("single", "multi", "yesno"):
        distribution = {c.code: 0 for c in question.choices}
    elif question.type == "scale":
        distribution = {_key(v): 0 for v in question.scale_values}
    numbers: dict[float, int] = defaultdict(int)
    for value, number, code, _caller, count in groups:
        if code in missing:
            missing[code] += count
            continue
        if value is None:
            continue  # skipped: neither an answer nor a missing code
        answered += count
        if question.type == "multi":
            for ticked in value.split():  # respondents per choice
                distribution[ticked] = distribution.get(ticked, 0) + count
        elif question.type in ("single", "yesno"):
            distribution[value] = distribution.get(value, 0) + count
        elif number is not None:
            numbers[float(number)] += count
            distribution[_key(number)] = distribution.get(_key(number), 0) + count
    figures: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "text": question.text,
        "answered": answered,
        "missing": missing,
        "distribution": distribution,
        "labels": _labels(question, distribution),
    }
    if question.type in ("scale", "number"):
        figures.update(_numbers(numbers))
    if question.type == "scale":
        top = question.scale_values[-2:]
        in_top = sum(numbers.get(float(v), 0) for v in top)
        figures["top2"] = _round(in_top / answered) if answered else None
    return figures


def _labels(question: Question, distribution: dict[str, int]) -> dict[str, str]:
    """What people read for each code of the distribution: a choice's label, a scale value's
    label where the questionnaire gives one; a code no version offers any more stays itself."""
    if question.type == "scale":
        given = question.labels
        return {code: given[int(code)] for code in distribution if int(code) in given}
    if question.type not in ("single", "multi", "yesno"):
        return {}
    labels = {}
    for code in distribution:
        choice = question.choice(code)
        labels[code] = code if choice is None else choice.label
    return labels


def question_figures(
    store: Store,
    campaign_name: str,
    start: str,
    end: str,
    caller: str | None = None,
    e: float | None = None,
) -> dict[str, Any]:
    """Per question in questionnaire order, the interviews and AAPOR, between two ISO times.

    Answers count when given in [start, end); dispositions count leads called then. `e`, the
    share of unknown-eligibility cases taken as eligible in RR3/RR4, is estimated when None.
    """
    campaign, version = require_version(store, campaign_name)
    params: list[Any] = [campaign["id"], start, end]
    caller_sql = ""
    if caller is not None:
        caller_sql = "AND caller = ?"
        params.append(caller)
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for qid, *group in store.conn.execute(_ANSWERS_SQL.format(caller=caller_sql), params):
        grouped[qid].append(tuple(group))
    questionnaire = version.questionnaire
    questions = [
        _question(q, grouped.get(q.id, [])) for q in questionnaire.questions if q.answerable
    ]
    by_caller: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for q in questionnaire.questions:
        if q.type not in ("scale", "number"):
            continue
        sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        for _value, number, missing, who, count in grouped.get(q.id, []):
            if number is not None and missing is None:
                sums[who][0] += count
                sums[who][1] += number * count
        for who, (n, total) in sums.items():
            by_caller[who][q.id] = {"n": n, "mean": _round(total / n)}
    interviews, aapor = _dispositions(store, campaign["id"], start, end, caller, e)
    return {
        "campaign": campaign_name,
        "questionnaire": {"title": questionnaire.title, "version": version.number},
        "caller": caller,
        "questions": questions,
        "interviews": interviews,
        "aapor": aapor,
        "by_caller": {who: by_caller[who] for who in sorted(by_caller)},
    }


def _dispositions(
    store: Store, campaign_id: int, start: str, end: str, caller: str | None, e: float | None
) -> tuple[dict[str, int], dict[str, Any]]:
    params: list[Any] = [campaign_id, start, end]
    caller_sql = ""
    if caller is not None:
        caller_sql = "AND c.caller = ?"
        params.append(caller)
    interviews = dict.fromkeys(("completed", "partial", "breakoff"), 0)
    for status, count in store.conn.execute(_INTERVIEWS_SQL.format(caller=caller_sql), params):
        interviews[status] += count
    counts = dict.fromkeys(DISPOSITION_ORDER, 0)
    leads = 0
    for rank, count in store.conn.execute(_DISPOSITIONS_SQL.format(caller=caller_sql), params):
        leads += count
        if rank < len(DISPOSITION_ORDER):
            counts[DISPOSITION_ORDER[rank]] += count
    rates = {**aapor_rates(counts), **rr3_rr4(counts, e), "edition": AAPOR_EDITION}
    return interviews, {"leads": leads, "counts": counts, **rates}


def lead_dispositions(store: Store, campaign_id: int) -> dict[int, str | None]:
    """Each lead ever called on the campaign -> its final disposition (None: no category),
    the one `question_figures` counts."""
    rows = store.conn.execute(_LEAD_DISPOSITIONS_SQL.format(caller=""), (campaign_id, "", "9999"))
    return {
        lead_id: DISPOSITION_ORDER[rank] if rank < len(DISPOSITION_ORDER) else None
        for lead_id, rank in rows
    }


CSV_HEADERS = (
    "id",
    "type",
    "text",
    "answered",
    "not_applicable",
    "dont_know",
    "refused",
    "mean",
    "median",
    "sd",
    "min",
    "max",
    "top2",
    "distribution",
)


def figures_csv(figures: dict[str, Any]) -> str:
    """One row per question (distribution as code=count pairs), formula-safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for q in figures["questions"]:
        row = [
            q["id"],
            q["type"],
            q["text"],
            q["answered"],
            *(q["missing"][code] for code in MISSING_CODES),
            *(q.get(key) for key in ("mean", "median", "sd", "min", "max", "top2")),
            " ".join(f"{code}={count}" for code, count in q["distribution"].items()),
        ]
        writer.writerow([neutralize_cell("" if v is None else str(v)) for v in row])
    return out.getvalue()


def format_figures(figures: dict[str, Any]) -> str:
    """The figures as text for the terminal: one block per question, then AAPOR."""
    head = figures["questionnaire"]
    lines = [f"{figures['campaign']}: {head['title']} (version {head['version']})", ""]
    for q in figures["questions"]:
        missing = q["missing"]
        lines.append(
            f"{q['id']} ({q['type']}): {q['answered']} answered; NA {missing['not_applicable']},"
            f" NSP {missing['dont_know']}, REFUS {missing['refused']}"
        )
        lines.append(f"  {q['text']}")
        if q.get("mean") is not None:
            lines.append(
                f"  mean {q['mean']:.2f} (n={q['answered']}), median {q['median']:g},"
                f" sd {'-' if q['sd'] is None else format(q['sd'], '.2f')}"
                + (f", top2 {q['top2']:.0%}" if q.get("top2") is not None else "")
            )
        if q["distribution"] and q["type"] != "number":
            names = {code: choice_name(q, code) for code in q["distribution"]}
            width = max(16, *(len(name) for name in names.values()))
            total = max(sum(q["distribution"].values()), 1)
            for code, count in q["distribution"].items():
                bar = "█" * round(20 * count / total)
                lines.append(f"  {names[code]:<{width}} {count:>6}  {bar}")
    done = figures["interviews"]
    lines += [
        "",
        f"interviews: {done['completed']} completed, {done['partial']} partial,"
        f" {done['breakoff']} break-offs",
    ]
    aapor = figures["aapor"]
    counts = " ".join(f"{k}={v}" for k, v in aapor["counts"].items())
    rates = "  ".join(f"{name} {_share(aapor[name])}" for name in RATES)
    lines += [
        f"AAPOR on {aapor['leads']} leads called: {counts}",
        f"  {rates}",
        f"  {e_text(aapor)}",
        f"  rates as in {aapor['edition']}",
    ]
    for who, means in figures["by_caller"].items():
        shown = ", ".join(f"{qid} {m['mean']:.2f} (n={m['n']})" for qid, m in means.items())
        lines.append(f"{who}: {shown}")
    return "\n".join(lines)


# The rates in the order they are printed: each response rate, then the others.
RATES = ("RR1", "RR2", "RR3", "RR4", "COOP1", "REF1", "CON1")


def _share(value: float | None) -> str:
    return "-" if value is None else format(value, ".1%")


def choice_name(question: dict[str, Any], code: str) -> str:
    """A distribution's line as people read it: the label, with the code only when the label
    does not start with it ("HP / HPE (hpe)", but "Stratégique (croissance)" and "Dell"), a
    scale value with its label ("5 Excellent")."""
    label = question["labels"].get(code)
    if label is None:
        return code
    if question["type"] == "scale":
        return f"{code} {label}"
    return label if _folded(label).startswith(_folded(code)) else f"{label} ({code})"


def _folded(text: str) -> str:
    """Lower case without accents: "Stratégique" -> "strategique", as codes are written."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )


def e_text(aapor: dict[str, Any]) -> str:
    """The e that RR3 and RR4 used, and where it came from."""
    if aapor["e"] is None:
        return "e unknown (no case of known eligibility)"
    if aapor["e_estimated"]:
        return f"e = {aapor['e']:.2f} (estimated: eligible share of the cases of known eligibility)"
    return f"e = {aapor['e']:.2f} (given)"
