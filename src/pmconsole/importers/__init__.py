"""Timeline importers: a CSV, JSON Lines, log or Slack export file -> new timeline events.

Step 4 of the method gathers facts before the meeting; people bring them as spreadsheets, JSON
logs, plain logs and Slack channel exports. ``import_timeline`` reads one such source and
returns what it would add to a session, without touching the session: the caller shows the
summary and the problems, then applies ``result.events`` through the store.

What every format shares:

- Times keep their own zone and end up in UTC (the model normalises). A time without a zone is
  read in the incident's time zone (``session.incident.timezone``); in a DST overlap the first
  of the two moments is taken.
- Text and source fields go through the one cleaner of user text (``text.clean_text``) on one
  line: escape sequences, control characters, bidi overrides and invisible format characters
  are removed, tabs and line breaks become spaces; then surrounding whitespace goes.
  Text longer than ``MAX_TEXT_CHARS`` is cut and ends in "…".
- A row that cannot become an event is skipped and reported as a ``RowProblem`` with its line;
  nothing is dropped silently. A row with an empty text (after cleaning) is such a problem.
- An unknown ``kind`` value becomes "observation" (not a problem). ``basis`` values: fact,
  observed, verified, confirmed -> "fact"; interpretation, interp, opinion, hypothesis, theory,
  assumption, guess -> "interpretation"; empty -> "fact"; anything else -> "interpretation",
  because an unrecognised label should not promote a statement to a fact.
- Duplicates: key = (UTC time to the second, text casefolded with whitespace collapsed). A row
  whose key is already in the session or earlier in the source is counted, not taken. Event ids
  are derived from the key ("e-imp-" + the first 16 hex digits of its SHA-1), so importing the
  same file on two machines converges; an imported event edited since keeps its id, and a
  re-import of its original row counts as a duplicate rather than coming back.
- ``ImportResult.rows == len(events) + len(problems) + duplicates``. Blank lines, blank CSV rows,
  log continuation lines and ignored Slack channel notices are not rows.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import codecs
import csv
import email.utils
import hashlib
import json
import math
import os
import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Sequence
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from pmconsole.domain.model import EVENT_KINDS, Evidence, Session, TimelineEvent, counted
from pmconsole.storage.toml_file import SessionFileError, open_regular, size_text
from pmconsole.domain.text import clean_text

__all__ = [
    "FORMATS",
    "ImportRefused",
    "ImportResult",
    "RowProblem",
    "csv_columns_help",
    "detect_format",
    "imported_text",
    "import_timeline",
]

FORMATS = ("csv", "jsonl", "log", "slack")
DEFAULT_LIMIT_BYTES = 50 * 1024 * 1024
HEAD_BYTES = 64 * 1024  # what format detection and the is-it-text check look at
PROGRESS_EVERY = 1000  # rows between progress calls
MAX_TEXT_CHARS = 10_000  # a stack trace glued to one log line must not become a 50 MB event
UTC = timezone.utc


# -- what an import returns -----------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """A row that was skipped, and why.

    ``line`` is the 1-based line of the source file where the row starts. For Slack it is the
    1-based index of the message within its day file (or, for a day file that cannot be read at
    all, the line of the error), and ``where`` names the day file when importing a folder.
    """

    line: int
    message: str
    where: str = ""

    def __str__(self) -> str:
        if self.where:
            return f"{self.where}, message {self.line}: {self.message}"
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

    def summary(self) -> str:
        parts = [
            f"{counted(len(self.events), 'event')} taken",
            f"{counted(len(self.problems), 'row')} skipped",
            f"{self.duplicates} already there",
        ]
        if self.ignored:
            parts.append(f"{counted(self.ignored, 'channel notice')} ignored")
        return f"{self.format}: " + ", ".join(parts)

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


# -- cleaning text ---------------------------------------------------------------------------

def imported_text(value: str) -> str:
    """A text or source field as an import keeps it: cleaned by the one cleaner of user text
    on one line (text.py), without surrounding white space, and cut at ``MAX_TEXT_CHARS``."""
    value = clean_text(value, multiline=False).strip()
    if len(value) > MAX_TEXT_CHARS:
        value = value[: MAX_TEXT_CHARS - 1].rstrip() + "…"
    return value


def _shown(value: object, width: int = 40) -> str:
    """A value quoted for a problem message: cleaned (it reaches a terminal) and short."""
    text = imported_text(str(value))
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"'{text}'"


# Bytes that were not UTF-8, as decoded with "surrogateescape".
_BAD_BYTES = re.compile("[\udc80-\udcff]")
_NOT_UTF8 = "is not UTF-8 text"


# -- times -----------------------------------------------------------------------------------


class _BadRow(Exception):
    """Raised while reading one row; becomes a RowProblem for that row."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_ZONE = r"(?P<zone>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
# ISO 8601 / RFC 3339 in its extended form, plus the "2026-11-23 14:37:01,123" of Python's
# logging and the "2026/11/23 14:37:01" of Go's log package. Seconds and zone are optional.
_ISO = (
    r"(?P<y>\d{4})(?P<sep>[-/])(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})[Tt ]"
    r"(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    rf"(?:\s?{_ZONE})?"
)
_ISO_VALUE = re.compile(_ISO)
# At the start of a log line, maybe in brackets; it must end there (not run into a word).
_ISO_LINE = re.compile(rf"\[?{_ISO}(?!\w|[:.,]\d)\]?")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SYSLOG_LINE = re.compile(
    rf"(?P<mon>{'|'.join(_MONTHS)}) +(?P<d>\d{{1,2}}) (?P<h>\d{{2}}):(?P<mi>\d{{2}}):(?P<s>\d{{2}})"
    r"(?:\.(?P<f>\d+))? +(?P<host>\S+)(?: +(?P<rest>.*))?"
)
_SYSLOG_TAG = re.compile(r"(?P<prog>[^\s:\[\]]+)(?:\[\d+\])?: ?(?P<msg>.*)")
_TIME_ONLY = re.compile(rf"\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?(?:\s?{_ZONE})?")
_DATE_ONLY = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}")
_EPOCH_TEXT = re.compile(r"\d{9,19}(?:\.\d+)?")
_RFC2822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
_EXPECTED = "expected ISO 8601 like 2026-11-23T14:37:01Z or 2026-11-23 15:37+01:00"
_SYSLOG_YEAR_SLACK = timedelta(days=183)


@lru_cache(maxsize=64)
def _offset(text: str) -> timezone:
    if text in ("Z", "z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes >= 60:
        raise ValueError(f"offset {text} has {minutes} minutes")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))  # ValueError past 24 h


def _from_parts(m: re.Match[str], zone: ZoneInfo) -> datetime:
    """A datetime from an _ISO match; ValueError when it names no real moment."""
    micro = int((m["f"] or "")[:6].ljust(6, "0"))
    tz = _offset(m["zone"]) if m["zone"] else zone
    return datetime(
        int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"] or 0),
        micro, tzinfo=tz,
    )


def _from_epoch(value: float | int, shown: str) -> datetime:
    """Unix time in seconds, or milli-, micro- or nanoseconds (told apart by size)."""
    if not math.isfinite(value) or not 1e8 <= abs(value) < 1e20:
        raise _BadRow(f"time {shown} is not a plausible Unix time")
    for _ in range(3):
        if value < 1e11:
            break
        value /= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _BadRow(f"time {shown} is not a plausible Unix time") from None


def _parse_time(value: Any, zone: ZoneInfo, date: Any = None) -> datetime:
    """A time cell or JSON value to an aware datetime, or _BadRow saying what is wrong.

    ``date`` is a separate date column's value, used when the time has no date of its own.
    """
    if value is None or isinstance(value, bool):
        raise _BadRow("has no time")
    if isinstance(value, (int, float)):
        return _from_epoch(value, _shown(value))
    if not isinstance(value, str):
        raise _BadRow("time is not text or a number")
    text = value.strip()
    if not text:
        raise _BadRow("has no time")
    if isinstance(date, str) and _DATE_ONLY.fullmatch(date.strip()) and _TIME_ONLY.fullmatch(text):
        text = f"{date.strip()} {text}"
    if m := _ISO_VALUE.fullmatch(text):
        try:
            return _from_parts(m, zone)
        except ValueError:
            raise _BadRow(f"time {_shown(text)} is not a real date and time") from None
    if _EPOCH_TEXT.fullmatch(text):
        return _from_epoch(float(text), _shown(text))
    if _RFC2822.match(text):
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError, OverflowError):
            raise _BadRow(f"time {_shown(text)} is not a real date and time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    if _TIME_ONLY.fullmatch(text):
        # Guessing the day would put events on the wrong side of midnight without a word.
        raise _BadRow(f"time {_shown(text)} has no date ({_EXPECTED})")
    if _DATE_ONLY.fullmatch(text):
        raise _BadRow(f"time {_shown(text)} has no time of day ({_EXPECTED})")
    raise _BadRow(f"time {_shown(text)} is not a date and time ({_EXPECTED})")


# -- fields shared by CSV and JSON Lines -----------------------------------------------------

# Column (CSV) or key (JSON) names, compared after _normal_name; first match wins.
_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "time": ("time", "timestamp", "at", "date", "datetime", "when", "ts"),
    "text": ("text", "event", "message", "description", "summary", "what", "msg"),
    "kind": ("kind", "type", "category"),
    "source": ("source", "author", "who", "system", "from", "service", "app", "logger"),
    "basis": ("basis", "factinterpretation", "factorinterpretation", "fi", "fact", "facts",
              "interpretation"),
    "major": ("major", "key", "important", "milestone"),
}
_KINDS: dict[str, str] = {k: k for k in EVENT_KINDS} | {
    "alarm": "alert", "page": "alert", "paged": "alert", "alerting": "alert",
    "step": "action", "fix": "action", "mitigation": "action", "change": "action",
    "decided": "decision", "note": "observation", "info": "observation",
}
# Any other non-empty basis is an interpretation (interp, opinion, hypothesis, ...).
_FACT_WORDS = frozenset({"fact", "facts", "f", "observed", "observation", "verified", "confirmed"})
_YES = frozenset({"yes", "y", "true", "1", "x", "✓", "✔", "major", "key"})
_NO = frozenset({"no", "n", "false", "0", ""})


def _kind_and_its_other_words(kind: str) -> str:
    """ "decision (or decided)": a kind and the other words read as it."""
    words = [word for word, meant in _KINDS.items() if meant == kind and word != kind]
    return f"{kind} (or {', '.join(words)})" if words else kind


def csv_columns_help(width: int = 78) -> str:
    """The CSV columns an import reads, from the names above: ``pmconsole import --help`` shows
    this, and the README says the same."""
    what = {
        "time": "when (required): ISO 8601 or RFC 3339 (2026-11-23T14:37:01Z, 2026-11-23 "
                "15:37+01:00) or Unix time; a time without a zone is read in the incident's "
                "time zone; with a separate date column, the time column may hold only the "
                "time of day",
        "text": "what happened (required)",
        "kind": "; ".join(_kind_and_its_other_words(kind) for kind in EVENT_KINDS)
                + "; other words become observation",
        "source": "who or what reported it",
        "basis": "fact (or empty) or interpretation; a yes/no column named fact or "
                 "interpretation works too",
        "major": "yes, true, 1 or x marks a major event",
    }
    intro = (
        "CSV columns: a header row names them, in any order, separated by a comma, semicolon, "
        "tab or |. Names are compared without case, spaces, punctuation or a bracketed part "
        "(\"Time (UTC)\" is time, \"Fact/Interpretation\" is factinterpretation). A time "
        "and a text column are required; the others are optional, and columns not named "
        "here are ignored. JSON Lines objects use the same names as keys."
    )
    lines = [*textwrap.wrap(intro, width), ""]
    for field, names in _FIELD_NAMES.items():
        lines += textwrap.wrap(", ".join(names), width, initial_indent=f"  {field:<8}",
                               subsequent_indent=" " * 10)
        lines += textwrap.wrap(what[field], width, initial_indent=" " * 10,
                               subsequent_indent=" " * 10)
    return "\n".join(lines)


def _normal_name(name: str) -> str:
    # "Time (UTC)" -> "time", "@timestamp" -> "timestamp", "Fact/Interpretation" -> ...
    return re.sub(r"\(.*?\)|[^0-9a-z]", "", name.casefold())


def _pick_fields(names: Sequence[str]) -> dict[str, int]:
    """Which of the given column names carries each field, as field -> position."""
    normal = [_normal_name(n) for n in names]
    picked: dict[str, int] = {}
    for name, candidates in _FIELD_NAMES.items():
        for candidate in candidates:
            if candidate in normal and normal.index(candidate) not in picked.values():
                picked[name] = normal.index(candidate)
                break
    # Spreadsheets often split "Date" and "Time"; the date is used when a time has none.
    if "date" in normal and normal.index("date") not in picked.values():
        picked["date"] = normal.index("date")
    return picked


def _scalar(value: Any, name: str, *, required: bool = False) -> str:
    """A cell or JSON value as text. Nested JSON is an error for the text, ignored elsewhere."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if required:
        shape = "list" if isinstance(value, list) else "object"
        raise _BadRow(f"{name} is a JSON {shape}, not text")
    return ""


def _basis(value: str, column: str) -> str:
    word = value.strip().casefold()
    if not word:
        return "fact"  # the model's default, as for a source without a basis column
    if column in ("fact", "facts", "interpretation") and (word in _YES or word in _NO):
        # A yes/no column named after one side of the distinction.
        return "fact" if (word in _YES) == (column != "interpretation") else "interpretation"
    return "fact" if word in _FACT_WORDS else "interpretation"


@dataclass(slots=True)
class _Row:
    line: int
    at: datetime
    text: str
    kind: str = "observation"
    basis: str = "fact"
    source: str = ""
    major: bool = False
    where: str = ""


def _row_from_fields(line: int, values: dict[str, Any], basis_column: str, zone: ZoneInfo) -> _Row:
    """One CSV row or JSON object, as canonical field -> raw value, to a _Row."""
    at = _parse_time(values.get("time"), zone, values.get("date"))
    text = _scalar(values.get("text"), "text", required=True)
    if not text.strip():
        raise _BadRow("has no text")
    return _Row(
        line,
        at,
        text,
        kind=_KINDS.get(_scalar(values.get("kind"), "kind").strip().casefold(), "observation"),
        basis=_basis(_scalar(values.get("basis"), "basis"), basis_column),
        source=_scalar(values.get("source"), "source"),
        major=_scalar(values.get("major"), "major").strip().casefold() in _YES,
    )


# -- reading files ---------------------------------------------------------------------------


class _Progress:
    """Bytes read so far and in all, for the progress callback; and the import limit, which
    every file of the source is opened with (``_open``)."""

    def __init__(self, total: int, limit: int) -> None:
        self.done = 0
        self.total = total
        self.limit = limit


def _open(path: Path, limit: int | None) -> BinaryIO:
    """A source file opened as every file pmconsole reads is (``store.open_regular``): only a
    regular file within the limit; a FIFO or a device is refused by name, never read."""
    try:
        return open_regular(path, limit, "a file to import")
    except SessionFileError as err:
        raise ImportRefused(path, err.message) from None


def _lines(path: Path, progress: _Progress) -> Iterator[tuple[int, str]]:
    """(line number, text with its line end) for each line, streamed.

    Bytes that are not UTF-8 are kept as lone surrogates ("surrogateescape") so the row they are
    in can be reported with its line rather than failing the whole file.
    """
    with _open(path, progress.limit) as f:
        for number, raw in enumerate(f, 1):
            progress.done += len(raw)
            if progress.done > progress.limit:  # still being written, say: the limit holds
                raise ImportRefused(path, f"grew past the import limit of {size_text(progress.limit)}")
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)  # spreadsheets save one
            yield number, raw.decode("utf-8", "surrogateescape")


def _refuse_unless_text(path: Path, head: bytes, size: int) -> None:
    """Refuse what is plainly not UTF-8 text, judging by the first HEAD_BYTES."""
    if size == 0 or (not head.strip() and size <= len(head)):
        raise ImportRefused(path, "is empty")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportRefused(path, "is UTF-16 text; save it as UTF-8 and import again")
    # A stray NUL or non-UTF-8 byte is a bad row or a stripped control character (a log cut
    # short by a crash often has a run of NULs); NULs in bulk mean binary or UTF-16, and mostly
    # non-UTF-8 lines mean another encoding (or compressed data).
    nuls = head.count(b"\x00")
    if nuls * 10 > len(head):
        raise ImportRefused(
            path, "contains NUL bytes: a binary file, not text", _line_at(head, head.find(b"\x00"))
        )
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    text = decoder.decode(head, final=size <= len(head))
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    bad = [n for n, line in lines if _BAD_BYTES.search(line)]
    if len(bad) * 2 > len(lines):
        raise ImportRefused(path, f"{_NOT_UTF8} (binary, or another encoding)", bad[0])


def _line_at(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


# -- one parser per format -------------------------------------------------------------------
#
# Each yields _Row or RowProblem items, one per row, in file order; it raises ImportRefused when
# the source as a whole is unusable (a CSV without a usable header, a Slack file that is not
# JSON). Cleaning, duplicates and building events happen in _Collector, once for all formats.

_CSV_DELIMITERS = (",", ";", "\t", "|")


def _csv_header(line: str) -> tuple[str, list[str], dict[str, int]] | None:
    """The delimiter, cells and fields of a header line with a time and a text column."""
    for delimiter in _CSV_DELIMITERS:
        cells = _cells(line, delimiter)
        fields = _pick_fields(cells)
        if "time" in fields and "text" in fields:
            return delimiter, cells, fields
    return None


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a header cell over csv's field size limit, say
        return []


def _header_complaint(line: str) -> str:
    cells = max((_cells(line, d) for d in _CSV_DELIMITERS), key=len)
    fields = _pick_fields(cells)
    if "time" in fields:
        missing = "text"
    elif "text" in fields:
        missing = "time"
    else:
        return (
            "the first row is not a header with a time and a text column "
            "(for example: time,text,kind,source,basis)"
        )
    names = ", ".join(_FIELD_NAMES[missing])
    return f"the header row has no {missing} column (name one of: {names})"


def _parse_csv(path: Path, zone: ZoneInfo, progress: _Progress) -> Iterator[_Row | RowProblem]:
    lines = _lines(path, progress)
    for header_line, first in lines:
        if first.strip():
            break
    else:
        raise ImportRefused(path, "is empty")
    header = _csv_header(first)
    if header is None:
        raise ImportRefused(path, _header_complaint(first), header_line)
    delimiter, cells, fields = header
    basis_column = _normal_name(cells[fields["basis"]]) if "basis" in fields else ""
    width = len(cells)
    # strict: a stray quote is a problem row, not a field silently glued to the next one.
    reader = csv.reader((text for _, text in lines), delimiter=delimiter, strict=True)
    while True:
        # csv counts the lines it has consumed; a record starts on the line after the last one.
        start = header_line + reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield RowProblem(start, f"is not valid CSV: {err}")
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank rows are spacing in a spreadsheet, not data
        if any(_BAD_BYTES.search(cell) for cell in record):
            yield RowProblem(start, _NOT_UTF8)
            continue
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            yield RowProblem(
                start,
                f"has {len(record)} cells but the header has {width} "
                "(a delimiter inside text that is not quoted?)",
            )
            continue
        values = {name: record[i] if i < len(record) else "" for name, i in fields.items()}
        try:
            yield _row_from_fields(start, values, basis_column, zone)
        except _BadRow as bad:
            yield RowProblem(start, bad.message)


@lru_cache(maxsize=256)
def _json_fields(keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(field, key) pairs for an object with these keys; cached, since log lines share keys."""
    return tuple((name, keys[i]) for name, i in _pick_fields(keys).items())


def _parse_jsonl(path: Path, zone: ZoneInfo, progress: _Progress) -> Iterator[_Row | RowProblem]:
    for number, line in _lines(path, progress):
        line = line.strip()
        if not line:
            continue
        if _BAD_BYTES.search(line):
            yield RowProblem(number, _NOT_UTF8)
            continue
        try:
            obj = json.loads(line, strict=False)  # raw tabs in strings: cleaned later
        except json.JSONDecodeError as err:
            yield RowProblem(number, f"is not valid JSON: {err.msg} (column {err.colno})")
            continue
        except (ValueError, RecursionError):  # an integer too long, nesting too deep
            yield RowProblem(number, "is not valid JSON")
            continue
        if not isinstance(obj, dict):
            yield RowProblem(number, "is not a JSON object")
            continue
        pairs = _json_fields(tuple(obj))
        values = {name: obj[key] for name, key in pairs}
        basis_column = next((_normal_name(key) for name, key in pairs if name == "basis"), "")
        try:
            yield _row_from_fields(number, values, basis_column, zone)
        except _BadRow as bad:
            yield RowProblem(number, bad.message)


def _syslog_year(month: int, day: int, started_at: datetime, zone: ZoneInfo) -> int:
    """Syslog has no year: the incident's, or the one before when that lands far after it."""
    year = started_at.astimezone(zone).year
    try:
        moment = datetime(year, month, day, tzinfo=zone)
    except ValueError:  # 29 February of a year without one
        return year
    return year - 1 if moment > started_at + _SYSLOG_YEAR_SLACK else year


def _parse_log(
    path: Path, zone: ZoneInfo, started_at: datetime, progress: _Progress
) -> Iterator[_Row | RowProblem]:
    source = imported_text(path.name)  # an ISO log line names no program; the file says where
    pending: _Row | None = None  # the last event, until we know it has no more continuation
    parts: list[str] = []  # its text, line by line
    size = 0
    after_problem = False  # continuation lines of a skipped row are skipped with it
    for number, line in _lines(path, progress):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if _BAD_BYTES.search(line):
            row: _Row | RowProblem | None = RowProblem(number, _NOT_UTF8)
        else:
            row = _log_row(number, line, zone, started_at, source)
        if row is None:  # no timestamp: a continuation line
            if pending is not None:
                if size <= MAX_TEXT_CHARS:  # past it, imported_text cuts the text and adds "…"
                    parts.append(line.strip())  # indentation means nothing once joined
                    size += len(parts[-1]) + 1
            elif not after_problem:
                yield RowProblem(number, "does not start with a time, and no event is before it")
            continue
        if pending is not None:
            pending.text = "\n".join(parts)
            yield pending
        if isinstance(row, RowProblem):
            pending, after_problem = None, True
            yield row
        else:
            pending, parts, size, after_problem = row, [row.text], len(row.text), False
    if pending is not None:
        pending.text = "\n".join(parts)
        yield pending


def _log_row(
    number: int, line: str, zone: ZoneInfo, started_at: datetime, source: str
) -> _Row | RowProblem | None:
    """A log line that starts with a time, as a row; None for a continuation line."""
    if m := _ISO_LINE.match(line):
        try:
            at = _from_parts(m, zone)
        except ValueError:
            return RowProblem(number, f"time {_shown(m[0])} is not a real date and time")
        # "2026-11-23 14:37:01,123 - INFO - msg": the separator is not part of the message.
        return _Row(number, at, line[m.end():].lstrip(" \t-:|"), source=source)
    if m := _SYSLOG_LINE.match(line):
        month = _MONTHS.index(m["mon"]) + 1
        day = int(m["d"])
        year = _syslog_year(month, day, started_at, zone)
        micro = int((m["f"] or "")[:6].ljust(6, "0"))
        try:
            at = datetime(year, month, day, int(m["h"]), int(m["mi"]), int(m["s"]), micro,
                          tzinfo=zone)
        except ValueError:
            shown = _shown(m[0][:15])
            return RowProblem(number, f"time {shown} is not a real date and time in {year}")
        rest = m["rest"] or ""
        if tag := _SYSLOG_TAG.fullmatch(rest):
            return _Row(number, at, tag["msg"], source=tag["prog"])
        return _Row(number, at, rest, source=m["host"])
    return None


# Slack -----------------------------------------------------------------------------------------

# Channel housekeeping, not facts about the incident: skipped and counted as ignored.
_SLACK_NOTICES = frozenset(
    {"channel_join", "channel_leave", "group_join", "group_leave", "bot_add", "bot_remove"}
)
_SLACK_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_SLACK_TS = re.compile(r"\d{1,12}(?:\.\d{1,9})?")
_SLACK_ANGLE = re.compile(r"<([^<>\n]*)>")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)
_IGNORED = object()  # yielded for a channel notice


def _slack_angle(m: re.Match[str]) -> str:
    inner = m[1]
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):  # <@U123>, <@U123|sam>, <#C123|incidents>
        return target[0] + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@oncall>, <!date^...|fallback>
        if label:
            return label if label.startswith("@") or "^" in target else "@" + label
        return "@" + target[1:].split("^")[0]
    if not label or label == target or label == _SCHEME.sub("", target):
        return label or target  # a bare link, or one Slack made from the text as typed
    return f"{label} ({target})"


def _slack_readable(text: str) -> str:
    """Slack's markup as people read it: mentions and links as text, its three escapes undone."""
    text = _SLACK_ANGLE.sub(_slack_angle, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _slack_author(message: dict[str, Any]) -> str:
    profile = message.get("user_profile")
    bot = message.get("bot_profile")
    candidates = [
        profile.get("real_name") if isinstance(profile, dict) else None,
        profile.get("display_name") if isinstance(profile, dict) else None,
        message.get("user_name"),
        message.get("username"),  # bots posting under a name
        bot.get("name") if isinstance(bot, dict) else None,
        message.get("user"),
    ]
    return next((c for c in candidates if isinstance(c, str) and c.strip()), "")


def _slack_text(message: dict[str, Any]) -> str:
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    # Alerting bots often post an empty text and the alert in an attachment.
    attachments = message.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            if isinstance(attachment, dict):
                for key in ("fallback", "text", "title"):
                    value = attachment.get(key)
                    if isinstance(value, str) and value.strip():
                        return value
    return ""


def _slack_time(ts: Any) -> datetime:
    if isinstance(ts, str) and _SLACK_TS.fullmatch(ts.strip()):
        seconds, _, fraction = ts.strip().partition(".")
        micro = int(fraction[:6].ljust(6, "0"))
        try:
            return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=micro)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return _from_epoch(ts, _shown(ts))
    raise _BadRow("has no usable ts (a Slack timestamp like \"1700750221.000200\")")


def _slack_messages(data: bytes, path: Path) -> list[Any]:
    """A day file's messages; ImportRefused (naming the file) when it cannot be read."""
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ImportRefused(path, _NOT_UTF8, _line_at(data, err.start)) from None
    try:
        messages = json.loads(text, strict=False)
    except json.JSONDecodeError as err:
        raise ImportRefused(path, f"is not valid JSON: {err.msg}", err.lineno) from None
    except (ValueError, RecursionError):
        raise ImportRefused(path, "is not valid JSON") from None
    if not isinstance(messages, list):
        raise ImportRefused(path, "is not a Slack day file (a JSON array of messages)")
    return messages


def _slack_day_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if _SLACK_DAY_FILE.fullmatch(p.name) and p.is_file())
    if files:
        return files
    if (folder / "channels.json").exists() or (folder / "users.json").exists():
        raise ImportRefused(
            folder, "is a whole Slack workspace export; import one channel's folder inside it"
        )
    raise ImportRefused(folder, "has no Slack day files (named like 2026-11-23.json)")


def _parse_slack(
    files: list[Path], in_folder: bool, progress: _Progress
) -> Iterator[_Row | RowProblem | object]:
    for file in files:
        where = file.name if in_folder else ""
        with _open(file, progress.limit) as f:
            data = f.read(progress.limit + 1)
        progress.done += len(data)
        if progress.done > progress.limit:
            raise ImportRefused(file, f"grew past the import limit of {size_text(progress.limit)}")
        try:
            messages = _slack_messages(data, file)
        except ImportRefused as refused:
            if not in_folder:
                raise
            # One unreadable day in a folder is one bad row; the other days still count.
            yield RowProblem(refused.line or 1, refused.message, where)
            continue
        for index, message in enumerate(messages, 1):
            if not isinstance(message, dict):
                yield RowProblem(index, "is not a message object", where)
                continue
            if str(message.get("subtype")) in _SLACK_NOTICES:
                yield _IGNORED
                continue
            try:
                at = _slack_time(message.get("ts"))
            except _BadRow as bad:
                yield RowProblem(index, bad.message, where)
                continue
            text = _slack_text(message)
            if not text.strip():
                yield RowProblem(index, "has no text", where)
                continue
            yield _Row(index, at, _slack_readable(text), source=_slack_author(message), where=where)


# -- from rows to events ---------------------------------------------------------------------


def _digest(at: datetime, text: str) -> str:
    """The duplicate key (UTC time to the second, text casefolded, whitespace collapsed) as 16
    hex digits of its SHA-1: what the seen-set holds (100,000 keys in a few MB) and what the
    stable event id is made of. Two different keys share one with odds of about 1 in 2**64."""
    moment = at.astimezone(UTC).replace(microsecond=0)
    words = " ".join(text.casefold().split())
    return hashlib.sha1(f"{moment.isoformat()}\x1f{words}".encode()).hexdigest()[:16]


def _validation_message(err: ValidationError) -> str:
    first = err.errors()[0]
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {message}" if where else message


# Field defaults of TimelineEvent: only fields that differ are passed, so the event's
# fields_set says what the source said (and a smaller set costs ~500 bytes less per event).
_EVENT_DEFAULTS = {"kind": "observation", "basis": "fact", "major": False, "source": ""}


class _Collector:
    """Turns rows into events: cleans, drops duplicates, builds, counts, reports progress."""

    def __init__(
        self,
        fmt: str,
        session: Session,
        progress: Callable[[int, int], None] | None,
        position: _Progress,
    ) -> None:
        self.result = ImportResult(format=fmt)
        self._seen = {_digest(e.at, e.text) for e in session.timeline}
        self._session_ids = frozenset(e.id for e in session.timeline)
        self._progress = progress
        self._position = position

    def take(self, item: _Row | RowProblem | object) -> None:
        result = self.result
        if item is _IGNORED:
            result.ignored += 1
            return
        result.rows += 1
        if isinstance(item, RowProblem):
            result.problems.append(item)
        elif isinstance(item, _Row):
            self._event(item)
        if self._progress is not None and result.rows % PROGRESS_EVERY == 0:
            self._progress(self._position.done, self._position.total)

    def _problem(self, row: _Row, message: str) -> None:
        self.result.problems.append(RowProblem(row.line, message, row.where))

    def _event(self, row: _Row) -> None:
        text = imported_text(row.text)
        if not text:
            if row.text.strip():
                self._problem(row, "has only escape sequences and control characters for text")
            else:
                self._problem(row, "has no text")
            return
        try:
            digest = _digest(row.at, text)
        except (OverflowError, ValueError):  # year 1 with a positive offset, say
            self._problem(row, "time is out of range")
            return
        event_id = "e-imp-" + digest
        # An id already in the session with another key was imported before and edited since:
        # the edit wins over the original row.
        if digest in self._seen or event_id in self._session_ids:
            self.result.duplicates += 1
            return
        fields: dict[str, Any] = {"id": event_id, "at": row.at, "text": text}
        optional = {"kind": row.kind, "basis": row.basis, "major": row.major,
                    "source": imported_text(row.source)}
        fields.update((k, v) for k, v in optional.items() if v != _EVENT_DEFAULTS[k])
        try:
            event = TimelineEvent(**fields)
        except ValidationError as err:
            self._problem(row, _validation_message(err))
            return
        self._seen.add(digest)
        self.result.events.append(event)


# -- the entry points ------------------------------------------------------------------------

_SLACK_START = re.compile(r"\[\s*(?:\{|\]|\Z)")
_BY_SUFFIX = {
    ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "slack",
    ".log": "log",
}


def detect_format(path: Path, head: bytes) -> str:
    """Guess a source's format from its first bytes, then its name; "log" when nothing fits.

    A folder, or a JSON array, is a Slack export; a first line that is a JSON object means JSON
    Lines; a header row with a time and a text column means CSV.
    """
    if path.is_dir():
        return "slack"
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    if _SLACK_START.match(text.lstrip()):
        return "slack"
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        return "jsonl"
    if first and _csv_header(first) is not None:
        return "csv"
    return _BY_SUFFIX.get(path.suffix.lower(), "log")


def import_timeline(
    path: Path,
    session: Session,
    *,
    fmt: str | None = None,
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Read a timeline source into new events for ``session``, which is never modified.

    ``fmt`` is one of FORMATS, or None to guess (``detect_format``). ``progress(done, total)`` is
    called every PROGRESS_EVERY rows and once at the end, in bytes read of the source's size.
    Raises ImportRefused, and nothing else, when the source is unusable: missing, not text,
    larger than ``limit_bytes``, an unknown format, or no row that could be used.
    """
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise ImportRefused(path, f"unknown format {fmt!r} (use one of: {', '.join(FORMATS)})")
    zone = session.zone()
    started_at = session.incident.started_at
    try:
        is_folder = path.is_dir()
    except OSError as err:  # a name too long, a loop of links
        raise ImportRefused(path, (err.strerror or str(err)).lower()) from None
    try:
        if is_folder:
            if fmt not in (None, "slack"):
                raise ImportRefused(path, f"is a folder; only a Slack export can be, not {fmt}")
            fmt = "slack"
            files = _slack_day_files(path)
            size = sum(f.stat().st_size for f in files)
        elif not path.exists() and not path.is_symlink():
            raise ImportRefused(path, "no such file or folder")
        else:
            files = [path]
            with _open(path, None) as f:  # the limit is checked below, in the import's words
                size = os.fstat(f.fileno()).st_size
                head = f.read(HEAD_BYTES)
        if size > limit_bytes:
            raise ImportRefused(
                path, f"is {size_text(size)}, over the import limit of {size_text(limit_bytes)}"
            )
        if not is_folder:
            _refuse_unless_text(path, head, size)
            fmt = fmt or detect_format(path, head)
        position = _Progress(size, limit_bytes)
        rows: Iterator[Any]
        if fmt == "csv":
            rows = _parse_csv(path, zone, position)
        elif fmt == "jsonl":
            rows = _parse_jsonl(path, zone, position)
        elif fmt == "log":
            rows = _parse_log(path, zone, started_at, position)
        else:
            rows = _parse_slack(files, is_folder, position)
        collector = _Collector(fmt, session, progress, position)
        for item in rows:
            collector.take(item)
    except OSError as err:
        raise ImportRefused(path, (err.strerror or str(err)).lower()) from None
    result = collector.result
    if not result.events and not result.duplicates:
        raise _nothing_imported(path, result)
    result.events.sort(key=attrgetter("at", "id"))
    if progress is not None:
        progress(position.total, position.total)
    return result


def _nothing_imported(path: Path, result: ImportResult) -> ImportRefused:
    if not result.problems:
        what = "message" if result.format == "slack" else "row"
        return ImportRefused(path, f"nothing was imported: there is no {what} to import")
    first = result.problems[0]
    where = f"{first.where}, message {first.line}" if first.where else f"line {first.line}"
    return ImportRefused(
        path,
        f"nothing was imported: all {counted(result.rows, 'row')} are bad; "
        f"the first, {where}: {first.message}",
        None if first.where else first.line,
        problems=result.problems,
    )
