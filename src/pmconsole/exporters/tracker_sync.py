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

from pmconsole.domain.method import OPEN_LIMIT
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
    refused: list[str] = field(default_factory=list)  # reopenings past the limit of open actions


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
    plans, unmatched = plan_log_sync(text, source, {"": session}, now, what="this session")
    plan = plans.get("", SyncPlan())
    plan.unmatched = unmatched
    return plan


def plan_log_sync(text: str, source: str, sessions: dict[str, Session], now: datetime, *,
                  what: str = "a post-mortem in the log") -> tuple[dict[str, SyncPlan], list[str]]:
    """The same for many sessions (the whole log, by path): the plan of each session a ticket
    names an action of, and the rows no single session's action matches."""
    rows = _records(text, source)
    header = rows[0][1]
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
    holders: dict[str, list[str]] = {}  # action id -> the sessions that have it
    for name, session in sessions.items():
        for a in session.actions:
            holders.setdefault(a.id, []).append(name)
    plans: dict[str, SyncPlan] = {}
    unmatched: list[str] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i] if i is not None and i < len(row) else ""

        key = cell(keyed).strip() or "the row"
        ids = [i for i in dict.fromkeys(action_ids_in(cell(described))) if i in holders]
        if len(ids) != 1 or len(holders[ids[0]]) != 1:
            why = (f"names no action of {what}" if not ids
                   else f"names {len(ids)} actions ({', '.join(ids)})" if len(ids) > 1
                   else f"names {ids[0]}, an action of {len(holders[ids[0]])} post-mortems "
                        f"({', '.join(holders[ids[0]])}); sync it with one of them")
            unmatched.append(f"{source}:{line}: {key} {why}: skipped")
            continue
        action_id, name = ids[0], holders[ids[0]][0]
        if action_id in seen:
            raise SyncRefused(f"{source}:{line}: {key} names {action_id} again (first on "
                              f"line {seen[action_id]}); keep one ticket per action")
        seen[action_id] = line
        plan = plans.setdefault(name, SyncPlan())
        action = next(a for a in sessions[name].actions if a.id == action_id)
        word = cell(stated).strip()
        status = status_of(word)
        if status == action.status:
            plan.unchanged.append(f"{action_id}: {status}, as in the session ({key})")
            continue
        ticket = cell(keyed).strip() or f"line {line}"
        note = f"{ticket} in {source}: {word or '(no status)'}"
        if action.status == "done" and status == "open":
            note = f"reopened: {note}"
        # A ticket closed in the tracker changed on the day it was closed; one reopened, now.
        at = _when(cell(closed), now) if status != "open" else now
        plan.changes.append(Change(action, status, at, note))
    for name, plan in plans.items():
        _keep_within_the_open_limit(plan, sessions[name])
    if not plans:
        raise SyncRefused(f"{source}: no row names an action of {what} (by a "
                          "'pmconsole action: <id>' line in its description); nothing changed")
    return plans, unmatched


def _keep_within_the_open_limit(plan: SyncPlan, session: Session) -> None:
    """A ticket reopened in the tracker reopens its action only while fewer than OPEN_LIMIT
    actions are open, the method's hard limit; the others are said, not made. Tickets closed in
    the same export make room first."""
    open_now = len(session.open_actions())
    kept = []
    for change in sorted(plan.changes, key=lambda c: c.status == "open"):
        if change.status == "open":
            if open_now >= OPEN_LIMIT:
                plan.refused.append(
                    f"{change.action.id}: not reopened ({change.note}): {OPEN_LIMIT} actions "
                    "are already open, the method's limit; close or drop one first")
                continue
            open_now += 1
        elif change.action.status == "open":
            open_now -= 1
        kept.append(change)
    plan.changes = kept


def within_the_open_limit(plan: SyncPlan, name: str):
    """The open limit for the plan's changes, checked by the store in the commit's own
    transaction (``SessionStore.edit``'s guard): a console or a command that opened actions
    since the export was read counts. More open than before, and past the limit: refused
    whole, nothing changed."""

    def check(session: Session) -> None:
        statuses = {a.id: a.status for a in session.actions}
        open_before = sum(s == "open" for s in statuses.values())
        for change in plan.changes:
            statuses[change.action.id] = change.status
        open_after = sum(s == "open" for s in statuses.values())
        if open_after > OPEN_LIMIT and open_after > open_before:
            raise SyncRefused(
                f"{name}: {open_before} actions are open now (changed since the export was "
                f"read), and this sync would leave {open_after}, past the method's limit of "
                f"{OPEN_LIMIT}; nothing changed: run it again")

    return check


def _records(text: str, source: str) -> list[tuple[int, list[str]]]:
    """(line, cells) of every non-blank record, the header first; the line is where the record
    starts in the file, although a quoted cell may hold line breaks."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for row in reader:
            if any(cell.strip() for cell in row):
                records.append((line, row))
            line = reader.line_num + 1
    except csv.Error as err:  # a NUL byte, a field past the size limit
        raise SyncRefused(f"{source}:{reader.line_num}: not a readable CSV file: {err}") from None
    if not records or records[0][0] != 1:
        raise SyncRefused(f"{source}: empty; expected a tracker's CSV export with a header row")
    return records
