"""Opsgenie alert logs, as the Alert API's ``GET /v2/alerts/{id}/logs`` returns them:
``{"data": [{"offset", "log", "type", "owner", "createdAt"}, …], "paging", "took", "requestId"}``.

https://docs.opsgenie.com/docs/alert-api-continued#list-alert-logs — ``log`` is the line as the
alert's activity log shows it ("Alert acknowledged via Web", "Alert created via API"),
``owner`` who or what did it, ``createdAt`` ISO 8601 in UTC.

Created is an alert; acknowledged, closed, assigned or escalated by someone an action; the rest
(notifications, notes) an observation.
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


def looks_like_opsgenie(head: str) -> bool:
    return has_keys(head, "log", "owner", "createdAt")


def _rows(number: int, entry: dict[str, Any], source: Source) -> Iterable[Row]:
    at = time_at(entry, source, "createdAt")
    text = text_at(entry, "log")
    if not text:
        raise BadRow("has no log text")
    if text_at(entry, "type") == "note":
        kind = "observation"
    elif _CREATED.search(text):
        kind = "alert"
    elif _ACTION.search(text):
        kind = "action"
    else:
        kind = "observation"
    owner = text_at(entry, "owner")
    return [Row(number, at, text, kind=kind,
                source=f"Opsgenie: {owner}" if owner else "Opsgenie")]


def parse_opsgenie(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("data",), _rows)
