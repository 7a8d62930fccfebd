"""Session -> documents: the one-page summary (Markdown, HTML with an SVG timeline), the whole
session (JSON), the dates (iCalendar) and the action items (CSV).

``FORMATS`` is the one list of export formats: the command line's ``--format`` choices, the
command palette and the wrap-up screen's keys all read it. Each format's writer lives in a module
of its own (``markdown``, ``html`` with ``timeline`` and ``templates/``, ``json_export``,
``calendar``, ``actions_csv`` with ``trackers`` for ``--for``, ``gh_script``), imported only when
that format is written; what they share is in ``common``. ``tracker_sync`` reads a tracker's
export back (``pmconsole actions sync``).

``export(session, fmt, now=..., previous=...)`` returns the whole document as text. It is a pure
function of the session, ``now`` and, for the calendar, the text of the export it replaces
(``previous_export`` reads it): no writer reads a file, writes one or looks at the clock unless
``now`` is None. The caller decides where the text goes (``default_output`` names the usual
file) and refuses to export an over-long summary unless forced (``one_page_blocks``).

Decisions the formats share:

- **User text is data, never markup.** Terminal escape sequences and C0/C1 control characters
  (except newline and tab) are removed from every text value in md, html, ics and csv. Each
  format's module says how it keeps the rest inert.
- **Times** are shown in the incident's time zone (the incident line adds UTC, which logs and
  summaries often use).
- **Dropped actions** are named in one line under the summary's table of actions, not in it.
- **What was said in the room** (the note-taker's notes per step and the anonymous feedback's
  own words) follows the one page in an appendix, after its footer (printed, on a page of its
  own), so the page stays one page whatever was said. The page keeps the feedback's count and
  average. The answers are listed without order or identity: "what went well" and "what was not
  said" in two lists, each in the order of its words, so neither who answered first nor one
  person's two answers can be told. Sessions with neither notes nor words have no appendix.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pmconsole.domain.model import Session
from pmconsole.domain.rules import Finding, LogFacts, facts_one_page
from pmconsole.exporters.common import TRACKER_NAMES, UTC, Options

_PREVIOUS_LIMIT = 16 * 1024 * 1024  # a calendar of a post-mortem is a few kilobytes
Writer = Callable[[Session, datetime, Options], str]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: what it is called, where it goes and how it is written."""

    name: str  # as typed after --format
    label: str  # a word or two, on the wrap-up screen's keys
    description: str  # a line, in the command palette and the wrap-up screen's hint
    key: str  # the wrap-up screen's key for it
    suffix: str  # the file's suffix
    infix: str  # between the session's stem and the suffix in the default file name
    module: str  # the module under pmconsole.exporters whose ``write`` writes it
    # Whether the writer reads the previous export of the same file, to carry forward what
    # must not go back (a calendar entry's SEQUENCE): ``export(..., previous=text)``.
    updates: bool = False
    trackers: tuple[str, ...] = ()  # the issue trackers it can be shaped for (--for)

    @property
    def writer(self) -> Writer:
        return importlib.import_module(f"pmconsole.exporters.{self.module}").write


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("md", "Markdown", "the one-page summary (Markdown)", "m",
                     ".md", ".summary", "markdown"),
        ExportFormat("html", "HTML", "HTML with the timeline drawn", "h",
                     ".html", "", "html"),
        ExportFormat("json", "JSON", "the whole session as JSON", "j",
                     ".json", "", "json_export"),
        ExportFormat("ics", "Calendar", "calendar (meeting, follow-up review, due dates)",
                     "i", ".ics", "", "calendar", updates=True),
        ExportFormat("csv", "Actions CSV", "the actions as CSV for an issue tracker", "c",
                     ".csv", ".actions", "actions_csv",
                     trackers=TRACKER_NAMES),
        ExportFormat("gh", "gh script", "the open actions as a gh script for GitHub issues", "g",
                     ".sh", ".actions", "gh_script"),
    )
}


def _format(fmt: str) -> ExportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}"
        ) from None


def export(
    session: Session,
    fmt: str,
    *,
    now: datetime | None = None,
    previous: str | None = None,
    tracker: str | None = None,
    labels: tuple[str, ...] = (),
    milestone: str | None = None,
) -> str:
    """The whole document in ``fmt`` (one of ``FORMATS``) as text. ``previous`` is the text of
    the file it replaces, for a format that ``updates`` it (the caller reads it); ``tracker``
    shapes it for one of the format's ``trackers``; ``labels`` and ``milestone`` go on the
    tickets of the gh script."""
    form = _format(fmt)
    if tracker is not None and tracker not in form.trackers:
        raise ValueError(f"--for {tracker!r} is not a choice for {fmt}; "
                         + (f"use one of {', '.join(form.trackers)}" if form.trackers
                            else "only csv can be shaped for a tracker"))
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    options = Options(previous=previous if form.updates else None, tracker=tracker,
                      labels=tuple(labels), milestone=milestone)
    return form.writer(session, now, options)


def previous_export(out: Path, fmt: str) -> str | None:
    """The text of the export ``out`` replaces, for a format that ``updates`` it: None when it
    does not exist or does not read as UTF-8 text (the export then starts afresh)."""
    from pmconsole.storage.toml_file import SessionFileError, read_regular

    if not _format(fmt).updates:
        return None
    try:  # a regular file only: never wait on a pipe or read a device
        return read_regular(Path(out), _PREVIOUS_LIMIT, "an export").decode("utf-8")
    except (OSError, SessionFileError, UnicodeDecodeError):
        return None


def one_page_blocks(session: Session) -> list[Finding]:
    """The ``facts.one_page`` block findings: empty when the summary fits on one page."""
    # The rule reads neither the log nor the time; any aware moment will do.
    findings = facts_one_page(session, LogFacts(), datetime(2000, 1, 1, tzinfo=UTC))
    return [f for f in findings if f.severity == "block"]


def default_output(session_path: Path, fmt: str, tracker: str | None = None) -> Path:
    """Where an export goes unless told otherwise: beside the session file.

    ``incident.toml`` -> ``incident.summary.md``, ``incident.html``, ``incident.json``,
    ``incident.ics``, ``incident.actions.csv`` (``incident.actions.jira.csv`` for Jira),
    ``incident.actions.sh``.
    """
    form = _format(fmt)
    session_path = Path(session_path)
    stem = session_path.name.removesuffix(".toml") or session_path.name
    shaped = f".{tracker}" if tracker else ""
    return session_path.with_name(stem + form.infix + shaped + form.suffix)
