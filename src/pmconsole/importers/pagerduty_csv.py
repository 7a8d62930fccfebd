"""PagerDuty's incidents CSV: what the web app's Incidents page ("Download CSV") and the
Analytics incidents report download, one incident a row.

Its columns are the incident's fields as PagerDuty names them: ``incident_number``,
``description`` (the title), ``service_name``, ``urgency``, ``created_on`` (when it was
triggered), ``resolved_on`` (empty while it is open) and ``seconds_to_first_ack`` (empty when
nobody acknowledged it), besides ids, the escalation policy and other measures this import does
not need. The download is described in PagerDuty's knowledge base
(https://support.pagerduty.com/main/docs/incidents, exporting incidents as CSV; no copy of that
page could be read while this was written, so the column names are the ones the issue and the
analytics exports use); what each field means is the incident's reference in the REST API v2
(https://developer.pagerduty.com/api-reference/, "Incidents": incident_number, created_at,
urgency, service). The sample tests/data/import/pagerduty-incidents.csv is shaped so. Told from
any other CSV by a header with both ``incident_number`` and ``created_on``.

Each incident gives up to three events: triggered (an alert, major), acknowledged (an action, at
``created_on`` plus ``seconds_to_first_ack``) and resolved (an action, major), each with the
service as the source.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import csv
import math
from datetime import timedelta, tzinfo
from typing import Iterator

from pmconsole.importers.csv_rows import csv_records, first_line, header_cells
from pmconsole.importers.fields import normal_name
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import BadRow, ImportRefused, Row, RowProblem, shown
from pmconsole.importers.times import parse_time, zone_in_header

_REQUIRED = ("incidentnumber", "createdon")
_AN_ACK_AT_MOST = timedelta(days=366)  # a longer wait to acknowledge is a broken cell


def _names(line: str) -> list[str]:
    return [normal_name(cell) for cell in header_cells(line, ",")]


def looks_like_pagerduty_csv(first: str) -> bool:
    """Detection: the header names an incident number and the time it was created."""
    names = _names(first)
    return all(name in names for name in _REQUIRED)


def _seconds(value: str) -> timedelta | None:
    text = value.strip()
    if not text:
        return None  # nobody acknowledged it
    try:
        seconds = float(text)
    except ValueError:
        raise BadRow(f"seconds_to_first_ack {shown(text)} is not a number of seconds") from None
    if not math.isfinite(seconds) or not 0 <= seconds <= _AN_ACK_AT_MOST.total_seconds():
        raise BadRow(f"seconds_to_first_ack {shown(text)} is not a plausible wait")
    return timedelta(seconds=seconds)


def _rows(
    line: int, cell: dict[str, str], zones: dict[str, tzinfo | None], zone: tzinfo
) -> list[Row]:
    number = cell.get("incidentnumber", "").strip()
    title = cell.get("description", "").strip() or cell.get("title", "").strip()
    service = cell.get("servicename", "").strip()
    urgency = cell.get("urgency", "").strip()
    try:
        created = parse_time(cell.get("createdon", ""), zones.get("createdon") or zone)
    except BadRow as bad:
        raise BadRow(f"created_on: {bad.message}") from None
    resolved = None
    if cell.get("resolvedon", "").strip():
        try:
            resolved = parse_time(cell["resolvedon"], zones.get("resolvedon") or zone)
        except BadRow as bad:
            raise BadRow(f"resolved_on: {bad.message}") from None
    wait = _seconds(cell.get("secondstofirstack", ""))
    name = f"#{number}" if number else "Incident"
    said = f" ({urgency} urgency)" if urgency else ""
    source = f"PagerDuty: {service}" if service else "PagerDuty"
    rows = [Row(line, created, f"{name} triggered{said}: {title}" if title
                else f"{name} triggered{said}", kind="alert", source=source, major=True)]
    if wait is not None:
        try:
            acknowledged = created + wait
        except OverflowError:
            raise BadRow("created_on and seconds_to_first_ack are past any date") from None
        rows.append(Row(line, acknowledged, f"{name} acknowledged", kind="action",
                        source=source))
    if resolved is not None:
        rows.append(Row(line, resolved, f"{name} resolved", kind="action", source=source,
                        major=True))
    return rows


def parse_pagerduty_csv(source: Source) -> Iterator[Row | RowProblem]:
    path = source.path
    numbered, header_line, first = first_line(source)
    try:
        header = next(csv.reader([first]), [])
    except csv.Error as err:
        raise ImportRefused(path, f"the header row is not valid CSV: {err}", header_line) from None
    names = [normal_name(cell) for cell in header]
    missing = [n for n, wanted in zip(("incident_number", "created_on"), _REQUIRED)
               if wanted not in names]
    if missing:
        raise ImportRefused(
            path, f"is not a PagerDuty incidents CSV: its header has no {' or '.join(missing)}",
            header_line,
        )
    # A column's header may name the zone of its times, as "created_on (UTC)" would.
    zones = {name: zone_in_header(cell) for name, cell in zip(names, header)}
    for start, record in csv_records(numbered, header_line, ",", len(header)):
        if isinstance(record, RowProblem):
            yield record
            continue
        cell: dict[str, str] = {}
        for name, value in zip(names, record):
            cell.setdefault(name, value)  # the first of two columns with one name
        try:
            yield from _rows(start, cell, zones, source.zone)
        except BadRow as bad:
            yield RowProblem(start, bad.message)
