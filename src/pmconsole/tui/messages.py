"""The console's messages, each small: what changed, or what a control asks its screen to do."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message


@dataclass
class SessionChanged(Message):
    """The session model changed (an edit here, or another pane's edits arrived)."""

    collections: frozenset[str] = field(default_factory=frozenset)
    local: bool = True


@dataclass
class ChooseTemplate(Message):
    """Step 2's question field asks to move the choice of question template by ``delta``."""

    delta: int
