"""Timeline importers: a file a tool wrote -> new timeline events.

Step 4 of the method gathers facts before the meeting; people bring them as spreadsheets, JSON
logs, plain logs and Slack channel exports. ``import_timeline`` reads one such source and
returns what it would add to a session, without touching the session: the caller shows the
summary and the problems, then applies ``result.events`` through the store.

``FORMATS`` is the one list of formats: each with its name, how it is told from the content,
its parser and the words that describe it. The command line's ``--format`` choices and its
help, and the README, read it; a new format is one module here and one entry below.

What every format shares:

- Times keep their own zone and end up in UTC (times.py). A time without a zone is read in the
  incident's time zone (``session.incident.timezone``).
- Text and source fields go through the one cleaner of user text (``rows.imported_text``).
- A row that cannot become an event is skipped and reported as a ``RowProblem`` with its line;
  nothing is dropped silently. A row with an empty text (after cleaning) is such a problem.
- An unknown ``kind`` value becomes "observation" (not a problem). ``basis`` values: fact,
  observed, verified, confirmed -> "fact"; interpretation, interp, opinion, hypothesis, theory,
  assumption, guess -> "interpretation"; empty -> "fact"; anything else -> "interpretation",
  because an unrecognised label should not promote a statement to a fact.
- Duplicates, and the stable ids of imported events, are decided once for all formats
  (collector.py).
- ``ImportResult.rows == len(events) + len(problems) + duplicates``. Blank lines, blank CSV rows,
  log continuation lines and ignored Slack channel notices are not rows.

The module layout: rows.py (what a parser yields and an import returns), reading.py (safe
reading of the file), times.py, fields.py (the names of CSV columns and JSON keys),
collector.py (rows to events), and one module per format.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmconsole.domain.model import Session
from pmconsole.importers.access_log import looks_like_access_log, parse_access_log
from pmconsole.importers.alertmanager import looks_like_alertmanager, parse_alertmanager
from pmconsole.importers.cloudtrail import looks_like_cloudtrail, parse_cloudtrail
from pmconsole.importers.collector import Collector, nothing_imported
from pmconsole.importers.csv_rows import looks_like_csv, parse_csv
from pmconsole.importers.fields import csv_columns_help
from pmconsole.importers.grafana import looks_like_grafana, parse_grafana
from pmconsole.importers.journald import looks_like_journald, parse_journald
from pmconsole.importers.json_records import (
    looks_like_json_document,
    looks_like_json_lines,
    parse_json,
)
from pmconsole.importers.kubernetes import looks_like_kubernetes, parse_kubernetes
from pmconsole.importers.log_lines import NO_TIME_AT_START, parse_log
from pmconsole.importers.markdown import looks_like_markdown, parse_markdown
from pmconsole.importers.opsgenie import looks_like_opsgenie, parse_opsgenie
from pmconsole.importers.pagerduty import looks_like_pagerduty, parse_pagerduty
from pmconsole.importers.pagerduty_csv import looks_like_pagerduty_csv, parse_pagerduty_csv
from pmconsole.importers.reading import (
    DEFAULT_LIMIT_BYTES,
    HEAD_BYTES,
    Progress,
    Source,
    open_source,
    refuse_unless_text,
)
from pmconsole.importers.rows import ImportRefused, ImportResult, RowProblem, imported_text
from pmconsole.importers.slack import day_files, looks_like_slack, parse_slack
from pmconsole.importers.syslog import looks_like_syslog, parse_syslog
from pmconsole.storage.toml_file import size_text

__all__ = [
    "DEFAULT_LIMIT_BYTES",
    "FORMATS",
    "ImportFormat",
    "ImportRefused",
    "ImportResult",
    "REGISTRY",
    "RowProblem",
    "csv_columns_help",
    "detect_format",
    "format_help",
    "imported_text",
    "import_timeline",
]


@dataclass(frozen=True)
class ImportFormat:
    """One format an import reads."""

    name: str
    """What ``--format`` takes and the summary starts with."""
    label: str
    """What it is, in a few words, for the help and the README."""
    parse: Callable[[Source], Iterator[Any]]
    """Yields a Row, a RowProblem or rows.IGNORED per row, in file order; raises ImportRefused
    when the source as a whole is unusable."""
    detect: Callable[[str, str], bool] | None = None
    """Whether the content is this format, from (the head of the file as text, its first line
    that is not blank). Detectors are asked in the order of REGISTRY; None: never guessed from
    the content (the fallback, or a name's suffix)."""
    suffixes: tuple[str, ...] = ()
    """File name endings that mean this format when no detector claimed the content."""


def _json(detect: Callable[[str], bool]) -> Callable[[str, str], bool]:
    """A vendor's JSON detector, asked only of a source that starts as JSON does."""
    return lambda head, first: looks_like_json_document(head) and detect(head)


# In the order the content is tested: the vendors' JSON by their keys before any JSON, JSON
# Lines before a JSON document, a JSON array before a CSV header, PagerDuty's incidents CSV before
# any CSV; the log last, as the fallback.
REGISTRY: tuple[ImportFormat, ...] = (
    ImportFormat("slack", "a Slack export: the .zip Slack delivers or its folder (--channel "
                 "picks one of several channels), one channel's folder, or one day file",
                 parse_slack, lambda head, first: looks_like_slack(head)),
    ImportFormat("journald", "journalctl -o json, -o short-iso or -o short-iso-precise",
                 parse_journald, looks_like_journald),
    ImportFormat("cloudtrail", "AWS CloudTrail log files ({\"Records\": [...]})",
                 parse_cloudtrail, _json(looks_like_cloudtrail)),
    ImportFormat("pagerduty", "PagerDuty log entries (REST API v2, {\"log_entries\": [...]})",
                 parse_pagerduty, _json(looks_like_pagerduty)),
    ImportFormat("kubernetes", "kubectl get events -o json",
                 parse_kubernetes, _json(looks_like_kubernetes)),
    ImportFormat("alertmanager", "Prometheus Alertmanager webhook payloads, one or many",
                 parse_alertmanager, _json(looks_like_alertmanager)),
    ImportFormat("grafana", "Grafana annotations (GET /api/annotations)",
                 parse_grafana, _json(looks_like_grafana)),
    ImportFormat("opsgenie", "Opsgenie alert logs and incident timelines (API v2)",
                 parse_opsgenie, _json(looks_like_opsgenie)),
    ImportFormat("jsonl", "JSON Lines: one object a line, its keys named as CSV columns",
                 parse_json, lambda head, first: looks_like_json_lines(first),
                 (".jsonl", ".ndjson")),
    ImportFormat("json", "any other JSON: a document, an array, or records in an envelope "
                 "({\"items\": [...]}); keys as for CSV, or --time-field/--text-field",
                 parse_json, lambda head, first: looks_like_json_document(head), (".json",)),
    ImportFormat("syslog", "syslog with its priority prefix: RFC 3164 (BSD) and RFC 5424 as sent",
                 parse_syslog, lambda head, first: looks_like_syslog(first)),
    ImportFormat("access", "nginx or Apache access logs, combined or common format",
                 parse_access_log, lambda head, first: looks_like_access_log(first)),
    ImportFormat("markdown", "Markdown timelines: timed bullets (- 13:42 UTC — ...) or a table; "
                 "the date from a heading, else the incident's day",
                 parse_markdown, looks_like_markdown, (".md", ".markdown")),
    ImportFormat("pagerduty-csv", "PagerDuty's incidents CSV (the Incidents page's download): "
                 "triggered, acknowledged and resolved for each incident",
                 parse_pagerduty_csv, lambda head, first: looks_like_pagerduty_csv(first)),
    ImportFormat("csv", "CSV with a header row naming a time and a text column",
                 parse_csv, lambda head, first: looks_like_csv(first), (".csv", ".tsv")),
    ImportFormat("log", "log lines that start with a time (ISO 8601, Python logging, BSD syslog)",
                 parse_log, None, (".log",)),
)
_BY_NAME = {f.name: f for f in REGISTRY}
FORMATS = tuple(_BY_NAME)
_FALLBACK = "log"
_FOLDER = "slack"  # the one format that is a folder
_MAPPED = ("json", "jsonl")  # the formats --time-field and --text-field apply to
_ZIP = b"PK\x03\x04"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def format_help(width: int = 78) -> str:
    """The formats, from the registry, wrapped to ``width``: what ``pmconsole import --help``
    lists."""
    name_width = max(len(f.name) for f in REGISTRY)
    indent = " " * (name_width + 4)
    return "\n".join(
        "\n".join(textwrap.wrap(f.label, width, initial_indent=f"  {f.name:<{name_width}}  ",
                                subsequent_indent=indent, break_on_hyphens=False))
        for f in REGISTRY
    )


def detect_format(path: Path, head: bytes) -> str:
    """Guess a source's format from its content, in the order of REGISTRY, then its name's
    suffix; "log" when nothing fits. A folder is a Slack export."""
    return _detected(path, head) or _FALLBACK


def _detected(path: Path, head: bytes) -> str | None:
    """The format the content or the name's suffix tells; None when neither tells one."""
    if path.is_dir():
        return _FOLDER
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    for candidate in REGISTRY:
        if candidate.detect is not None and candidate.detect(text, first):
            return candidate.name
    suffix = path.suffix.lower()
    return next((f.name for f in REGISTRY if suffix in f.suffixes), None)


def import_timeline(
    path: Path,
    session: Session,
    *,
    fmt: str | None = None,
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    progress: Callable[[int, int], None] | None = None,
    timezone: str | None = None,
    time_field: str = "",
    text_field: str = "",
    date: str = "",
    channel: str = "",
) -> ImportResult:
    """Read a timeline source into new events for ``session``, which is never modified.

    ``fmt`` is one of FORMATS, or None to guess (``detect_format``). ``progress(done, total)`` is
    called every PROGRESS_EVERY rows and once at the end, in bytes read of the source's size.
    ``timezone`` is the zone of times written without one (the incident's when None);
    ``time_field`` and ``text_field`` are dotted paths into each JSON record (then the format is
    json unless jsonl is asked for). ``date`` (YYYY-MM-DD) is the day of a Markdown timeline's
    times that have none and no dated heading above them; ``channel`` the channel to read from a
    whole Slack workspace export.
    Raises ImportRefused, and nothing else, when the source is unusable: missing, not text,
    larger than ``limit_bytes``, an unknown format, or no row that could be used.
    """
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise ImportRefused(path, f"unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")
    mapped = bool(time_field or text_field)
    guessed = False
    if mapped and fmt not in (None, *_MAPPED):
        raise ImportRefused(path, f"--time-field and --text-field are for JSON, not {fmt}")
    zone = _zone(path, timezone) if timezone else session.zone()
    if date and not _DATE.fullmatch(date):
        raise ImportRefused(path, f"--date {date!r} is not a date like 2026-11-23")
    try:
        is_folder = path.is_dir()
    except OSError as err:  # a name too long, a loop of links
        raise ImportRefused(path, (err.strerror or str(err)).lower()) from None
    try:
        if is_folder:
            if fmt not in (None, _FOLDER):
                raise ImportRefused(path, f"is a folder; only a Slack export can be, not {fmt}")
            fmt = _FOLDER
            files = day_files(path, channel)
            size = sum(f.stat().st_size for f in files)
        elif not path.exists() and not path.is_symlink():
            raise ImportRefused(path, "no such file or folder")
        else:
            files = [path]
            with open_source(path, None) as f:  # the limit is checked below, in the import's words
                size = os.fstat(f.fileno()).st_size
                head = f.read(HEAD_BYTES)
        if size > limit_bytes:
            raise ImportRefused(
                path, f"is {size_text(size)}, over the import limit of {size_text(limit_bytes)}"
            )
        if not is_folder and head.startswith(_ZIP) and fmt in (None, _FOLDER):
            fmt = _FOLDER  # the zip Slack delivers; its day files inside are checked as read
        elif not is_folder:
            refuse_unless_text(path, head, size)
            if fmt is None and not mapped:
                fmt = _detected(path, head)
                guessed = fmt is None  # read as a log, the last resort
            fmt = fmt or ("json" if mapped else _FALLBACK)
        position = Progress(size, limit_bytes)
        source = Source(path, zone, session.incident.started_at, position, files, is_folder,
                        time_field=time_field, text_field=text_field, date=date,
                        channel=channel)
        collector = Collector(fmt, session, progress, position, zone)
        for item in _BY_NAME[fmt].parse(source):
            collector.take(item)
    except OSError as err:
        raise ImportRefused(path, (err.strerror or str(err)).lower()) from None
    result = collector.result
    if not result.events and not result.duplicates:
        if guessed and result.problems and all(p.message == NO_TIME_AT_START
                                               for p in result.problems):
            raise ImportRefused(
                path, f"is in none of the formats pmconsole reads ({', '.join(FORMATS)}); "
                      "if it is one of them, name it with --format"
            )
        raise nothing_imported(path, result)
    result.events.sort(key=attrgetter("at", "id"))
    if progress is not None:
        progress(position.total, position.total)
    return result


def _zone(path: Path, name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ImportRefused(
            path, f"unknown time zone {name!r} (use a name like UTC or Europe/Berlin)"
        ) from None
