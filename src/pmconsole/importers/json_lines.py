"""JSON Lines (NDJSON): one JSON object a line, its keys named as CSV columns are (fields.py).

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Iterator

from pmconsole.importers.fields import normal_name, pick_fields, row_from_fields
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import BadRow, Row, RowProblem


def looks_like_json_lines(first_line: str) -> bool:
    """Detection: the first line that is not blank starts a JSON object."""
    return first_line.lstrip().startswith("{")


@lru_cache(maxsize=256)
def _json_fields(keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(field, key) pairs for an object with these keys; cached, since log lines share keys."""
    return tuple((name, keys[i]) for name, i in pick_fields(keys).items())


def parse_json_lines(source: Source) -> Iterator[Row | RowProblem]:
    for number, line in lines(source.path, source.progress):
        line = line.strip()
        if not line:
            continue
        if BAD_BYTES.search(line):
            yield RowProblem(number, NOT_UTF8)
            continue
        try:
            obj = json.loads(line, strict=False)  # raw tabs in strings: cleaned later
        except json.JSONDecodeError as err:
            yield RowProblem(number, f"is not valid JSON: {err.msg} (column {err.colno})")
            continue
        except (ValueError, RecursionError):  # an integer too long, nesting too deep
            yield RowProblem(number, "is not valid JSON")
            continue
        if not isinstance(obj, dict):
            yield RowProblem(number, "is not a JSON object")
            continue
        pairs = _json_fields(tuple(obj))
        values = {name: obj[key] for name, key in pairs}
        basis_column = next((normal_name(key) for name, key in pairs if name == "basis"), "")
        try:
            yield row_from_fields(number, values, basis_column, source.zone)
        except BadRow as bad:
            yield RowProblem(number, bad.message)
