"""The reference for scripts/bench_session.py: a bare Textual app that updates one label per key.

Whatever it costs to draw a key press here is Textual's floor on this machine and terminal.
"""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Label


class BareApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.presses = 0

    def compose(self) -> ComposeResult:
        yield Label("Key count: 0")

    def on_key(self, event: events.Key) -> None:
        self.presses += 1
        self.query_one(Label).update(f"Key count: {self.presses}")


if __name__ == "__main__":
    BareApp().run()
