"""Putting a paste that held an escape (ESC) back in the order it was pasted.

Textual 8.2.8's reader of terminal input, inside a bracketed paste, takes an ESC as the start
of an escape sequence and hands what follows it out as key presses (each ESC as a "^"), ahead
of the paste event, which then carries only the text before the first ESC. Pasting
"before<ESC>[31mred<ESC>[0mafter" types "^[31mred^[0mafter" and then pastes "before": the start
of the paste ends up at its end. A bare TextArea or Input does the same; the fix belongs
upstream, in Textual's input parser (the report, ready to file:
docs/upstream/textual-paste-with-escape.md).

Until then a field keeps the keys typed into it a moment before a paste: the keys a paste was
turned into come from the same read of the terminal as the paste, each within microseconds of
the next (``KEY_GAP`` allows for a busy machine), and begin with the "^" that stood for the
first ESC. A person does not type that fast. Those keys are taken out again, put back behind
the pasted text with their "^" as ESC again, and the whole goes through the one cleaner of user
text. (A "^" that was pasted as itself, after an ESC, is read as an ESC too: the cleaner then
drops it with the character after it.)

Never import Textual here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Keys further apart than this were typed, not pasted. A typist is 80-150 ms a key.
KEY_GAP = 0.05
ESC = "\x1b"
ESC_AS_KEY = "^"  # what Textual's reader hands out for an ESC inside a paste
GIVES_UP_AFTER = 32  # characters of an escape sequence Textual's reader looks through


@dataclass(frozen=True)
class TypedKey:
    time: float  # when it reached the app (Textual's Message.time)
    at: Any  # where the field's cursor was before it went in
    went_in: str  # what it put in the field ("" for a control character)
    character: str  # the character it stands for (BEL ends an OSC sequence, say)


class PastedKeys:
    """The keys typed into one field in the last moment: enough to tell which of them were a
    paste."""

    def __init__(self) -> None:
        self._keys: list[TypedKey] = []

    def typed(self, time: float, at: Any, went_in: str, character: str) -> None:
        if self._keys and time - self._keys[-1].time > KEY_GAP:
            self._keys.clear()
        self._keys.append(TypedKey(time, at, went_in, character))

    def taken_for(self, paste_time: float) -> tuple[Any, str, str] | None:
        """For a paste that reached the app at ``paste_time``: where the keys that were part of
        it went in, what they put in the field, and the characters they stand for; None when
        no keys were part of it."""
        keys, self._keys = self._keys, []
        if not keys or paste_time - keys[-1].time > KEY_GAP:
            return None
        first = next((i for i, key in enumerate(keys) if key.character == ESC_AS_KEY), None)
        if first is None:
            return None
        keys = keys[first:]
        return (keys[0].at, "".join(key.went_in for key in keys),
                "".join(key.character for key in keys))


def in_pasted_order(pasted: str, keys: str) -> str:
    """The text as it was pasted, from the paste event's text and the keys it came before.

    The keys come in pieces, each from an ESC ("^") to the next. Textual's reader gives up on an
    escape sequence once it is longer than 32 characters: that piece is handed out as 33 keys,
    and the reader goes back to collecting the paste, which then holds an ESC where it stopped
    and the text it collected after. So the paste's text, split at its ESCs, is the text
    between runs of pieces that each end with a piece of 33."""
    head, *collected = pasted.split(ESC)
    runs = [""]
    for piece in re.findall(rf"{re.escape(ESC_AS_KEY)}[^{re.escape(ESC_AS_KEY)}]*", keys):
        runs[-1] += piece.replace(ESC_AS_KEY, ESC)
        if len(piece) == GIVES_UP_AFTER + 1:
            runs.append("")
    text = head
    for i in range(max(len(runs), len(collected))):
        text += (runs[i] if i < len(runs) else "") + (collected[i] if i < len(collected) else "")
    return text
