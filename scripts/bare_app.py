"""The references for scripts/bench_session.py: bare Textual apps, no database.

    python scripts/bare_app.py            # updates one label per key
    python scripts/bare_app.py --card 16  # also redraws a 16-line card per key

Whatever it costs to draw a key press in the first is Textual's floor on this machine and
terminal; the second adds what any card that changes per key costs, with nothing else.
"""

from __future__ import annotations

import argparse

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Label, Static

LABELS = ["Company", "Phone", "City", "Sector", "Contact", "IT manager", "Source", "Attempts"]


class BareApp(App):
    def __init__(self, card_lines: int = 0) -> None:
        super().__init__()
        self.presses = 0
        self.card_lines = card_lines

    def compose(self) -> ComposeResult:
        yield Label("Key count: 0")
        if self.card_lines:
            yield Static(self.card(), id="card")

    def card(self) -> str:
        """A card whose every line changes with each key, like the next lead's."""
        return "\n".join(
            f"{LABELS[line % len(LABELS)]}  value {self.presses * 7919 + line * 104729:x}"
            for line in range(self.card_lines)
        )

    def on_key(self, event: events.Key) -> None:
        self.presses += 1
        self.query_one(Label).update(f"Key count: {self.presses}")
        if self.card_lines:
            self.query_one("#card", Static).update(self.card())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--card", type=int, default=0, metavar="LINES")
    BareApp(parser.parse_args().card).run()
