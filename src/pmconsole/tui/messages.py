"""The console's messages, each small: what changed, or what a control asks its screen to do."""

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


@dataclass
class StorageNews(Message):
    """What the storage thread (tui/sync.py) found on the disk, for the app to apply on its own
    thread. None: unchanged since the last news."""

    rows: list = field(default_factory=list)  # edits read from the log, in commit order
    notices: list = field(default_factory=list)  # the store's notices (merges, a file unreadable)
    read_only: str | None = None  # why edits are refused now, "" when they are not
    error: str | None = None  # trouble with the live log, "" when there is none
    others: list[str] | None = None  # the other panes' roles
    log_replaced: bool = False  # the live log was deleted or replaced while open
