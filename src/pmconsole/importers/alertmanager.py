"""Prometheus Alertmanager webhook payloads (version 4), one or many: a payload, an array of
payloads, or JSON Lines of them, as a webhook receiver logs them. Grafana's webhook contact
point sends the same shape.

https://prometheus.io/docs/alerting/latest/configuration/#webhook_config — a payload has
``version``, ``groupKey``, ``status``, ``receiver``, ``groupLabels``, ``commonLabels``,
``commonAnnotations``, ``externalURL`` and ``alerts``; each alert its ``status`` (firing or
resolved), ``labels``, ``annotations``, ``startsAt``, ``endsAt`` (``0001-01-01T00:00:00Z`` while
it fires), ``generatorURL`` and ``fingerprint``.

A firing alert is an alert event at ``startsAt``; a resolved one is an observation at ``endsAt``.
Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import BadRow, Row, RowProblem


def looks_like_alertmanager(head: str) -> bool:
    return has_keys(head, "alerts", "startsAt") or has_keys(head, "startsAt", "fingerprint",
                                                            "labels")


def _alert(number: int, alert: Any, source: Source) -> Row:
    if not isinstance(alert, dict):
        raise BadRow("has an alert that is not a JSON object")
    resolved = text_at(alert, "status") == "resolved"
    at = time_at(alert, source, "endsAt" if resolved else "startsAt", "startsAt")
    name = text_at(alert, "labels.alertname") or "alert"
    about = text_at(alert, "annotations.summary", "annotations.description",
                    "annotations.message")
    text = f"{'RESOLVED' if resolved else 'FIRING'}: {name}" + (f": {about}" if about else "")
    where = text_at(alert, "labels.instance", "labels.service", "labels.job")
    return Row(
        number, at, text,
        kind="observation" if resolved else "alert",
        source=f"Alertmanager: {where}" if where else "Alertmanager",
    )


def _rows(number: int, record: dict[str, Any], source: Source) -> Iterable[Row]:
    alerts = record.get("alerts")
    if isinstance(alerts, list):  # a whole payload (one of many)
        return [_alert(number, alert, source) for alert in alerts]
    if "labels" in record and "startsAt" in record:
        return [_alert(number, record, source)]
    raise BadRow("is neither an Alertmanager payload (with alerts) nor an alert (with startsAt)")


def parse_alertmanager(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("alerts",), _rows)
