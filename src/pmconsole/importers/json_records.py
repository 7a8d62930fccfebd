"""JSON, however a tool writes it: JSON Lines (one value a line), or one document — pretty-printed
or not, an array of records, or an envelope object holding them (``{"Records": […]}``,
``{"log_entries": […]}``, ``{"items": […]}``) — read as a document, not line by line.

Each record comes with the line it starts on, so a skipped record is named by its real line.
The generic mapping reads a record's time and text from the keys ``fields.FIELD_NAMES`` lists,
or from the dotted paths ``--time-field`` and ``--text-field`` give (``alert.startedAt``); a
record without a time says which keys were looked for. The vendor formats (pagerduty.py,
alertmanager.py, …) read their records through ``records`` here too.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import codecs
import json
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

from pmconsole.importers.fields import FIELD_NAMES, normal_name, pick_fields, row_from_fields
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, line_at, lines, whole
from pmconsole.importers.rows import BadRow, ImportRefused, Row, RowProblem
from pmconsole.importers.times import parse_time

# Keys that hold a document's records, tried in this order.
ENVELOPES = ("Records", "log_entries", "items", "alerts", "annotations", "entries", "events",
             "logs", "records", "results", "data", "messages")
_DECODER = json.JSONDecoder(strict=False)  # raw tabs in strings: cleaned later
_SPACE = re.compile(r"[ \t\r\n]*")


def looks_like_json_lines(first_line: str) -> bool:
    """Detection: the first line that is not blank is a JSON object by itself."""
    return first_line.lstrip().startswith("{") and _whole_value(first_line)


_DOCUMENT_START = re.compile(r'\s*(?:\{\s*(?:"|\}|\Z)|\[\s*(?:[\[{"\]]|\Z))')


def looks_like_json_document(head: str) -> bool:
    """Detection: the source starts an object or an array of objects, arrays or strings (not
    "[2026-11-23 14:00:00]", a log line's bracketed time)."""
    return _DOCUMENT_START.match(head) is not None


def records(
    source: Source, envelopes: Sequence[str] = ENVELOPES
) -> Iterator[tuple[int, Any] | RowProblem]:
    """(line, record) for each record of a JSON source, or a RowProblem for a line of JSON
    Lines that is not JSON. A source whose first value fits on its first line is JSON Lines;
    any other is one document, refused as a whole (with the line) when it is not JSON — unless
    more values follow it: then it is JSON Lines with a bad first line."""
    numbered = lines(source.path, source.progress)
    first = next(((n, line) for n, line in numbered if line.strip()), None)
    if first is None:
        return
    if not _whole_value(first[1]):
        numbered.close()
        source.progress.done = 0  # read again, whole
        document = _document(source, envelopes)
        if document is not None:
            yield from document
            return
        source.progress.done = 0
        numbered = lines(source.path, source.progress)
    else:
        numbered = _chain(first, numbered)
    for number, line in numbered:
        line = line.strip()
        if not line:
            continue
        if BAD_BYTES.search(line):
            yield RowProblem(number, NOT_UTF8)
            continue
        try:
            value = json.loads(line, strict=False)
        except json.JSONDecodeError as err:
            yield RowProblem(number, f"is not valid JSON: {err.msg} (column {err.colno})")
            continue
        except (ValueError, RecursionError):  # an integer too long, nesting too deep
            yield RowProblem(number, "is not valid JSON")
            continue
        inner = _envelope(value, envelopes)
        if inner is not None:  # a compact document on one line: its records share the line
            yield from ((number, item) for item in inner[1])
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            yield from ((number, item) for item in value)  # an array of records on one line
        else:
            yield number, value


def _chain(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


def _whole_value(line: str) -> bool:
    try:
        json.loads(line, strict=False)
    except (ValueError, RecursionError):
        return False
    return True


def _envelope(value: Any, envelopes: Sequence[str]) -> tuple[str, list[Any]] | None:
    """The key and list of an object that holds records, not one that is a record itself (a
    record has a time of its own; its list of tags or data is no envelope)."""
    if isinstance(value, dict) and not any(f == "time" for f, _ in _json_fields(tuple(value))):
        for key in envelopes:
            inner = value.get(key)
            if isinstance(inner, list):
                return key, inner
    return None


def _document(source: Source, envelopes: Sequence[str]) -> Iterator[tuple[int, Any]] | None:
    """A whole document's records with their lines; None when it is more than one JSON value
    (JSON Lines after all)."""
    path = source.path
    data = whole(path, source.progress).removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ImportRefused(path, NOT_UTF8, line_at(data, err.start)) from None
    try:
        value = json.loads(text, strict=False)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and text.count("\n", 0, err.pos) > 0:
            return None
        second = next((line for line in text.splitlines()[1:] if line.strip()), "")
        if second and _whole_value(second):  # JSON Lines whose first line is broken
            return None
        raise ImportRefused(path, f"is not valid JSON: {err.msg}", err.lineno) from None
    except (ValueError, RecursionError):
        raise ImportRefused(path, "is not valid JSON") from None
    return _with_lines(text, value, envelopes)


def _with_lines(text: str, value: Any, envelopes: Sequence[str]) -> Iterator[tuple[int, Any]]:
    start = _SPACE.match(text).end()
    if isinstance(value, list):
        yield from zip(_lines_of(text, _items(text, start)), value)
        return
    inner = _envelope(value, envelopes)
    if inner is None:
        yield 1 + text.count("\n", 0, start), value
        return
    key, items = inner
    at = _member(text, start, key)
    offsets = _items(text, at) if at is not None else []
    if len(offsets) != len(items):  # a key given twice: lines from the start, not guessed
        offsets = [start] * len(items)
    yield from zip(_lines_of(text, offsets), items)


def array_lines(text: str) -> list[int]:
    """The line each element of the JSON array ``text`` starts on (``text`` is known to be
    one array)."""
    return _lines_of(text, _items(text, _SPACE.match(text).end()))


def _items(text: str, i: int) -> list[int]:
    """Where each element of the array at ``text[i]`` starts."""
    starts: list[int] = []
    i = _SPACE.match(text, i + 1).end()
    if text[i] == "]":
        return starts
    while True:
        starts.append(i)
        _, i = _DECODER.raw_decode(text, i)
        i = _SPACE.match(text, i).end()
        if text[i] != ",":
            return starts
        i = _SPACE.match(text, i + 1).end()


def _member(text: str, i: int, key: str) -> int | None:
    """Where the value of the object at ``text[i]``'s member ``key`` starts (its last one, as
    json.loads keeps the last)."""
    found = None
    i = _SPACE.match(text, i + 1).end()
    if text[i] == "}":
        return None
    while True:
        name, i = _DECODER.raw_decode(text, i)
        i = _SPACE.match(text, _SPACE.match(text, i).end() + 1).end()  # past the colon
        if name == key:
            found = i
        _, i = _DECODER.raw_decode(text, i)
        i = _SPACE.match(text, i).end()
        if text[i] != ",":
            return found
        i = _SPACE.match(text, i + 1).end()


def _lines_of(text: str, offsets: list[int]) -> list[int]:
    numbers, line, last = [], 1, 0
    for offset in offsets:
        line += text.count("\n", last, offset)
        numbers.append(line)
        last = offset
    return numbers


# -- paths into a record ---------------------------------------------------------------------


def at_path(record: Any, path: str) -> Any:
    """The value at a dotted path (``alert.labels.instance``; a number indexes a list), or None."""
    value = record
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def text_at(record: Any, *paths: str) -> str:
    """The first of the paths that holds text (or a number), as text; "" when none does."""
    for path in paths:
        value = at_path(record, path)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
    return ""


# -- the generic mapping ---------------------------------------------------------------------


@lru_cache(maxsize=256)
def _json_fields(keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(field, key) pairs for an object with these keys; cached, since records share keys."""
    return tuple((name, keys[i]) for name, i in pick_fields(keys).items())


def looked_for(field: str, option: str) -> str:
    return f"looked for the keys {', '.join(FIELD_NAMES[field])} (any case); name another with {option}"


def generic_row(number: int, record: Any, source: Source) -> Row | RowProblem:
    """A record read by the names of ``FIELD_NAMES``, or by ``--time-field``/``--text-field``."""
    if not isinstance(record, dict):
        return RowProblem(number, "is not a JSON object")
    pairs = _json_fields(tuple(record))
    values = {name: record[key] for name, key in pairs}
    basis_column = next((normal_name(key) for name, key in pairs if name == "basis"), "")
    time_field, text_field = source.time_field, source.text_field
    if time_field:
        values["time"] = at_path(record, time_field)
        values.pop("date", None)
    if text_field:
        values["text"] = at_path(record, text_field)
    try:
        return row_from_fields(number, values, basis_column, source.zone)
    except BadRow as bad:
        message = bad.message
        if message == "has no time":
            message += (f" at {time_field}" if time_field
                        else f" ({looked_for('time', '--time-field')})")
        elif message == "has no text" and text_field:
            message += f" at {text_field}"
        return RowProblem(number, message)


def parse_json(source: Source) -> Iterator[Row | RowProblem]:
    for item in records(source):
        if isinstance(item, RowProblem):
            yield item
        else:
            yield generic_row(*item, source)


# -- for the vendor formats ------------------------------------------------------------------


def time_at(record: Any, source: Source, *paths: str) -> Any:
    """The time at the first of the paths that holds one, read as every import reads times;
    BadRow naming the paths when none does."""
    for path in paths:
        value = at_path(record, path)
        if value not in (None, "") and not (isinstance(value, str) and value.startswith("0001-")):
            return parse_time(value, source.zone)
    raise BadRow(f"has no time (looked for {', '.join(paths)})")


def parse_records(
    source: Source,
    envelopes: Sequence[str],
    rows_of: Callable[[int, dict[str, Any], Source], Iterable[Row | object]],
) -> Iterator[Row | RowProblem | object]:
    """The rows of each record of a vendor's JSON: ``rows_of(line, record, source)`` gives a
    record's rows (or rows.IGNORED); a BadRow it raises skips the record with its line."""
    for item in records(source, envelopes):
        if isinstance(item, RowProblem):
            yield item
            continue
        number, record = item
        if not isinstance(record, dict):
            yield RowProblem(number, "is not a JSON object")
            continue
        try:
            taken = list(rows_of(number, record, source))
        except BadRow as bad:
            yield RowProblem(number, bad.message)
            continue
        if not taken:
            yield RowProblem(number, "has nothing to import")
        yield from taken


def has_keys(head: str, *keys: str) -> bool:
    """Detection: every one of these keys appears in the head of a JSON source."""
    return all(re.search(rf'"{re.escape(key)}"\s*:', head) for key in keys)
