"""An action item's status, changed the one way: agreed (open), done, dropped or open again,
each change kept in its history with when it happened and an optional note. The command line
and the actions step both change a status through here, so both leave the same history.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import date, datetime

from pmconsole.domain.model import ActionItem, ActionStatus, StatusChange
from pmconsole.domain.ops import Op, set_op


def agreed(action: ActionItem, at: datetime) -> ActionItem:
    """``action`` as agreed at ``at``: open, its history starting there."""
    return action.model_copy(
        update={"status": "open", "history": [StatusChange(status="open", at=at)]}
    )


def days_overdue(action: ActionItem, today: date) -> int:
    """How many days past its due date an open action is on ``today``; 0 when it is not."""
    if action.status == "open" and action.due and action.due < today:
        return (today - action.due).days
    return 0


def status_ops(action: ActionItem, status: ActionStatus, at: datetime, note: str = "") -> list[Op]:
    """The edits that give ``action`` the status ``status`` at ``at``, history and all; none
    when it has that status already."""
    if action.status == status:
        return []
    change = StatusChange(status=status, at=at, note=note)
    return [
        set_op("actions", "status", status, action.id),
        set_op("actions", "history", [*action.history, change], action.id),
    ]
