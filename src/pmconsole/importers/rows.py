"""What every import format produces and what an import returns: rows, skipped rows with their
reason, the refusal of a whole source, and the text of a field as an import keeps it.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Sequence

from pmconsole.domain.model import Evidence, TimelineEvent, counted
from pmconsole.domain.text import clean_text

MAX_TEXT_CHARS = 10_000  # a stack trace glued to one log line must not become a 50 MB event
UTC = timezone.utc


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped, and why.

    ``line`` is the 1-based line of the source file where the row starts (for a JSON document,
    where its record starts; for a Slack day file that cannot be read at all, the line of the
    error), and ``where`` names the day file when importing a Slack export of several.
    """

    line: int
    message: str
    where: str = ""

    def __str__(self) -> str:
        if self.where:
            return f"{self.where}, line {self.line}: {self.message}"
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    format: str
    events: list[TimelineEvent] = field(default_factory=list)
    """New events, not yet in the session, sorted by time."""
    problems: list[RowProblem] = field(default_factory=list)
    """Bad rows, skipped."""
    duplicates: int = 0
    """Rows equal to an event already in the session or earlier in the source."""
    rows: int = 0
    """Rows read in all: taken + problems + duplicates."""
    ignored: int = 0
    """Slack channel notices (joins, leaves, bot added/removed), skipped on purpose; not rows."""
    zone: str = ""
    """The time zone times without one were read in (the incident's, or ``--timezone``)."""
    zoneless: int = 0
    """How many of the events taken had a time without a zone, read in ``zone``."""

    def summary(self) -> str:
        parts = [
            f"{counted(len(self.events), 'event')} taken",
            f"{counted(len(self.problems), 'row')} skipped",
            f"{self.duplicates} already there",
        ]
        if self.ignored:
            parts.append(f"{counted(self.ignored, 'channel notice')} ignored")
        said = f"{self.format}: " + ", ".join(parts)
        if self.zoneless:
            # Never a silent guess: a time without a zone is read in one, and the summary says which.
            said += f"; {counted(self.zoneless, 'time')} without a zone read in {self.zone}"
        return said

    def preview_lines(self, zone: tzinfo, limit: int | None = None) -> list[str]:
        """The events an import would add (the first ``limit`` of them), one line each with its
        time in ``zone`` (the session's), its kind and source: what a preview lists before
        anything is written."""
        return [
            f"{event.at.astimezone(zone):%Y-%m-%d %H:%M:%S}  {event.kind:<11}  "
            f"{event.source or '—'}: {event.text}"
            for event in self.events[:limit]
        ]

    def as_evidence(self, source: Path, who: str, at: datetime) -> Evidence:
        """The import as an item of step 4's evidence: which file, how many events it brought,
        who brought it and when; ``facts.deadline`` judges it as it judges any other item."""
        return Evidence(
            kind="timeline",
            reference=f"{source.name}: {counted(len(self.events), 'event')} imported",
            submitted_by=who,
            submitted_at=at,
        )


class ImportRefused(Exception):
    """The whole source is unusable; nothing was imported.

    ``str(err)`` is ``path: message`` or ``path:line: message``. When every row was bad,
    ``problems`` holds them all so the caller can list them.
    """

    def __init__(
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        *,
        problems: Sequence[RowProblem] = (),
    ) -> None:
        self.path = Path(path)
        self.message = message
        self.line = line
        self.problems = list(problems)
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class BadRow(Exception):
    """Raised while reading one row; becomes a RowProblem for that row."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class Row:
    """One row of a source, read but not yet cleaned, checked or made an event (collector.py)."""

    line: int
    at: datetime
    text: str
    kind: str = "observation"
    basis: str = "fact"
    source: str = ""
    major: bool = False
    where: str = ""


IGNORED = object()  # what a parser yields for a row left out on purpose (a Slack channel notice)


def imported_text(value: str) -> str:
    """A text or source field as an import keeps it: cleaned by the one cleaner of user text
    on one line (text.py), without surrounding white space, and cut at ``MAX_TEXT_CHARS``."""
    value = clean_text(value, multiline=False).strip()
    if len(value) > MAX_TEXT_CHARS:
        value = value[: MAX_TEXT_CHARS - 1].rstrip() + "…"
    return value


def shown(value: object, width: int = 40) -> str:
    """A value quoted for a problem message: cleaned (it reaches a terminal) and short."""
    text = imported_text(str(value))
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"'{text}'"
