"""Reading a source safely: only a regular file, within the import limit, and only what looks
like UTF-8 text; lines streamed with their numbers, bytes that are not UTF-8 kept so the row
they are in can be named.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterator
from zoneinfo import ZoneInfo

from pmconsole.importers.rows import ImportRefused
from pmconsole.storage.toml_file import SessionFileError, open_regular, size_text

DEFAULT_LIMIT_BYTES = 50 * 1024 * 1024
HEAD_BYTES = 64 * 1024  # what format detection and the is-it-text check look at

# Bytes that were not UTF-8, as decoded with "surrogateescape".
BAD_BYTES = re.compile("[\udc80-\udcff]")
NOT_UTF8 = "is not UTF-8 text"


class Progress:
    """Bytes read so far and in all, for the progress callback; and the import limit, which
    every file of the source is opened with (``open_source``)."""

    def __init__(self, total: int, limit: int) -> None:
        self.done = 0
        self.total = total
        self.limit = limit


@dataclass
class Source:
    """What a format's parser reads: the path named, the files under it (a folder's day files,
    or the path itself), the zone for times without one, the incident's start (for years a
    log leaves out) and the progress of the reading."""

    path: Path
    zone: ZoneInfo
    started_at: datetime
    progress: Progress
    files: list[Path] = field(default_factory=list)
    is_folder: bool = False
    time_field: str = ""
    """A dotted path to the time in each JSON record (``--time-field``); "" to look by name."""
    text_field: str = ""
    """A dotted path to the text in each JSON record (``--text-field``); "" to look by name."""
    date: str = ""
    """The day of times that have none (a Markdown timeline's ``13:42``), as YYYY-MM-DD."""
    channel: str = ""
    """The channel to read from a whole Slack workspace export."""


def open_source(path: Path, limit: int | None) -> BinaryIO:
    """A source file opened as every file pmconsole reads is (``store.open_regular``): only a
    regular file within the limit; a FIFO or a device is refused by name, never read."""
    try:
        return open_regular(path, limit, "a file to import")
    except SessionFileError as err:
        raise ImportRefused(path, err.message) from None


def lines(path: Path, progress: Progress) -> Iterator[tuple[int, str]]:
    """(line number, text with its line end) for each line, streamed.

    Bytes that are not UTF-8 are kept as lone surrogates ("surrogateescape") so the row they are
    in can be reported with its line rather than failing the whole file.
    """
    with open_source(path, progress.limit) as f:
        for number, raw in enumerate(f, 1):
            progress.done += len(raw)
            if progress.done > progress.limit:  # still being written, say: the limit holds
                raise ImportRefused(path, f"grew past the import limit of {size_text(progress.limit)}")
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)  # spreadsheets save one
            yield number, raw.decode("utf-8", "surrogateescape")


def whole(path: Path, progress: Progress) -> bytes:
    """A whole file's bytes, for a format read as one document; the limit holds as it grows."""
    with open_source(path, progress.limit) as f:
        data = f.read(progress.limit + 1)
    progress.done += len(data)
    if progress.done > progress.limit:
        raise ImportRefused(path, f"grew past the import limit of {size_text(progress.limit)}")
    return data


def refuse_unless_text(path: Path, head: bytes, size: int) -> None:
    """Refuse what is plainly not UTF-8 text, judging by the first HEAD_BYTES."""
    if size == 0 or (not head.strip() and size <= len(head)):
        raise ImportRefused(path, "is empty")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportRefused(path, "is UTF-16 text; save it as UTF-8 and import again")
    # A stray NUL or non-UTF-8 byte is a bad row or a stripped control character (a log cut
    # short by a crash often has a run of NULs); NULs in bulk mean binary or UTF-16, and mostly
    # non-UTF-8 lines mean another encoding (or compressed data).
    nuls = head.count(b"\x00")
    if nuls * 10 > len(head):
        raise ImportRefused(
            path, "contains NUL bytes: a binary file, not text", line_at(head, head.find(b"\x00"))
        )
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    text = decoder.decode(head, final=size <= len(head))
    numbered = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    bad = [n for n, line in numbered if BAD_BYTES.search(line)]
    if len(bad) * 2 > len(numbered):
        raise ImportRefused(path, f"{NOT_UTF8} (binary, or another encoding)", bad[0])


def line_at(data: bytes, index: int) -> int:
    """The 1-based line of ``data`` that byte ``index`` is on."""
    return data.count(b"\n", 0, index) + 1
