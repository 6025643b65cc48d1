"""Charts drawn in the terminal: horizontal bars and a weekday x hour heat map.

Plain Rich Text, so they draw at any size and in a screenshot alike.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from prospect_tui.core.text import visible
from prospect_tui.widgets.safe import safe_text

BAR_WIDTH = 24
# From pale to deep green: the share of calls that reached the IT manager.
HEAT = ["#1b2a1b", "#1f4d1f", "#2e7d32", "#43a047", "#66bb6a", "#a5d6a7"]


def bar_lines(rows: list[tuple[str, int, float | None]], label_width: int = 18) -> Text:
    """One line per (label, count, share): a bar scaled to the largest count."""
    text = Text()
    top = max((count for _, count, _ in rows), default=0) or 1
    for label, count, share in rows:
        filled = round(BAR_WIDTH * count / top)
        text.append(f"{visible(label)[:label_width]:<{label_width}} ")
        text.append("█" * filled, style="green")
        text.append(" " * (BAR_WIDTH - filled))
        percent = f" {share:.0%}" if share is not None else ""
        text.append(f" {count:>7,}{percent}\n".replace(",", " "))
    return text


class Bars(Static):
    def show(self, title: str, rows: list[tuple[str, int, float | None]]) -> None:
        text = safe_text(title, style="bold")
        text.append("\n")
        text.append_text(bar_lines(rows))
        self.update(text)


class HeatMap(Static):
    """Contact rate by weekday (rows) and hour (columns): when IT managers answer."""

    def show(self, best_hours: dict) -> None:
        text = Text("Best hours: IT managers reached per call, by weekday and hour\n", style="bold")
        hours = best_hours["hours"]
        if not hours:
            self.update(text + Text("No calls in this period."))
            return
        rates = [r for row in best_hours["rate"] for r in row if r is not None]
        top = max(rates, default=0) or 1
        text.append("     " + "".join(f"{h:>4}" for h in hours) + "\n")
        for day, row in zip(best_hours["weekdays"], best_hours["rate"], strict=True):
            text.append(f"{day:<5}")
            for rate in row:
                if rate is None:
                    text.append("   ·")
                    continue
                shade = HEAT[min(len(HEAT) - 1, int(rate / top * (len(HEAT) - 1) + 0.5))]
                ink = "black" if shade in HEAT[-3:] else "white"
                text.append(f"{rate * 100:>3.0f}%", style=f"bold {ink} on {shade}")
            text.append("\n")
        best = ", ".join(
            f"{cell['weekday']} {cell['hour']}h ({cell['rate']:.0%})"
            for cell in best_hours.get("top", [])
        )
        if best:
            text.append(f"Best: {best}\n")
        self.update(text)
