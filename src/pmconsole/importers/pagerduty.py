"""PagerDuty: an incident's log entries as the REST API v2 returns them
(``GET /incidents/{id}/log_entries`` or ``GET /log_entries``: ``{"log_entries": […]}``). The
incidents CSV the web app's Incidents page downloads is pagerduty_csv.py.

Log entries: https://developer.pagerduty.com/api-reference/c661e065403b5-list-log-entries and
https://developer.pagerduty.com/docs/log-entries — each has a ``type`` (``trigger_log_entry``,
``acknowledge_log_entry``, ``resolve_log_entry``, ``annotate_log_entry``, …), ``created_at``
(ISO 8601 with a zone), a ``summary``, and references to the ``service``, the ``incident`` and
the ``agent`` that acted; a note's text is in ``channel.summary``.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import BadRow, Row, RowProblem

# A trigger is an alert; an acknowledgement or a resolution is something people did; the rest
# (notifications, escalations, assignments, notes) is what was seen.
_KINDS = {
    "trigger_log_entry": "alert",
    "acknowledge_log_entry": "action",
    "resolve_log_entry": "action",
    "unacknowledge_log_entry": "action",
    "snooze_log_entry": "action",
    "reassign_log_entry": "action",
    "escalate_log_entry": "action",
    "priority_change_log_entry": "action",
    "urgency_change_log_entry": "action",
}
_MAJOR = frozenset({"trigger_log_entry", "resolve_log_entry"})


def looks_like_pagerduty(head: str) -> bool:
    return has_keys(head, "log_entries") or (
        has_keys(head, "type", "created_at") and "_log_entry\"" in head
    )


def _rows(number: int, entry: dict[str, Any], source: Source) -> Iterable[Row]:
    kind_word = text_at(entry, "type")
    if not kind_word.endswith("_log_entry"):
        raise BadRow("is not a PagerDuty log entry (its type does not end in _log_entry)")
    at = time_at(entry, source, "created_at")
    text = text_at(entry, "summary") or kind_word.removesuffix("_log_entry").replace("_", " ")
    note = text_at(entry, "channel.summary")
    if kind_word == "annotate_log_entry" and note and note != text:
        text = f"{text}: {note}"
    elif kind_word == "trigger_log_entry":
        incident = text_at(entry, "incident.summary")
        if incident and incident not in text:
            text = f"{text}: {incident}"
    service = text_at(entry, "service.summary")
    yield Row(
        number, at, text,
        kind=_KINDS.get(kind_word, "observation"),
        source=f"PagerDuty: {service}" if service else "PagerDuty",
        major=kind_word in _MAJOR,
    )


def parse_pagerduty(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("log_entries",), _rows)
