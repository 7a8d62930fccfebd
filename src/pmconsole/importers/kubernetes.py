"""Kubernetes events, as ``kubectl get events -o json`` prints them: a ``List`` whose ``items``
are ``Event`` objects (core/v1).

https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/ — an event has
``type`` (Normal or Warning), ``reason``, ``message``, the ``involvedObject`` (kind, name,
namespace) it is about, the ``source`` (component, host) or ``reportingComponent`` that saw it,
``count``, and its times: ``lastTimestamp``, ``firstTimestamp``, ``eventTime`` (micro-precision,
for events of the newer API) or, failing those, ``metadata.creationTimestamp``.

A Warning is an alert; a Normal event (scheduled, pulled, started) an observation.
Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import Row, RowProblem


def looks_like_kubernetes(head: str) -> bool:
    return has_keys(head, "involvedObject")


def _rows(number: int, event: dict[str, Any], source: Source) -> Iterable[Row]:
    at = time_at(event, source, "lastTimestamp", "eventTime", "firstTimestamp",
                 "metadata.creationTimestamp")
    reason = text_at(event, "reason")
    obj_kind, obj_name = text_at(event, "involvedObject.kind"), text_at(event, "involvedObject.name")
    about = "/".join(part.lower() if i == 0 else part
                     for i, part in enumerate(p for p in (obj_kind, obj_name) if p))
    text = ": ".join(p for p in (reason, about, text_at(event, "message", "note")) if p)
    count = event.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count > 1:
        text += f" (seen {count} times)"
    namespace = text_at(event, "involvedObject.namespace", "metadata.namespace")
    seen_by = text_at(event, "source.component", "reportingComponent")
    host = text_at(event, "source.host", "reportingInstance")
    where = " ".join(p for p in (namespace, seen_by, f"on {host}" if host else "") if p)
    return [Row(
        number, at, text,
        kind="alert" if text_at(event, "type") == "Warning" else "observation",
        source=f"Kubernetes: {where}" if where else "Kubernetes",
    )]


def parse_kubernetes(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("items",), _rows)
