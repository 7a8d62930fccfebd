"""AWS CloudTrail log files: the ``{"Records": […]}`` document CloudTrail delivers to S3 (and
the same records one a line, or as an array).

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
— a record has ``eventTime`` (UTC), ``eventSource`` (``ec2.amazonaws.com``), ``eventName``
(the API call), ``awsRegion``, ``userIdentity`` (``type``, ``arn``, ``userName``,
``sessionContext.sessionIssuer.userName``), ``readOnly``, and ``errorCode``/``errorMessage``
when the call failed.

A call that changes something is an action; a read, or a call refused, an observation.
Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from pmconsole.importers.json_records import has_keys, parse_records, text_at, time_at
from pmconsole.importers.reading import Source
from pmconsole.importers.rows import BadRow, Row, RowProblem

_READS = ("Get", "List", "Describe", "Head", "Lookup", "Search")


def looks_like_cloudtrail(head: str) -> bool:
    return has_keys(head, "eventSource", "eventName", "eventTime")


def _rows(number: int, record: dict[str, Any], source: Source) -> Iterable[Row]:
    at = time_at(record, source, "eventTime")
    name = text_at(record, "eventName")
    service = text_at(record, "eventSource").removesuffix(".amazonaws.com")
    if not name:
        raise BadRow("has no eventName")
    who = text_at(record, "userIdentity.userName")
    if not who and text_at(record, "userIdentity.type") == "AssumedRole":
        # arn:aws:sts::…:assumed-role/oncall/jun.park: the session's name, in the role.
        session = text_at(record, "userIdentity.arn").rpartition("/")[2]
        role = text_at(record, "userIdentity.sessionContext.sessionIssuer.userName")
        who = f"{session} as {role}" if session and role else session or role
    who = who or text_at(record, "userIdentity.arn", "userIdentity.invokedBy",
                         "userIdentity.type")
    text = f"{name} on {service}" if service else name
    if who:
        text += f" by {who}"
    error = text_at(record, "errorCode")
    if error:
        text += f" failed: {error}"
        message = text_at(record, "errorMessage")
        if message:
            text += f" ({message})"
    read_only = record.get("readOnly")
    reads = read_only is True or (read_only is None and name.startswith(_READS))
    region = text_at(record, "awsRegion")
    return [Row(
        number, at, text,
        kind="observation" if reads or error else "action",
        source=" ".join(p for p in ("CloudTrail:", service, region) if p).removesuffix(":"),
    )]


def parse_cloudtrail(source: Source) -> Iterator[Row | RowProblem | object]:
    return parse_records(source, ("Records",), _rows)
