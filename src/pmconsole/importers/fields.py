"""The fields a CSV column or a JSON key can carry (time, text, kind, source, basis, major),
found by name, and one row of such fields made a Row. CSV and JSON Lines share them.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
import textwrap
from datetime import tzinfo
from typing import Any, Sequence

from pmconsole.domain.model import EVENT_KINDS
from pmconsole.importers.rows import BadRow, Row
from pmconsole.importers.times import parse_time

# Column (CSV) or key (JSON) names, compared after normal_name; first match wins.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    # The last ones as tools name them: createdAt, created_on, eventTime, startsAt,
    # lastTimestamp, journald's __REALTIME_TIMESTAMP.
    "time": ("time", "timestamp", "at", "date", "datetime", "when", "ts", "createdat",
             "createdon", "eventtime", "startsat", "lasttimestamp", "realtimetimestamp"),
    "text": ("text", "event", "message", "description", "summary", "what", "msg", "log",
             "body", "title"),
    "kind": ("kind", "type", "category"),
    "source": ("source", "author", "who", "system", "from", "service", "app", "logger"),
    "basis": ("basis", "factinterpretation", "factorinterpretation", "fi", "fact", "facts",
              "interpretation"),
    "major": ("major", "key", "important", "milestone"),
}
KINDS: dict[str, str] = {k: k for k in EVENT_KINDS} | {
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
    words = [word for word, meant in KINDS.items() if meant == kind and word != kind]
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
        "here are ignored. JSON objects (documents or JSON Lines) use the same names as keys."
    )
    lines = [*textwrap.wrap(intro, width), ""]
    for name, names in FIELD_NAMES.items():
        lines += textwrap.wrap(", ".join(names), width, initial_indent=f"  {name:<8}",
                               subsequent_indent=" " * 10)
        lines += textwrap.wrap(what[name], width, initial_indent=" " * 10,
                               subsequent_indent=" " * 10)
    return "\n".join(lines)


def normal_name(name: str) -> str:
    # "Time (UTC)" -> "time", "@timestamp" -> "timestamp", "Fact/Interpretation" -> ...
    return re.sub(r"\(.*?\)|[^0-9a-z]", "", name.casefold())


def pick_fields(names: Sequence[str]) -> dict[str, int]:
    """Which of the given column names carries each field, as field -> position."""
    normal = [normal_name(n) for n in names]
    picked: dict[str, int] = {}
    for name, candidates in FIELD_NAMES.items():
        for candidate in candidates:
            if candidate in normal and normal.index(candidate) not in picked.values():
                picked[name] = normal.index(candidate)
                break
    # Spreadsheets often split "Date" and "Time"; the date is used when a time has none.
    if "date" in normal and normal.index("date") not in picked.values():
        picked["date"] = normal.index("date")
    return picked


def scalar(value: Any, name: str, *, required: bool = False) -> str:
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
        raise BadRow(f"{name} is a JSON {shape}, not text")
    return ""


def _basis(value: str, column: str) -> str:
    word = value.strip().casefold()
    if not word:
        return "fact"  # the model's default, as for a source without a basis column
    if column in ("fact", "facts", "interpretation") and (word in _YES or word in _NO):
        # A yes/no column named after one side of the distinction.
        return "fact" if (word in _YES) == (column != "interpretation") else "interpretation"
    return "fact" if word in _FACT_WORDS else "interpretation"


def row_from_fields(line: int, values: dict[str, Any], basis_column: str, zone: tzinfo) -> Row:
    """One CSV row or JSON object, as canonical field -> raw value, to a Row."""
    at = parse_time(values.get("time"), zone, values.get("date"))
    text = scalar(values.get("text"), "text", required=True)
    if not text.strip():
        raise BadRow("has no text")
    return Row(
        line,
        at,
        text,
        kind=KINDS.get(scalar(values.get("kind"), "kind").strip().casefold(), "observation"),
        basis=_basis(scalar(values.get("basis"), "basis"), basis_column),
        source=scalar(values.get("source"), "source"),
        major=scalar(values.get("major"), "major").strip().casefold() in _YES,
    )
