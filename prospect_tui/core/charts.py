"""Inline SVG bar charts for the HTML reports (the weekly report, questionnaire sections).

Self-contained: no script, no external asset; every label is escaped.
"""

from __future__ import annotations

from html import escape

COLORS = {
    "calls": "#94a3b8",
    "contacts": "#2563eb",
    "opt_ins": "#16a34a",
    "previous": "#cbd5e1",
    "this": "#2563eb",
}


def bar_chart(
    rows: list[tuple[str, list[tuple[str, float, str]]]], *, label: str, width: int = 760
) -> str:
    """Horizontal bars: one group per row label, one bar per (series, value, text)."""
    if not rows:
        return "<p class='empty'>No data for this week.</p>"
    label_w, bar_h, gap = 170, 16, 10
    series = max(len(bars) for _, bars in rows)
    group_h = series * bar_h + gap
    height = len(rows) * group_h + gap
    top = max((value for _, bars in rows for _, value, _ in bars), default=0) or 1
    span = width - label_w - 180  # room for the value written after the longest bar
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='chart bars' width='{width}'"
        f" height='{height}' viewBox='0 0 {width} {height}' role='img'"
        f" aria-label='{escape(label, quote=True)}'>"
    ]
    for index, (name, bars) in enumerate(rows):
        y = gap + index * group_h
        parts.append(
            f"<text x='{label_w - 8}' y='{y + series * bar_h / 2 + 4:.0f}'"
            f" text-anchor='end'>{escape(name)}</text>"
        )
        for number, (serie, value, text) in enumerate(bars):
            bar_y = y + number * bar_h
            bar_w = max(1.0, span * value / top) if value else 0
            color = COLORS.get(serie, "#64748b")
            parts.append(
                f"<rect class='bar {escape(serie)}' x='{label_w}' y='{bar_y}'"
                f" width='{bar_w:.1f}' height='{bar_h - 3}' fill='{color}'>"
                f"<title>{escape(name)}: {escape(text)}</title></rect>"
                f"<text class='value' x='{label_w + bar_w + 6:.1f}' y='{bar_y + bar_h - 5}'>"
                f"{escape(text)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
