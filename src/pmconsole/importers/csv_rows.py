"""CSV (and TSV, or ; and | separated) timelines: a header row names a time and a text column
in any order (fields.py lists the names read); each row after it is one event.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import csv
from typing import Iterator

from pmconsole.importers.fields import FIELD_NAMES, normal_name, pick_fields, row_from_fields
from pmconsole.importers.reading import BAD_BYTES, NOT_UTF8, Source, lines
from pmconsole.importers.rows import BadRow, ImportRefused, Row, RowProblem
from pmconsole.importers.times import zone_in_header

_DELIMITERS = (",", ";", "\t", "|")


def csv_header(line: str) -> tuple[str, list[str], dict[str, int]] | None:
    """The delimiter, cells and fields of a header line with a time and a text column."""
    for delimiter in _DELIMITERS:
        cells = header_cells(line, delimiter)
        fields = pick_fields(cells)
        if "time" in fields and "text" in fields:
            return delimiter, cells, fields
    return None


def looks_like_csv(first_line: str) -> bool:
    """Detection: the first line is a header with a time and a text column."""
    return bool(first_line) and csv_header(first_line) is not None


def header_cells(line: str, delimiter: str) -> list[str]:
    """The cells of one CSV line (a header): none when csv cannot read it."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a header cell over csv's field size limit, say
        return []


def _header_complaint(line: str) -> str:
    cells = max((header_cells(line, d) for d in _DELIMITERS), key=len)
    fields = pick_fields(cells)
    if "time" in fields:
        missing = "text"
    elif "text" in fields:
        missing = "time"
    else:
        return (
            "the first row is not a header with a time and a text column "
            "(for example: time,text,kind,source,basis)"
        )
    names = ", ".join(FIELD_NAMES[missing])
    return f"the header row has no {missing} column (name one of: {names})"


def first_line(source: Source) -> tuple[Iterator[tuple[int, str]], int, str]:
    """The file's numbered lines, and the first that is not blank (a CSV's header) with its
    line number; the lines go on after it. An empty file is refused."""
    numbered = lines(source.path, source.progress)
    for header_line, first in numbered:
        if first.strip():
            return numbered, header_line, first
    raise ImportRefused(source.path, "is empty")


def parse_csv(source: Source) -> Iterator[Row | RowProblem]:
    path = source.path
    numbered, header_line, first = first_line(source)
    header = csv_header(first)
    if header is None:
        raise ImportRefused(path, _header_complaint(first), header_line)
    delimiter, cells, fields = header
    zone = zone_in_header(cells[fields["time"]]) or source.zone  # "Time (UTC)" says the zone
    basis_column = normal_name(cells[fields["basis"]]) if "basis" in fields else ""
    width = len(cells)
    for start, record in csv_records(numbered, header_line, delimiter, width):
        if isinstance(record, RowProblem):
            yield record
            continue
        values = {name: record[i] if i < len(record) else "" for name, i in fields.items()}
        try:
            yield row_from_fields(start, values, basis_column, zone)
        except BadRow as bad:
            yield RowProblem(start, bad.message)


def csv_records(
    numbered: Iterator[tuple[int, str]], header_line: int, delimiter: str, width: int
) -> Iterator[tuple[int, list[str] | RowProblem]]:
    """The records after a header of ``width`` cells on ``header_line``, each with the line it
    starts on; a record that cannot be read is a RowProblem. Blank records are left out."""
    # strict: a stray quote is a problem row, not a field silently glued to the next one.
    reader = csv.reader((text for _, text in numbered), delimiter=delimiter, strict=True)
    while True:
        # csv counts the lines it has consumed; a record starts on the line after the last one.
        start = header_line + reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield start, RowProblem(start, f"is not valid CSV: {err}")
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank rows are spacing in a spreadsheet, not data
        if any(BAD_BYTES.search(cell) for cell in record):
            yield start, RowProblem(start, NOT_UTF8)
            continue
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            yield start, RowProblem(
                start,
                f"has {len(record)} cells but the header has {width} "
                "(a delimiter inside text that is not quoted?)",
            )
            continue
        yield start, record
