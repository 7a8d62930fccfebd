"""Syslog as sent on the wire or written by a collector that keeps the priority: RFC 3164 (BSD)
lines with their ``<PRI>`` (``<34>Oct 11 22:14:15 mymachine su: 'su root' failed``) and RFC 5424
lines (``<165>1 2003-10-11T22:14:15.003Z mymachine evntslog - ID47 [sd] message``).

https://www.rfc-editor.org/rfc/rfc3164#section-4.1 and
https://www.rfc-editor.org/rfc/rfc5424#section-6 — PRI is facility × 8 + severity; severity 0
(emergency) to 2 (critical) is an alert here, the rest observations. RFC 5424 nil values are
"-"; its structured data (``[id key="value" …]``) is left out of the text. An RFC 3164 time has
no year and no zone: the year is the incident's, and the zone the one times without one are read
in (the summary says which). Lines without a PRI (as /var/log/syslog keeps them) are the log
format's.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator

from pmconsole.domain.model import MONTHS
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import Row, RowProblem, shown
from pmconsole.importers.times import iso_moment, syslog_year

_PRI = re.compile(r"<(?P<pri>\d{1,3})>")
_RFC5424 = re.compile(
    r"1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\\"]|\\.|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (?P<msg>.*))?"
)
_RFC3164 = re.compile(
    rf"(?P<mon>{'|'.join(MONTHS)}) +(?P<d>\d{{1,2}}) (?P<h>\d{{2}}):(?P<mi>\d{{2}}):(?P<s>\d{{2}}) "
    r"(?P<host>\S+) (?:(?P<tag>[^\s:\[\]]+)(?:\[\d+\])?: ?)?(?P<msg>.*)"
)


def looks_like_syslog(first: str) -> bool:
    return _PRI.match(first) is not None and bool(
        _RFC5424.match(first, _PRI.match(first).end()) or _RFC3164.match(first, _PRI.match(first).end())
    )


def parse_syslog(source: Source) -> Iterator[Row | RowProblem]:
    for number, line in lines(source.path, source.progress):
        line = line.rstrip("\r\n").removeprefix("\ufeff")
        if not line.strip():
            continue
        if BAD_BYTES.search(line):
            yield RowProblem(number, NOT_UTF8)
            continue
        yield _row(number, line, source)


def _row(number: int, line: str, source: Source) -> Row | RowProblem:
    pri = _PRI.match(line)
    if pri is None or int(pri["pri"]) > 191:
        return RowProblem(number, "does not start with a syslog priority like <34>")
    severity = int(pri["pri"]) % 8
    kind = "alert" if severity <= 2 else "observation"
    if m := _RFC5424.match(line, pri.end()):
        at = iso_moment(m["ts"], source.zone)
        if at is None:
            return RowProblem(number, f"time {shown(m['ts'])} is not an RFC 5424 time")
        msg = (m["msg"] or "").removeprefix("\ufeff")  # RFC 5424 marks UTF-8 with a BOM
        where = " ".join(p for p in (m["host"], m["app"]) if p != "-")
        return Row(number, at, msg or m["msgid"].replace("-", ""), kind=kind,
                   source=f"syslog: {where}" if where else "syslog")
    if m := _RFC3164.match(line, pri.end()):
        month, day = MONTHS.index(m["mon"]) + 1, int(m["d"])
        year = syslog_year(month, day, source.started_at, source.zone)
        try:
            at = datetime(year, month, day, int(m["h"]), int(m["mi"]), int(m["s"]),
                          tzinfo=source.zone)
        except ValueError:
            return RowProblem(number, f"time {shown(line[pri.end():pri.end() + 15])} is not a "
                              f"real date and time in {year}")
        where = " ".join(p for p in (m["host"], m["tag"]) if p)
        return Row(number, at, m["msg"], kind=kind, source=f"syslog: {where}")
    return RowProblem(number, "is neither an RFC 3164 nor an RFC 5424 syslog message")
