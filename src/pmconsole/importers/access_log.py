"""Web server access logs in the combined format nginx and Apache httpd share:
``203.0.113.7 - frank [23/Nov/2026:14:51:02 +0100] "GET /checkout HTTP/1.1" 503 162 "-" "curl/8.5"``.

https://nginx.org/en/docs/http/ngx_http_log_module.html#log_format (``combined``) and
https://httpd.apache.org/docs/current/logs.html#combined — also the common format, which stops
after the size. Each request is an observation at its time (which carries its zone), its text
the request line and the status; the source names the client.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator

from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import Row, RowProblem, shown
from pmconsole.domain.model import MONTHS

_LINE = re.compile(
    r'(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<d>\d{2})/(?P<mon>[A-Z][a-z]{2})/(?P<y>\d{4}):'
    r'(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2}) (?P<zone>[+-]\d{4})\] '
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<size>\d+|-)'
    r'(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?'
)


def looks_like_access_log(first: str) -> bool:
    return _LINE.match(first) is not None


def parse_access_log(source: Source) -> Iterator[Row | RowProblem]:
    for number, line in lines(source.path, source.progress):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if BAD_BYTES.search(line):
            yield RowProblem(number, NOT_UTF8)
            continue
        m = _LINE.match(line)
        if m is None or m["mon"] not in MONTHS:
            yield RowProblem(number, "is not a combined or common access log line")
            continue
        stamp = f"{m['y']}-{MONTHS.index(m['mon']) + 1:02d}-{m['d']} {m['h']}:{m['mi']}:{m['s']} {m['zone']}"
        try:
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")
        except ValueError:
            yield RowProblem(number, f"time {shown(stamp)} is not a real date and time")
            continue
        text = f"{m['request'] or '(no request line)'} → {m['status']}"
        user = m["user"] if m["user"] != "-" else ""
        client = m["client"] + (f" ({user})" if user else "")
        yield Row(number, at, text, source=f"access log: {client}")
