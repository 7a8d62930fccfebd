"""A session file changed outside pmconsole (an editor, ``git pull``, an earlier version put
back): what it changed, as edits, against the checkpoint it was made from.

``MergesHandEdits``, a part of ``SessionStore``, notices the change, holds the file lock while it
merges, and commits what ``work_out`` makes of it. Kept apart because it is the subtlest rule of
the store and is read on its own: which checkpoint the file came from, when that cannot be told
for sure, and which pane asks the facilitator which version stays.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pmconsole.domain.model import Session
from pmconsole.domain.ops import LiveSession, Op, diff, inverse
from pmconsole.storage import oplog, presence
from pmconsole.storage.notices import Notice
from pmconsole.storage.toml_file import SessionFileError, atomic_write, parse_session, read_bytes


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


class MergesHandEdits:
    """The part of ``SessionStore`` that notices a change to the file and merges it; it works on
    the store's own state and is never used alone."""

    if TYPE_CHECKING:  # the SessionStore state this works on
        path: Path
        lock_path: Path
        role: str
        origin: str
        live: LiveSession
        pending: list[Op]
        notices: list[Notice]
        error: str
        read_only: str
        keep_acknowledged: bool
        merge_left_to_facilitator: bool
        _unreadable_file: bool
        _file_stat: tuple[int, int, int] | None
        _conn: sqlite3.Connection | None

        def _flush(self) -> bool: ...
        def _write_checkpoint(self, *, force: bool = False) -> bool: ...

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _remember_file_stat(self) -> None:
        self._file_stat = self._stat()

    def _file_changed(self) -> bool:
        return self._stat() != self._file_stat

    def _merge_file_change(self, *, locked: bool = False) -> list[Notice]:
        """Merge a TOML file changed outside pmconsole: its difference from the checkpoint it
        was made from becomes edits in the log. An unreadable file makes the session read-only
        instead. The file is read under the file lock, so a checkpoint another pane is writing
        this instant is never taken for a change."""
        if not locked:
            with oplog.file_lock(self.lock_path):
                return self._merge_file_change(locked=True)
        assert self._conn is not None
        data = read_bytes(self.path)
        self._remember_file_stat()
        self.merge_left_to_facilitator = False
        sha = hashlib.sha256(data).hexdigest()
        known = oplog.checkpoint_of(self._conn, sha)
        newest = oplog.latest_base(self._conn)
        if known and (newest is None or known[0] >= newest[0]):
            return []  # our own checkpoint, or another pane's
        try:
            edited = parse_session(data, self.path)
        except SessionFileError as err:
            self.read_only = (
                f"{err} — the file was changed outside pmconsole and cannot be read; "
                "edits are paused so it is not overwritten, and go on once it can be read."
            )
            self._unreadable_file = True
            return [Notice(self.read_only, "error")]
        plan = work_out(self._conn, self.path, data, edited, revert=bool(known),
                                   keep_acknowledged=self.keep_acknowledged)
        if plan.unsure and self.role == "notes" and "facilitator" in presence.other_panes(
            self._conn, self.origin
        ):
            # Which version stays is the facilitator's question, asked on the shared screen:
            # their pane merges it (within a poll) and asks; this one looks again meanwhile,
            # and writes no checkpoint over the file until then.
            self._file_stat = None
            self.merge_left_to_facilitator = True
            return []
        ops, what = plan.ops, plan.what
        undo = inverse(self.live, ops) if plan.unsure else []
        self.pending.extend(ops)
        if not self._flush():
            return [Notice(f"{what}; {self.error}", "error")]
        # Write the merged state back at once: the file on disk must always be a checkpoint the
        # log knows, or a later open would not know which edits it already holds.
        self._write_checkpoint(force=True)
        text = f"{what}; {len(ops)} change(s) merged"
        if plan.aside:
            text += (f", nothing acknowledged deleted or overwritten by a value it may not have "
                     f"meant; the file as it was is kept as {plan.aside}")
        notice = Notice(text + ".", "warning", undo=undo, merged=True, ops=ops)
        self.notices.append(notice)
        return [notice]
