"""Type-ahead: keys typed faster than the app reacts are held, then dispatched one at a time,
each once everything the one before it set off has been handled (issue 19).

Textual reads the next key as soon as it has handed the last one to the focused widget's
queue. A key that opens a form, completes a field or edits text takes effect only later, on
other queues: keys typed right after it ran the session's bindings ("1" in a note recorded
No answer), landed in the field being left ("Livraisons en retard72") or were wiped by the
ctrl+u before them. Here a typed key (or a paste) is dispatched only when the app is quiet
again: every message queue drained, every screen and widget mounted (so the new screen has
its focus), every deferred callback run (a form's result is recorded before the next key).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

log = logging.getLogger("prospect_tui")

# A safety valve, not a timing: a handler stuck this long (which no screen of the app does)
# lets the held keys through rather than freeze the keyboard.
STUCK_S = 5.0


def _quiet(node: MessagePump, handling: bool = False) -> bool:
    """Whether `node` has nothing left to do: mounted, its queue empty, no callback deferred
    to its next idle moment, and its loop back waiting for a message (not in a handler that
    awaits something), unless `handling`: the caller is that handler."""
    if node._closing or node._closed:
        return True
    if not node._is_mounted:
        return False
    queue = node._message_queue
    return not node._running or (
        queue.empty()
        and node._pending_message is None
        and not node._next_callbacks
        and (handling or any(not w.done() for w in queue.ready_event._waiters))  # type: ignore[attr-defined]
    )


def _idle(node: MessagePump) -> asyncio.Future[None]:
    """Done at `node`'s next idle moment: its queue drained and its deferred callbacks run."""
    idle: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    node.call_next(lambda: idle.done() or idle.set_result(None))
    return idle


async def until_quiet(app: App) -> None:
    """Return once no message pump of `app` has anything left to do."""
    while True:
        busy = [node for node in (app, *app._registry) if not _quiet(node)]
        if not busy:
            return
        waits = [_idle(node) if node._is_mounted else node._mounted_event.wait() for node in busy]
        await asyncio.wait_for(asyncio.gather(*waits), STUCK_S)


class TypeAheadApp(App):
    """An App whose typed keys and pastes take effect in the order they were typed."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._typed_ahead: deque[events.Key | events.Paste] = deque()
        self._settling: asyncio.Task[None] | None = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            self._typed_ahead.append(event)
            if self._settling is None:
                await self._dispatch_typed()
            return
        await super().on_event(event)

    async def _dispatch_typed(self) -> None:
        """Dispatch the keys held, each once the one before it has settled."""
        while self._typed_ahead and self._settling is None and self.is_running:
            # A look at every node costs microseconds; waiting for them is left to a task
            # started only when a key comes while the last one is still under way.
            if not all(_quiet(node) for node in self._registry) or not _quiet(self, True):
                self._settling = asyncio.create_task(self._settle())
                return
            await super().on_event(self._typed_ahead.popleft())

    async def _settle(self) -> None:
        try:
            await until_quiet(self)
        except TimeoutError:
            log.warning("type-ahead: the app stayed busy %s s; held keys go on", STUCK_S)
        finally:
            self._settling = None
        if self._typed_ahead and self.is_running:
            self.call_later(self._dispatch_typed)

    async def on_unmount(self) -> None:
        if self._settling is not None:
            self._settling.cancel()
