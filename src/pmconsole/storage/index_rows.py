"""Session files read for the post-mortem log's index (log_index.py): the rows the index keeps
of each, read on every core when there are many (a cold build).

Never import Textual here.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tomllib
from pathlib import Path
from typing import Any, Callable, NamedTuple

from pmconsole.domain.model import Session
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import SessionFileError


def _body(session: Session) -> str:
    """The searchable text of a session: everything people wrote about the incident."""
    parts = [session.question.text, session.summary]
    parts += [e.text for e in session.timeline]
    parts += [f.text for f in session.factors]
    parts += [f"{a.title} {a.description} {a.criterion}" for a in session.actions]
    parts += [n.text for n in session.notes]
    return "\n".join(p for p in parts if p)


# A cold build (or a folder of files changed at once) is read on every core: each worker
# process parses its share of the files and sends back only the rows the index keeps, never
# the sessions; the index itself is written by this process alone. A pool costs each core
# ~0.25 s to start (each worker imports the model) and a file costs ~0.5 ms to read, so fewer
# files than this are read here (on a busy machine a pool of two paid only from a few thousand).
POOL_FROM = 1000
POOL_CHUNK = 32  # files per task: few round trips, and the work still shared out evenly


class IndexRows(NamedTuple):
    """What the index keeps of one session: its files row (after path, time and size), its
    actions' rows (after path) and its text row (after path). Plain tuples of text, so a worker
    sends them back cheaply."""

    file: tuple[str, ...]
    actions: tuple[tuple[str, ...], ...]
    text: tuple[str, str, str]


def toml_loads(text: str) -> dict[str, Any]:
    """The TOML of a session file, parsed by tomli where it is compiled for this machine:
    tomllib is tomli taken into the standard library, and tomli's compiled build reads the
    same TOML three times faster (the parse was four fifths of a cold build's reading). A file
    tomli refuses is parsed again by tomllib, so an unreadable file is named in the console's
    own words, and one tomllib reads is read."""
    try:
        return _fast_loads()(text)
    except Exception:  # noqa: BLE001 (tomllib says what is wrong, as the console does)
        return tomllib.loads(text)


@functools.cache
def _fast_loads() -> Callable[[str], dict[str, Any]]:
    try:
        import tomli
    except ImportError:  # looked for once, not for every file
        return tomllib.loads
    return tomli.loads


def index_rows(path: str) -> IndexRows | str:
    """One session file read for the index: its rows, or the error that makes it unreadable.
    Read in full and checked as the console checks it (the file and its live log): a file the
    log calls readable is one the console opens. The checks cost about a third of the parse."""
    from pmconsole.domain.rules import followup_review_date

    try:
        session = read_snapshot(Path(path), loads=toml_loads)
    except SessionFileError as err:
        return str(err)
    meeting = session.meeting
    facilitator = session.participant(meeting.facilitator)
    note_taker = session.participant(meeting.note_taker)
    review = followup_review_date(session)
    inc = session.incident
    return IndexRows(
        file=(inc.title, inc.severity, inc.started_at.isoformat(),
              meeting.scheduled_at.isoformat() if meeting.scheduled_at else "",
              " ".join(inc.tags), facilitator.name if facilitator else "",
              note_taker.name if note_taker else "", review.isoformat() if review else ""),
        actions=tuple((a.id, a.title, a.owner, a.due.isoformat() if a.due else "", a.status,
                       a.criterion) for a in session.actions),
        text=(inc.title, " ".join(inc.tags), _body(session)),
    )


def _index_rows_of(paths: list[str]) -> list[IndexRows | str]:
    return [index_rows(p) for p in paths]


def read_for_index(paths: list[str], workers: int | None = None):
    """(path, rows or error) for each of ``paths``, in order; on every core when they are many.
    A pool that cannot start (no semaphores in a sandbox) or breaks reads them here instead."""
    workers = workers or os.cpu_count() or 1
    if len(paths) < POOL_FROM or workers < 2:
        for path in paths:
            yield path, index_rows(path)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[i:i + POOL_CHUNK] for i in range(0, len(paths), POOL_CHUNK)]
    try:
        # The pool's first lock starts multiprocessing's resource tracker, a process handed
        # stderr's file descriptor. In the console sys.stderr is Textual's capture of prints,
        # which has none (-1), and the tracker would not start ("bad value(s) in
        # fds_to_keep"): the real stderr stands in while the pool is made.
        with contextlib.redirect_stderr(sys.__stderr__ or sys.stderr):
            # spawn, not fork: the console calls this from a worker thread, and a forked child
            # of a threaded process may inherit a lock held by another thread.
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    except (OSError, NotImplementedError, ImportError, ValueError):
        for path in paths:
            yield path, index_rows(path)
        return
    from concurrent.futures.process import BrokenProcessPool

    done = 0
    with pool:
        try:
            for chunk, rows in zip(chunks, pool.map(_index_rows_of, chunks)):
                yield from zip(chunk, rows)
                done += len(chunk)
        except BrokenProcessPool:  # a worker killed (out of memory): the rest read here
            for path in paths[done:]:
                yield path, index_rows(path)
