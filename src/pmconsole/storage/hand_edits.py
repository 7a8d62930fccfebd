"""A session file changed outside pmconsole (an editor, ``git pull``, an earlier version put
back): what it changed, as edits, against the checkpoint it was made from.

``SessionStore`` notices the change, holds the file lock while it merges, and commits what this
module works out. Kept apart because it is the subtlest rule of the store and is read on its own:
which checkpoint the file came from, and when that cannot be told for sure.

Never import Textual here.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from pmconsole.domain.model import Session
from pmconsole.domain.ops import Op, diff
from pmconsole.storage import oplog
from pmconsole.storage.toml_file import SessionFileError, atomic_write, parse_session


@dataclass
class HandEdit:
    """What merging a changed file comes to."""

    ops: list[Op]
    what: str  # the notice's first words: what happened to the file
    unsure: bool  # the file may not mean all of it (a revert, or an origin not told apart)
    aside: str  # the name of the copy kept beside the file, "" when none was kept


def base_session(conn: sqlite3.Connection, path: Path) -> Session:
    """The newest checkpoint kept whole."""
    base = oplog.latest_base(conn)
    assert base is not None
    return parse_session(base[1], path)


def work_out(
    conn: sqlite3.Connection, path: Path, data: bytes, edited: Session, *,
    revert: bool, keep_acknowledged: bool,
) -> HandEdit:
    """The edits that bring the log to what the changed file ``data`` (read as ``edited``)
    says. ``revert``: the file is an earlier checkpoint put back whole."""
    name = path.name
    if revert:
        # An older checkpoint put back whole (`git checkout` of an earlier version, a
        # backup copied over): a revert, made on purpose. It is taken as a hand edit
        # against the newest checkpoint, so its changes are not ignored (replaying the log
        # over it would undo it without a word); edits committed after that checkpoint
        # stay. The command line keeps the records added since (see keep_acknowledged).
        changes = [diff(base_session(conn, path), edited)]
        what = f"{name} was replaced by an earlier version pmconsole wrote (a revert?)"
        unsure = True
    else:
        changes, unsure = changes_from_bases(conn, path, edited)
        what = f"{name} was changed outside pmconsole"
        if unsure:
            what += " from a version that cannot be told apart from others"
    ops = changes[0]
    aside = ""
    if unsure and keep_acknowledged:
        # The non-destructive choice: what the file changes against every version it may
        # come from, no acknowledged record deleted; the file as it was is kept aside.
        offered = ops
        others = changes[1:]
        ops = [op for op in ops
               if op["op"] != "del" and all(op in other for other in others)]
        if len(ops) < len(offered):
            aside = keep_aside(path, data)
    return HandEdit(ops, what, unsure, aside)


def keep_aside(path: Path, data: bytes) -> str:
    """A copy of a file changed on disk that was not merged whole, beside it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.outside-{stamp}")
    try:
        atomic_write(aside, data)
    except OSError:
        return ""
    return aside.name


def changes_from_bases(
    conn: sqlite3.Connection, path: Path, edited: Session
) -> tuple[list[list[Op]], bool]:
    """What a hand-edited file changed, against the checkpoint it was made from: of those
    kept whole, the one it differs from least (an editor that loaded an older checkpoint
    changed a few fields of it, not everything committed since). Several when that cannot
    be told (two checkpoints as near, with different differences), newest first, with
    True; True too when the nearest is the oldest kept whole and older ones were let go
    (the file may come from before)."""
    rows = oplog.bases(conn)
    nearest: list[list[Op]] = []
    nearest_at = 0  # the place among the rows (newest first) of the nearest one found
    for at, toml in enumerate(rows):
        try:
            candidate = parse_session(toml, path)
        except SessionFileError:
            continue
        ops = diff(candidate, edited)
        if not nearest or len(ops) < len(nearest[0]):
            nearest, nearest_at = [ops], at
        elif len(ops) == len(nearest[0]) and ops not in nearest:
            nearest.append(ops)
    if not nearest:
        return [diff(base_session(conn, path), edited)], True
    unsure = len(nearest) > 1
    if nearest_at == len(rows) - 1 and oplog.some_bases_let_go(conn):
        # Nearest to the oldest kept whole, with older ones no longer kept: the file may
        # come from one of those (an editor open over more than KEEP_BASES saves), and
        # what it lacks may be edits made since, not deletions.
        unsure = True
    return nearest, unsure
