"""Markdown timelines, as post-mortem documents and status pages write them: bullets
(``- 13:42 UTC — Paged the on-call``, ``* **2026-11-23 13:42** Failover started``) or a table
(``| Time (UTC) | Event |``, its columns named as CSV columns are).

https://spec.commonmark.org/0.31.2/#list-items and https://github.github.com/gfm/#tables-extension-
— a time of day without a date takes the date of the nearest heading above it that has one
(``## 2026-11-23``, ``## November 23, 2026``, ``## 23 Nov 2026``), else ``--date``, else the
day the incident started (in its zone). A zone after the time (UTC, Z, +01:00) or in the time
column's header (``Time (UTC)``) is honoured; without one the time is read in the incident's zone
and the summary says so. Lines that are neither a heading nor a timed bullet or row are prose
and are not rows.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Iterator

from pmconsole.domain.model import MONTHS
from pmconsole.importers.fields import KINDS, normal_name, pick_fields
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import BadRow, Row, RowProblem
from pmconsole.importers.times import ZONE, parse_time, zone_in_header

_TIME = (r"(?P<date>\d{4}-\d{2}-\d{2}[ T])?(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)"
         rf"(?:\s?{ZONE})?")
_BULLET = re.compile(
    rf"\s*(?:[-*+]|\d+[.)])\s+(?:\*\*|__|`)?{_TIME}(?:\*\*|__|`)?\s*(?:[—–:|-]+\s*)?(?P<text>.*)"
)
_HEADING = re.compile(r"\s{0,3}#{1,6}\s+(?P<title>.*)")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH = r"(?P<mon>" + "|".join(MONTHS) + r")[a-z]*\.?"
_WORD_DATES = (
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(?P<y>\d{{4}})\b"),
)
_SEPARATOR = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*")


def looks_like_markdown(head: str, first: str) -> bool:
    if _HEADING.fullmatch(first.rstrip("\r\n")):
        return True
    if _BULLET.fullmatch(first.rstrip("\r\n")):
        return True
    rows = [line for line in head.splitlines() if line.strip()][:2]
    return len(rows) == 2 and rows[0].lstrip().startswith("|") and bool(
        _SEPARATOR.fullmatch(rows[1]))


def _heading_date(title: str) -> str:
    if m := _ISO_DATE.search(title):
        return m[0]
    for pattern in _WORD_DATES:
        if m := pattern.search(title):
            month = MONTHS.index(m["mon"][:3]) + 1
            return f"{m['y']}-{month:02d}-{int(m['d']):02d}"
    return ""


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def parse_markdown(source: Source) -> Iterator[Row | RowProblem]:
    day = source.date or source.started_at.astimezone(source.zone).date().isoformat()
    name = f"timeline {source.path.name}"
    table: tuple[dict[str, int], tzinfo] | None = None  # the columns, and the times' zone
    previous = ""
    for number, raw in lines(source.path, source.progress):
        line = raw.rstrip("\r\n")
        if BAD_BYTES.search(line):
            yield RowProblem(number, NOT_UTF8)
            continue
        if heading := _HEADING.fullmatch(line):
            day = _heading_date(heading["title"]) or day
            table, previous = None, line
            continue
        if line.lstrip().startswith("|"):
            if _SEPARATOR.fullmatch(line) and previous.lstrip().startswith("|"):
                header = _cells(previous)
                fields = pick_fields(header)
                if "time" in fields and "text" in fields:
                    table = (fields, zone_in_header(header[fields["time"]]) or source.zone)
            elif table is not None:
                yield _table_row(number, _cells(line), table, day, name)
            previous = line
            continue
        table, previous = None, line
        if m := _BULLET.fullmatch(line):
            when = (m["date"] or f"{day} ") + m["clock"] + (f" {m['zone']}" if m["zone"] else "")
            try:
                at = parse_time(when.replace("T", " ", 1) if m["date"] else when, source.zone)
            except BadRow as bad:
                yield RowProblem(number, bad.message)
                continue
            text = m["text"].strip()
            if not text:
                yield RowProblem(number, "has a time but no text")
                continue
            yield Row(number, at, text, source=name)


def _table_row(
    number: int, cells: list[str], table: tuple[dict[str, int], tzinfo], day: str, name: str,
) -> Row | RowProblem:
    fields, zone = table
    value = {f: cells[i] if i < len(cells) else "" for f, i in fields.items()}
    when = value["time"].strip("*_` ")
    if re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", when):
        when = f"{value.get('date', '').strip() or day} {when}"
    try:
        at = parse_time(when, zone)
    except BadRow as bad:
        return RowProblem(number, bad.message)
    text = value["text"]
    if not text:
        return RowProblem(number, "has a time but no text")
    kind_word = normal_name(value.get("kind", ""))
    return Row(number, at, text, kind=KINDS.get(kind_word, "observation"),
               source=value.get("source") or name)
