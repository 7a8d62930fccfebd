"""The two-week review as a meeting of its own (`pmconsole review`): each action's status is
recorded with a note in its history, and the review is marked as held, so `followup.review`
holds. Pure: what the review changes, as edits the store applies in one transaction.

Never import Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pmconsole.domain.model import ActionItem, ActionStatus, Session, StatusChange
from pmconsole.domain.ops import Op, set_op

# What the review can say of an action, as typed at its prompt or after ID= on the command line.
VERDICT_WORDS: dict[str, ActionStatus] = {
    "done": "done", "d": "done",
    "open": "open", "o": "open", "still open": "open",
    "dropped": "dropped", "drop": "dropped", "r": "dropped",
}


@dataclass(frozen=True)
class Verdict:
    status: ActionStatus
    note: str = ""


def held_day(session: Session, now: datetime) -> date:
    """The day of the review, in the incident's time zone (as every day of the session)."""
    return session.local(now).date()


def review_ops(session: Session, verdicts: dict[str, Verdict], now: datetime) -> list[Op]:
    """The edits of a review held at ``now``: a history entry (its status and note) for every
    action with a verdict, the status itself where it changed, and the day the review was held.
    An action still open gets its entry too: the history then shows it was looked at."""
    ops: list[Op] = []
    for action in session.actions:
        verdict = verdicts.get(action.id)
        if verdict is not None:
            ops += verdict_ops(action, verdict, now)
    return [*ops, held_op(session, now)]


def verdict_ops(action: ActionItem, verdict: Verdict, now: datetime) -> list[Op]:
    """The edits of what the review says of one action: its history entry, and its status
    where it changed (the console records them action by action, as it walks them)."""
    change = StatusChange(status=verdict.status, at=now, note=verdict.note)
    ops: list[Op] = []
    if verdict.status != action.status:
        ops.append(set_op("actions", "status", verdict.status, action.id))
    ops.append(set_op("actions", "history", [*action.history, change], action.id))
    return ops


def held_op(session: Session, now: datetime) -> Op:
    """The edit that marks the review as held on the day of ``now``."""
    return set_op("session", "followup_review_held", held_day(session, now))


def walk_order(session: Session) -> list[ActionItem]:
    """The actions in the order the review walks them: the open ones first, as the command
    line asks them, then those done or dropped (to reopen one, within the open limit)."""
    return [*session.open_actions(), *(a for a in session.actions if a.status != "open")]


def reviewed_at_review(session: Session, action: ActionItem) -> StatusChange | None:
    """The entry the last review held recorded for ``action``: its last history entry of the
    day the review was held; None when the review is not held or did not reach it."""
    day = session.followup_review_held
    if day is None:
        return None
    entries = [h for h in action.history if session.local(h.at).date() == day]
    return entries[-1] if entries else None
