"""Plain log files: a line that starts with a time starts an event (ISO 8601 / RFC 3339, Python
logging's "2026-11-23 14:37:01,123", Go's "2026/11/23 14:37:01", maybe in brackets, or a BSD
syslog "Nov 23 14:37:01 host prog[pid]: msg"); the lines after it without a time are its
continuation (a stack trace, say) and join its text.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator
from zoneinfo import ZoneInfo

from pmconsole.domain.model import MONTHS
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import MAX_TEXT_CHARS, Row, RowProblem, imported_text, shown
from pmconsole.importers.times import ISO, from_parts, syslog_year

# At the start of a log line, maybe in brackets; it must end there (not run into a word).
_ISO_LINE = re.compile(rf"\[?{ISO}(?!\w|[:.,]\d)\]?")
_SYSLOG_LINE = re.compile(
    rf"(?P<mon>{'|'.join(MONTHS)}) +(?P<d>\d{{1,2}}) (?P<h>\d{{2}}):(?P<mi>\d{{2}}):(?P<s>\d{{2}})"
    r"(?:\.(?P<f>\d+))? +(?P<host>\S+)(?: +(?P<rest>.*))?"
)
NO_TIME_AT_START = "does not start with a time, and no event is before it"
_SYSLOG_TAG = re.compile(r"(?P<prog>[^\s:\[\]]+)(?:\[\d+\])?: ?(?P<msg>.*)")


def parse_log(source: Source) -> Iterator[Row | RowProblem]:
    zone, started_at = source.zone, source.started_at
    name = imported_text(source.path.name)  # an ISO log line names no program; the file says where
    pending: Row | None = None  # the last event, until we know it has no more continuation
    parts: list[str] = []  # its text, line by line
    size = 0
    after_problem = False  # continuation lines of a skipped row are skipped with it
    for number, line in lines(source.path, source.progress):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if BAD_BYTES.search(line):
            row: Row | RowProblem | None = RowProblem(number, NOT_UTF8)
        else:
            row = _log_row(number, line, zone, started_at, name)
        if row is None:  # no timestamp: a continuation line
            if pending is not None:
                if size <= MAX_TEXT_CHARS:  # past it, imported_text cuts the text and adds "…"
                    parts.append(line.strip())  # indentation means nothing once joined
                    size += len(parts[-1]) + 1
            elif not after_problem:
                yield RowProblem(number, NO_TIME_AT_START)
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
) -> Row | RowProblem | None:
    """A log line that starts with a time, as a row; None for a continuation line."""
    if m := _ISO_LINE.match(line):
        try:
            at = from_parts(m, zone)
        except ValueError:
            return RowProblem(number, f"time {shown(m[0])} is not a real date and time")
        # "2026-11-23 14:37:01,123 - INFO - msg": the separator is not part of the message.
        return Row(number, at, line[m.end():].lstrip(" \t-:|"), source=source)
    if m := _SYSLOG_LINE.match(line):
        month = MONTHS.index(m["mon"]) + 1
        day = int(m["d"])
        year = syslog_year(month, day, started_at, zone)
        micro = int((m["f"] or "")[:6].ljust(6, "0"))
        try:
            at = datetime(year, month, day, int(m["h"]), int(m["mi"]), int(m["s"]), micro,
                          tzinfo=zone)
        except ValueError:
            return RowProblem(number, f"time {shown(m[0][:15])} is not a real date and time in {year}")
        rest = m["rest"] or ""
        if tag := _SYSLOG_TAG.fullmatch(rest):
            return Row(number, at, tag["msg"], source=tag["prog"])
        return Row(number, at, rest, source=m["host"])
    return None
