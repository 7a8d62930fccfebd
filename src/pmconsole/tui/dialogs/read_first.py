"""A question that appears on its own (a merge to decide, an import to confirm) may appear while
someone is typing: the keys that reach it in its first moment were on their way before it was
seen, and are not taken as an answer."""

from __future__ import annotations

import time

from textual import events
from textual.message_pump import MessagePump

# Keys this soon after a question shows were typed before it was seen: not used.
READ_FIRST = 0.5


class ReadFirst(MessagePump):
    """A mixin of a question's screen: keys in its first READ_FIRST seconds are not used."""

    _shown_at = float("inf")

    def on_mount(self) -> None:
        self._shown_at = time.monotonic()

    def on_key(self, event: events.Key) -> None:
        if time.monotonic() - self._shown_at < READ_FIRST:
            event.stop()
            event.prevent_default()
