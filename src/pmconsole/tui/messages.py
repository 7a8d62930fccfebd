"""The console's messages: small, and the frequent ones merge in bursts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message


@dataclass
class SessionChanged(Message):
    """The session model changed (an edit here, or another pane's edits arrived)."""

    collections: frozenset[str] = field(default_factory=frozenset)
    local: bool = True


class TypingChanged(Message):
    """A field's typing changed state: it is now waiting to be saved, saved, or refused (the
    field says which: ``SavesSoon.waiting`` and ``.refused``). The app redraws the header's
    save state; a burst of them merges into one."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TypingChanged)


@dataclass
class ShowPastPostMortem(Message):
    """A post-mortem from the log was chosen (a related one): show it, read-only."""

    path: Path


@dataclass
class ChooseTemplate(Message):
    """Step 2's question field asks to move the choice of question template by ``delta``."""

    delta: int
