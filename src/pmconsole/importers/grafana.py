"""Grafana annotations, as the HTTP API's ``GET /api/annotations`` returns them: a JSON array.

https://grafana.com/docs/grafana/latest/developers/http_api/annotations/ — each annotation has
``time`` and ``timeEnd`` (Unix milliseconds), ``text``, ``tags``, the ``dashboardUID`` and
``panelId`` it belongs to, the ``login`` of who made it, and for an alert's annotation its
``alertId``, ``newState`` and ``prevState``.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import BadRow, Row, RowProblem

_ALERTING = frozenset({"alerting", "firing"})


def looks_like_grafana(head: str) -> bool:
    return has_keys(head, "time", "timeEnd") and (
        has_keys(head, "dashboardUID") or has_keys(head, "panelId")
    )


def _rows(number: int, annotation: dict[str, Any], source: Source) -> Iterable[Row]:
    at = time_at(annotation, source, "time")
    text = text_at(annotation, "text")
    state = text_at(annotation, "newState").casefold()
    if state:
        text = f"{state.upper()}: {text}" if text else f"state {state}"
    tags = annotation.get("tags")
    if isinstance(tags, list) and tags:
        text += f" [{', '.join(str(tag) for tag in tags)}]"
    if not text.strip():
        raise BadRow("has no text")
    who = text_at(annotation, "login", "email")
    dashboard = text_at(annotation, "dashboardUID")
    if not who and dashboard:
        who = f"dashboard {dashboard}"
    return [Row(
        number, at, text,
        kind="alert" if state in _ALERTING else "observation",
        source=f"Grafana: {who}" if who else "Grafana",
    )]


def parse_grafana(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("annotations",), _rows)
