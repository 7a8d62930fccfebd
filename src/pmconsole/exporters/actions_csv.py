"""The agreed action items as CSV for an issue tracker.

The columns of ``CSV_HEADER``, one row per action in the session's order, UTF-8 without a
byte-order mark, CRLF line ends. Dropped actions are left out: a tracker importing the file would
open a ticket for each. ``--for`` a tracker writes the columns its importer reads instead
(``trackers.py``). The description ends with the post-mortem it comes from (the incident's
title and the meeting's day), so a ticket leads back to it. Cells that a spreadsheet would read
as a formula get a leading apostrophe.

Never import Textual here.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from pmconsole.domain.model import Session
from pmconsole.domain.text import clean_text
from pmconsole.exporters.common import NO_OPTIONS, Options, one_line, origin

CSV_HEADER: tuple[str, ...] = (
    "Title",
    "Description",
    "Owner",
    "Due date",
    "Success criterion",
    "Status",
    "Linked factors",
    "Staging check",
)

# Line breaks too: clean_text() turns a leading CR into LF, and some spreadsheets skip either.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """Clean text that no spreadsheet will run: a leading apostrophe before a formula start."""
    text = clean_text(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write(session: Session, now: datetime, options: Options = NO_OPTIONS) -> str:
    if options.tracker is not None:
        from pmconsole.exporters.trackers import write_for

        return write_for(session, options.tracker)
    factors = {f.id: one_line(f.text) for f in session.factors}
    source = origin(session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for a in session.agreed_actions():
        linked = "; ".join(factors[i] for i in a.factor_ids if factors.get(i))
        row = (
            a.title,
            f"{a.description.rstrip()} {source}" if a.description.strip() else source,
            a.owner,
            a.due.isoformat() if a.due else "",
            a.criterion,
            a.status,
            linked,
            a.staging_check.isoformat() if a.staging_check else "",
        )
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()
