"""What a screen that runs workers mixes in: its workers' ends reach the app's one handler.

Textual sends a worker's state changes to the screen that started it, without bubbling.
"""

from __future__ import annotations

from textual.worker import Worker


class ReportsWorkerErrors:
    """Forwards this screen's worker state changes to `ProspectApp.on_worker_state_changed`,
    which logs a failure and shows it on the line named by `WORKING_LINE`."""

    # The id selector of the line showing "Computing…" or "Importing…" while a worker runs.
    WORKING_LINE: str | None = None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.app.post_message(event)  # type: ignore[attr-defined]
