"""What the store tells the panes that have a session open: a notice to show in one line, the
edits one round of reading the log brought in, and an edit refused because the session is
read-only.

Never import Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pmconsole.domain.ops import Op


@dataclass
class Notice:
    """Something a pane should tell its user in one line."""

    text: str
    severity: str = "information"  # or "warning", "error"
    # The edits that take back what the notice tells of (a merge that may not be what was
    # meant): the console offers them to z.
    undo: list[Op] = field(default_factory=list)
    merged: bool = False  # tells of a file changed on disk merged: a command says it too
    ops: list[Op] = field(default_factory=list)  # the edits it merged, for views to redraw


@dataclass
class SyncResult:
    """What one round of reading the log brought in from other processes."""

    ops: list[Op] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    log_replaced: bool = False  # a replica found the live log deleted or replaced: not rebuilt

    @property
    def changed(self) -> bool:
        return bool(self.ops)


class ReadOnlySession(Exception):
    """An edit refused because the session is open read-only; the text says why."""
