"""Opsgenie: alert logs, as the Alert API's ``GET /v2/alerts/{id}/logs`` returns them
(``{"data": [{"offset", "log", "type", "owner", "createdAt"}, …], "paging", "took",
"requestId"}``), and an incident's timeline, as ``GET /v2/incident-timelines/{id}/entries``
returns it (``{"data": {"entries": [{"id", "group", "type", "eventTime", "hidden", "actor",
"description"}, …]}}``).

https://docs.opsgenie.com/docs/alert-api-continued#list-alert-logs — ``log`` is the line as the
alert's activity log shows it ("Alert acknowledged via Web", "Alert created via API"),
``owner`` who or what did it, ``createdAt`` ISO 8601 in UTC.
https://docs.opsgenie.com/docs/incident-timeline-api — an entry's ``type`` names what happened
(``IncidentCreated``, ``CustomUserEntry`` for a note), ``actor.name`` who, ``description`` what
(its ``content``, or its ``name``).

Created is an alert; acknowledged, closed, resolved, assigned or escalated by someone an action;
the rest (notifications, notes) an observation.
Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import BadRow, Row, RowProblem

_ACTION = re.compile(r"\b(acknowledged|closed|assigned|escalated|snoozed|unacknowledged|"
                     r"took ownership|executed)\b", re.IGNORECASE)
_CREATED = re.compile(r"\b(created|reopened)\b", re.IGNORECASE)
# An incident timeline's entry types, with their words split: "Incident Resolved", "Alert Acked".
_TIMELINE_ACTION = re.compile(r"\b(Resolved|Acked)\b")


def looks_like_opsgenie(head: str) -> bool:
    return has_keys(head, "log", "owner", "createdAt") or has_keys(
        head, "entries", "eventTime", "actor", "hidden")


def _rows(number: int, entry: dict[str, Any], source: Source) -> Iterable[Row]:
    timeline = entry.get("data")
    if isinstance(timeline, dict) and isinstance(timeline.get("entries"), list):
        return [row for item in timeline["entries"]
                for row in _timeline_rows(number, item, source)]
    if "eventTime" in entry:
        return _timeline_rows(number, entry, source)
    at = time_at(entry, source, "createdAt")
    text = text_at(entry, "log")
    if not text:
        raise BadRow("has no log text")
    return [_row(number, at, text, _kind(text, note=text_at(entry, "type") == "note", also=None),
                 text_at(entry, "owner"))]


def _timeline_rows(number: int, entry: Any, source: Source) -> list[Row]:
    if not isinstance(entry, dict):
        raise BadRow("has a timeline entry that is not a JSON object")
    at = time_at(entry, source, "eventTime")
    what = text_at(entry, "type")
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", what)  # "IncidentResolved": "Incident Resolved"
    text = text_at(entry, "description.content", "description.name") or words
    if not text:
        raise BadRow("has no description or type")
    return [_row(number, at, text, _kind(words, note=what == "CustomUserEntry",
                                         also=_TIMELINE_ACTION),
                 text_at(entry, "actor.name"))]


def _kind(words: str, *, note: bool, also: re.Pattern[str] | None) -> str:
    """Created (or reopened) is an alert; acknowledged, closed, resolved and the like by someone
    an action (and what ``also`` matches); a note and the rest an observation."""
    if note:
        return "observation"
    if _CREATED.search(words):
        return "alert"
    if _ACTION.search(words) or (also is not None and also.search(words)):
        return "action"
    return "observation"


def _row(number: int, at, text: str, kind: str, who: str) -> Row:
    return Row(number, at, text, kind=kind, source=f"Opsgenie: {who}" if who else "Opsgenie")


def parse_opsgenie(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("data",), _rows)
