"""From rows to events, once for every format: cleans the text, drops duplicates, builds each
event (its pydantic error as one line when it cannot be built), counts and reports progress.

Duplicates: key = (UTC time to the second, text casefolded with whitespace collapsed). A row
whose key is already in the session or earlier in the source is counted, not taken. Event ids
are derived from the key ("e-imp-" + the first 16 hex digits of its SHA-1), so importing the
same file on two machines converges; an imported event edited since keeps its id, and a
re-import of its original row counts as a duplicate rather than coming back.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from pmconsole.domain.model import Session, TimelineEvent, counted
from pmconsole.importers.reading import Progress
from pmconsole.importers.rows import (
    IGNORED,
    BadRow,
    ImportRefused,
    ImportResult,
    Row,
    RowProblem,
    imported_text,
)
from pmconsole.importers.times import utc_second

PROGRESS_EVERY = 1000  # rows between progress calls

# Field defaults of TimelineEvent: only fields that differ are passed, so the event's
# fields_set says what the source said (and a smaller set costs ~500 bytes less per event).
_EVENT_DEFAULTS = {"kind": "observation", "basis": "fact", "major": False, "source": ""}


def digest(at: Any, text: str) -> str:
    """The duplicate key (UTC time to the second, text casefolded, whitespace collapsed) as 16
    hex digits of its SHA-1: what the seen-set holds (100,000 keys in a few MB) and what the
    stable event id is made of. Two different keys share one with odds of about 1 in 2**64."""
    words = " ".join(text.casefold().split())
    return hashlib.sha1(f"{utc_second(at).isoformat()}\x1f{words}".encode()).hexdigest()[:16]


def validation_message(err: ValidationError) -> str:
    """The first pydantic error as one line: where, then what."""
    first = err.errors()[0]
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {message}" if where else message


class Collector:
    """Turns rows into events: cleans, drops duplicates, builds, counts, reports progress."""

    def __init__(
        self,
        fmt: str,
        session: Session,
        progress: Callable[[int, int], None] | None,
        position: Progress,
        zone: ZoneInfo,
    ) -> None:
        self.result = ImportResult(format=fmt, zone=zone.key)
        self._zone = zone
        self._seen = {digest(e.at, e.text) for e in session.timeline}
        self._session_ids = frozenset(e.id for e in session.timeline)
        self._progress = progress
        self._position = position

    def take(self, item: Row | RowProblem | object) -> None:
        result = self.result
        if item is IGNORED:
            result.ignored += 1
            return
        result.rows += 1
        if isinstance(item, RowProblem):
            result.problems.append(item)
        elif isinstance(item, Row):
            self._event(item)
        if self._progress is not None and result.rows % PROGRESS_EVERY == 0:
            self._progress(self._position.done, self._position.total)

    def _problem(self, row: Row, message: str) -> None:
        self.result.problems.append(RowProblem(row.line, message, row.where))

    def _event(self, row: Row) -> None:
        text = imported_text(row.text)
        if not text:
            if row.text.strip():
                self._problem(row, "has only escape sequences and control characters for text")
            else:
                self._problem(row, "has no text")
            return
        try:
            key = digest(row.at, text)
        except BadRow as bad:
            self._problem(row, bad.message)
            return
        event_id = "e-imp-" + key
        # An id already in the session with another key was imported before and edited since:
        # the edit wins over the original row.
        if key in self._seen or event_id in self._session_ids:
            self.result.duplicates += 1
            return
        fields: dict[str, Any] = {"id": event_id, "at": row.at, "text": text}
        optional = {"kind": row.kind, "basis": row.basis, "major": row.major,
                    "source": imported_text(row.source)}
        fields.update((k, v) for k, v in optional.items() if v != _EVENT_DEFAULTS[k])
        try:
            event = TimelineEvent(**fields)
        except ValidationError as err:
            self._problem(row, validation_message(err))
            return
        self._seen.add(key)
        self.result.events.append(event)
        if row.at.tzinfo is self._zone:  # read in it; a time with a zone of its own has another
            self.result.zoneless += 1


def nothing_imported(path: Path, result: ImportResult) -> ImportRefused:
    """The refusal of a source none of whose rows became an event or was already there."""
    if not result.problems:
        what = "message" if result.format == "slack" else "row"
        return ImportRefused(path, f"nothing was imported: there is no {what} to import")
    first = result.problems[0]
    where = f"{first.where}, line {first.line}" if first.where else f"line {first.line}"
    return ImportRefused(
        path,
        f"nothing was imported: all {counted(result.rows, 'row')} are bad; "
        f"the first, {where}: {first.message}",
        None if first.where else first.line,
        problems=result.problems,
    )
