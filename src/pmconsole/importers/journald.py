"""systemd's journal, as ``journalctl`` prints it: ``-o json`` (one JSON object a line) and
``-o short-iso`` / ``-o short-iso-precise`` (``2026-11-23T14:37:01+0100 host prog[pid]: msg``,
with markers such as ``-- Boot 3f2a… --`` or ``-- Reboot --`` between boots).

https://www.freedesktop.org/software/systemd/man/latest/journalctl.html (output modes) and
https://www.freedesktop.org/software/systemd/man/latest/systemd.journal-fields.html — a JSON
entry has ``__REALTIME_TIMESTAMP`` (microseconds since the epoch, as a string), ``MESSAGE``
(a string, or an array of bytes when it is not UTF-8), ``_HOSTNAME``, ``SYSLOG_IDENTIFIER``,
``_SYSTEMD_UNIT``, ``_COMM`` and ``PRIORITY`` (0 emerg … 7 debug).

Each entry's host and program become its source, not part of its text; a boot marker is an event
of its own, at the time of the first entry after it (the journal writes no time on it).
Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import MAX_TEXT_CHARS, BadRow, Row, RowProblem, shown
from pmconsole.importers.times import iso_moment

_LINE = re.compile(
    r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) "
    r"(?P<host>\S+) (?P<prog>[^\s\[\]:]+)(?:\[\d+\])?: ?(?P<msg>.*)"
)
_BOOT = re.compile(r"-- (?:Reboot|Boot [0-9a-f]+) --")
_HEADER = re.compile(r"-- (?:Logs begin at|Journal begins at|Journal started|No entries|"
                     r"Logs end at|Journal ends at)\b.*")


def looks_like_journald(head: str, first: str) -> bool:
    if has_keys(head, "__REALTIME_TIMESTAMP"):
        return True
    if _HEADER.fullmatch(first.strip()) or _BOOT.fullmatch(first.strip()):
        return True
    m = _LINE.match(first)
    return m is not None and ":" not in m["ts"][-5:]  # journalctl writes +0100, not +01:00


def _message(entry: dict[str, Any]) -> str:
    message = entry.get("MESSAGE")
    if isinstance(message, list) and all(isinstance(b, int) and 0 <= b < 256 for b in message):
        return bytes(message).decode("utf-8", "replace")
    return text_at(entry, "MESSAGE")


def _json_rows(number: int, entry: dict[str, Any], source: Source) -> Iterable[Row]:
    at = time_at(entry, source, "__REALTIME_TIMESTAMP", "_SOURCE_REALTIME_TIMESTAMP")
    text = _message(entry)
    if not text.strip():
        raise BadRow("has no MESSAGE")
    host = text_at(entry, "_HOSTNAME")
    prog = text_at(entry, "SYSLOG_IDENTIFIER", "_SYSTEMD_UNIT", "_COMM")
    priority = text_at(entry, "PRIORITY")
    where = " ".join(p for p in (host, prog) if p)
    return [Row(number, at, text,
                kind="alert" if priority in ("0", "1", "2") else "observation",
                source=f"journald: {where}" if where else "journald")]


def parse_journald(source: Source) -> Iterator[Row | RowProblem | object]:
    first = next((line for _, line in lines(source.path, source.progress) if line.strip()), "")
    source.progress.done = 0
    if first.lstrip().startswith("{"):
        yield from parse_records(source, (), _json_rows)
    else:
        yield from _text_rows(source)


def _text_rows(source: Source) -> Iterator[Row | RowProblem]:
    pending: Row | None = None
    boots: list[int] = []  # lines of boot markers waiting for the next entry's time
    for number, line in lines(source.path, source.progress):
        line = line.rstrip("\r\n")
        if not line.strip() or _HEADER.fullmatch(line.strip()):
            continue
        if _BOOT.fullmatch(line.strip()):
            boots.append(number)
            continue
        if BAD_BYTES.search(line):
            row: Row | RowProblem | None = RowProblem(number, NOT_UTF8)
        elif line[:1].isspace():
            row = None
        else:
            row = _text_row(number, line, source)
        if row is None:  # a message's further lines, indented by journalctl
            if pending is not None and len(pending.text) <= MAX_TEXT_CHARS:
                pending.text += "\n" + line.strip()
            continue
        if pending is not None:
            yield pending
            pending = None
        if isinstance(row, RowProblem):
            yield row
            continue
        for boot in boots:
            host = " ".join(row.source.split(" ")[:2])  # "journald: web-1", without the program
            yield Row(boot, row.at, "Reboot (the journal's boot marker; the time is that of "
                      "the first entry after it)", source=host, major=True)
        boots.clear()
        pending = row
    if pending is not None:
        yield pending
    for boot in boots:
        yield RowProblem(boot, "is a boot marker with no entry after it to take its time from")


def _text_row(number: int, line: str, source: Source) -> Row | RowProblem:
    m = _LINE.match(line)
    if m is None:
        return RowProblem(number, "is not a journalctl short-iso line (time host program: message)")
    at = iso_moment(m["ts"], source.zone)
    if at is None:
        return RowProblem(number, f"time {shown(m['ts'])} is not a real date and time")
    return Row(number, at, m["msg"], source=f"journald: {m['host']} {m['prog']}")
