"""Status back from an issue tracker: read a tracker's CSV export of the tickets that
``export --for TRACKER`` (or the gh script) made, find each ticket's action by the
``pmconsole action: <id>`` line of its description, and say which actions changed status.

``plan_sync`` is a pure function of the export's text and the session: the command line applies
what it returns (``Change``) as one edit, or nothing when the file is refused (``SyncRefused``).
Status words are read as each tracker exports them: Jira's status names, GitHub's and GitLab's
open/closed state, Linear's workflow states; a word it does not know means open.

Never import Textual here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pmconsole.domain.model import ActionItem, Session
from pmconsole.exporters.trackers import action_ids_in

UTC = timezone.utc
# Column names as trackers export them (compared without case): the description, the status
# and, for the report and the date of a change, the ticket's key and when it was closed.
_DESCRIPTION = ("description", "body")
_STATUS = ("status", "state")
_KEY = ("issue key", "identifier", "issue id", "id", "key", "number", "url")
_CLOSED_AT = ("resolved", "closed at (utc)", "closed at", "closed_at", "completed", "canceled",
              "cancelled", "updated", "updated at (utc)")
_DONE = {"done", "closed", "resolved", "complete", "completed", "fixed"}
_DROPPED = {"canceled", "cancelled", "won't do", "wont do", "won't fix", "declined",
            "rejected", "duplicate", "obsolete"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%b/%y %I:%M %p", "%Y-%m-%d")


class SyncRefused(ValueError):
    """A tracker export that cannot be used as a whole; nothing is changed."""


@dataclass
class Change:
    action: ActionItem
    status: str  # open, done or dropped
    at: datetime
    note: str  # where it came from: "PAY-12 in jira-export.csv: Done"


@dataclass
class SyncPlan:
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # "a-1: done, as in the session"
    unmatched: list[str] = field(default_factory=list)  # "line 4: …: skipped"


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    folded = [h.strip().lstrip("\ufeff").casefold() for h in header]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def status_of(word: str) -> str:
    """A tracker's status word as the session's: done, dropped or open."""
    word = " ".join(word.split()).casefold().replace("’", "'")
    if word in _DONE:
        return "done"
    if word in _DROPPED:
        return "dropped"
    return "open"


def _when(text: str, default: datetime) -> datetime:
    text = text.strip()
    if not text:
        return default
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            return default
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def plan_sync(text: str, source: str, session: Session, now: datetime) -> SyncPlan:
    """What the tracker export ``text`` (named ``source`` in messages) changes in ``session``."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:  # a NUL byte, a field past the size limit
        raise SyncRefused(f"{source}: not a readable CSV file: {err}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SyncRefused(f"{source}: empty; expected a tracker's CSV export with a header row")
    header = rows[0]
    described, stated = _column(header, _DESCRIPTION), _column(header, _STATUS)
    if described is None or stated is None:
        missing = " and ".join(
            f"{names[0].capitalize()} (or {names[1].capitalize()})"
            for names, at in ((_DESCRIPTION, described), (_STATUS, stated))
            if at is None
        )
        raise SyncRefused(f"{source}:1: no {missing} column; expected a tracker's CSV export "
                          f"(header: {', '.join(h.strip() for h in header)[:120]})")
    keyed, closed = _column(header, _KEY), _column(header, _CLOSED_AT)
    actions = {a.id: a for a in session.actions}
    plan, seen = SyncPlan(), {}
    reader_line = 1
    for row in rows[1:]:
        reader_line += 1
        if not any(cell.strip() for cell in row):
            continue
        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i] if i is not None and i < len(row) else ""

        key = cell(keyed).strip() or "the row"
        ids = [i for i in dict.fromkeys(action_ids_in(cell(described))) if i in actions]
        if len(ids) != 1:
            why = ("names no action of this session" if not ids
                   else f"names {len(ids)} actions ({', '.join(ids)})")
            plan.unmatched.append(f"{source}:{reader_line}: {key} {why}: skipped")
            continue
        action_id = ids[0]
        if action_id in seen:
            raise SyncRefused(f"{source}:{reader_line}: {key} names {action_id} again (first on "
                              f"line {seen[action_id]}); keep one ticket per action")
        seen[action_id] = reader_line
        action, word = actions[action_id], cell(stated).strip()
        status = status_of(word)
        if status == action.status:
            plan.unchanged.append(f"{action_id}: {status}, as in the session ({key})")
            continue
        ticket = cell(keyed).strip() or f"line {reader_line}"
        note = f"{ticket} in {source}: {word or '(no status)'}"
        if action.status == "done" and status == "open":
            note = f"reopened: {note}"
        # A ticket closed in the tracker changed on the day it was closed; one reopened, now.
        at = _when(cell(closed), now) if status != "open" else now
        plan.changes.append(Change(action, status, at, note))
    if not plan.changes and not plan.unchanged:
        raise SyncRefused(f"{source}: no row names an action of this session (by a "
                          "'pmconsole action: <id>' line in its description); nothing changed")
    return plan
