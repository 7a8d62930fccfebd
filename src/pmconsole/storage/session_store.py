"""Where a session lives on disk: the TOML file, and the live operation log beside it.

The TOML file (``incident.toml``) is what people read, diff and keep in git. While a session is
open, every edit from every process goes first into a shared operation log beside it
(``incident.pmlog``, SQLite in WAL mode); an edit counts as saved once the log has committed it.
Every process applies the log in commit order, so all panes converge. The TOML file is a
checkpoint: rewritten atomically from the merged state at step changes, on exit and after a
bounded number of edits. Opening a session replays what the log holds beyond the checkpoint.

A TOML file changed on disk by someone else (a hand edit, ``git pull``, an earlier version put
back) is noticed: the change is turned into edits against the checkpoint it was made from and
merged; while it cannot be read, the session is read-only rather than overwrite it. A live log
deleted while open is built again from the open session.

Add ``*.pmlog*`` to the team's ``.gitignore``: the log and its lock are per-machine.

``SessionStore`` ties together the parts that live beside it: the TOML file (toml_file), the
log (oplog), who else has the session open (presence), a file changed outside pmconsole
(hand_edits) and a log that goes wrong (recovery).

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Callable

from pmconsole.domain.model import Session
from pmconsole.domain.ops import LiveSession, Op, describe, inverse
from pmconsole.storage import hand_edits, oplog, presence
from pmconsole.storage.notices import Notice, ReadOnlySession, SyncResult
from pmconsole.storage.hand_edits import MergesHandEdits
from pmconsole.storage.recovery import LogRecovery
from pmconsole.storage.oplog import log_path_for
from pmconsole.storage.toml_file import (
    NewerSchemaError,
    SessionFileError,
    atomic_write,
    dump_session,
    parse_session,
    read_bytes,
)

CHECKPOINT_EVERY = 200  # edits between TOML checkpoints, at the latest
CONFLICT_WINDOW = 10.0  # seconds in which another pane's write over ours earns a notice


class SessionStore(LogRecovery, MergesHandEdits):
    """One open session: the live model, the log it is kept in, and the TOML checkpoint.

    Use from one thread: each store owns its SQLite connection and its model. ``edit``
    commits and applies; ``poll`` (call it every 100-250 ms) brings in other processes' edits,
    keeps the heartbeat and notices hand edits of the file.

    The console does the disk's slow work off its event loop with a second store, a replica
    (``replica_from``), owned by its storage thread (tui/sync.py): the replica keeps the
    heartbeat, reads the log, writes checkpoints and merges hand edits from its own copy of
    the model, and hands the edits it read to the pane's store (``take``), which applies them
    on the pane's thread. The pane's store only commits its own edits.
    """

    def __init__(
        self, path: Path | str, *, role: str = "facilitator", keep_acknowledged: bool = False,
        origin: str | None = None, replica_from: int | None = None,
    ) -> None:
        """``keep_acknowledged``: when a file changed on disk cannot be told apart from
        several versions, or puts back an earlier one, merge only the fields it changes and
        the records it brings back, deleting none (the command line, where no one can be
        asked). Without it (the console) the whole change is merged and the notice carries
        its undo.

        ``replica_from``: open a replica of a pane's store that has applied the log up to
        that edit, under the pane's ``origin``. It gathers in ``rows_read`` every edit after
        it, for the pane's store to ``take``; it tells nothing of them itself, and leaves a
        log deleted while open to the pane's store to rebuild (``SyncResult.log_replaced``)."""
        self.path = Path(path)
        self.keep_acknowledged = keep_acknowledged
        self.log_path = log_path_for(self.path)
        self.lock_path = self.log_path.with_name(self.log_path.name + "-lock")
        self.role = role
        self.origin = origin or uuid.uuid4().hex
        self.replica = replica_from is not None
        self.rows_read: list[oplog.Row] = []  # a replica's reading, not yet handed over
        # The other panes as the storage thread last saw them; None: ask the log.
        self.others: list[str] | None = None
        self.read_only: str = ""  # why edits are refused, "" when they are not
        self.error: str = ""  # the last failure to save, "" when saved
        self.notices: list[Notice] = []  # found while opening
        self.pending: list[Op] = []  # edits not yet committed (disk trouble); retried
        # While a list, each edit puts the operations that undo it at its front (App.undoable).
        self.recording: list[Op] | None = None
        self.applied_seq = 0
        self.edits_since_checkpoint = 0
        self._conn: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self._last_heartbeat = 0.0
        self._file_stat: tuple[int, int, int] | None = None
        # A change to the file left for the facilitator's pane to merge (see _merge_file_change).
        self.merge_left_to_facilitator = False
        self._unreadable_file = False  # read-only until the file changed on disk reads again
        self._log_identity: tuple[int, int] | None = None  # the live log's device and inode
        self._log_size = 0  # its size at the last look (see oplog.damaged_in_place)
        self._mine: dict[tuple[str, str, str], float] = {}
        self._open()
        if replica_from is not None and self._conn is not None:
            # From where the pane's store is, not from the file's checkpoint: another pane
            # may have written one since the pane opened.
            self.rows_read = oplog.rows_after(self._conn, replica_from)

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> None:
        data = read_bytes(self.path)
        try:
            session = parse_session(data, self.path)
        except NewerSchemaError as err:
            session = parse_session(data, self.path, allow_newer=True)
            self.read_only = err.message
            self.notices.append(Notice(f"{self.path.name} {err.message}.", "warning"))
        self.live = LiveSession(session)
        if self.read_only:
            return
        try:
            self._connect_when_free()
        except sqlite3.DatabaseError as err:
            if not oplog.is_damage(err):
                # Busy or locked (another pane opening the same log this instant) is not
                # damage: setting the log aside would take it from under that pane.
                self._log_unavailable(err)
                return
            self._set_aside_broken_log(err)
            try:
                self._connect()
            except sqlite3.Error as err2:
                self._log_unavailable(err2)
                return
        except (sqlite3.Error, OSError) as err:
            self._log_unavailable(err)
            return
        self._catch_up(data)
        self._remember_file_stat()

    def _connect(self) -> None:
        self._conn = oplog.connect(self.log_path)
        self._log_identity = self._log_stat()
        self._log_size = 0  # as far as we know: damaged_in_place learns it at the next poll

    def _log_stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.log_path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _catch_up(self, data: bytes) -> None:
        """Bring the model from the file on disk up to the end of the log. Decided under the
        file lock, on the file as it is then: a checkpoint another process wrote since we read
        it is not taken for an earlier version put back."""
        assert self._conn is not None
        with oplog.file_lock(self.lock_path):
            now = read_bytes(self.path)
            if now != data:
                data = now
                self.live = LiveSession(parse_session(data, self.path))
            sha = hashlib.sha256(data).hexdigest()
            row = oplog.checkpoint_of(self._conn, sha)
            newest = oplog.latest_base(self._conn)
            if row is not None and (newest is None or row[0] >= newest[0]):
                self.applied_seq = row[0]
                if not row[1]:
                    # A crash between a checkpoint's rename and its record left it unmarked.
                    oplog.record_checkpoint(self._conn, sha, row[0], data, landed=True)
            elif newest is None:
                # A log with no checkpoint (new, or set aside): the file is the starting point,
                # and anything in the log was made against it.
                oplog.record_checkpoint(self._conn, sha, 0, data, landed=True)
            else:
                # The file changed since our last checkpoint (by hand or by git, or an earlier
                # checkpoint put back) while no one had it open: start from the last checkpoint
                # we wrote and merge the change as edits.
                self.live = LiveSession(hand_edits.base_session(self._conn, self.path))
                self.applied_seq = newest[0]
                self._sync_ops()
                self._merge_file_change(locked=True)
                return
        self._sync_ops()

    # -- editing ---------------------------------------------------------------------------

    @property
    def session(self) -> Session:
        return self.live.session

    def edit(self, *ops: Op, guard: Callable[[Session], None] | None = None) -> None:
        """Validate, commit and apply edits, as one. Raises OpError for an edit that does not fit
        (nothing is changed then) and PermissionError-like ``ReadOnlySession`` when read-only.

        ``guard`` checks a rule of the method that concurrent edits could break (at most
        seven open actions): it is given the session with every committed edit, inside the
        same write transaction as the commit, so no other process commits between the check
        and the edit. It raises to refuse; nothing is changed then."""
        if self.read_only:
            raise ReadOnlySession(self.read_only)
        if guard is not None and self._flush() and self._conn is not None:
            self._edit_guarded(ops, guard)
            return
        if guard is not None:
            guard(self.session)  # the log is out of reach: the edit waits in memory
        normal = [self.live.normalise(op) for op in ops]
        if self.recording is not None:
            self.recording[:0] = inverse(self.live, normal)
        now = time.monotonic()
        for op in normal:
            if op["op"] == "set":
                self._mine[(op["c"], op.get("id", ""), op["f"])] = now
        self.pending.extend(normal)
        if not self._flush():
            # Not durable yet: show it now, commit it when the disk lets us.
            for op in normal:
                self.live.apply(op)

    def _flush(self) -> bool:
        if not self.pending:
            return True
        if self._conn is None:
            try:
                self._connect()
                self._catch_up_after_reconnect()
            except (sqlite3.Error, OSError) as err:
                self.error = f"not saved — {err}; retrying"
                return False
        assert self._conn is not None
        try:
            with oplog.transaction(self._conn):
                oplog.append(self._conn, self.origin, self.pending)
        except (sqlite3.Error, OSError) as err:
            self.error = f"not saved — {err}; retrying"
            return False
        self.edits_since_checkpoint += len(self.pending)
        self.pending.clear()
        self.error = ""
        self._sync_ops()
        return True

    def _edit_guarded(self, ops: tuple[Op, ...], guard: Callable[[Session], None]) -> None:
        assert self._conn is not None
        try:
            with oplog.transaction(self._conn):
                self._sync_ops()  # under the write lock: every edit committed before ours
                guard(self.session)
                normal = [self.live.normalise(op) for op in ops]
                undo = inverse(self.live, normal)
                oplog.append(self._conn, self.origin, normal)
        except (sqlite3.Error, OSError) as err:
            # The log cannot take it now: checked against what we know, kept and retried.
            self.error = f"not saved — {err}; retrying"
            guard(self.session)
            normal = [self.live.normalise(op) for op in ops]
            if self.recording is not None:
                self.recording[:0] = inverse(self.live, normal)
            self.pending.extend(normal)
            for op in normal:
                self.live.apply(op)
            return
        if self.recording is not None:
            self.recording[:0] = undo
        self.edits_since_checkpoint += len(normal)
        self.error = ""
        self._sync_ops()

    # -- reading what others did -----------------------------------------------------------

    def _sync_ops(self) -> SyncResult:
        if self._conn is None:
            return SyncResult()
        rows = oplog.rows_after(self._conn, self.applied_seq)
        if self.replica:
            self.rows_read.extend(rows)
            return SyncResult(ops=self._apply(rows).ops)  # the pane's store tells of them
        return self._apply(rows)

    def take(self, rows: list[oplog.Row]) -> SyncResult:
        """Apply edits a replica read from the log (its ``rows_read``), in commit order, on
        this store's thread; those already applied here (by an edit's own commit) are passed
        over."""
        return self._apply([row for row in rows if row[0] > self.applied_seq])

    def _apply(self, rows: list[oplog.Row]) -> SyncResult:
        result = SyncResult()
        bad = 0
        now = time.monotonic()
        for seq, origin, body, crc in rows:
            self.applied_seq = seq
            op = oplog.decode(body, crc)
            if op is None:
                bad += 1
                continue
            foreign = origin != self.origin
            if foreign and op.get("op") == "set":
                key = (op.get("c", ""), op.get("id", ""), op.get("f", ""))
                mine_at = self._mine.get(key)
                if mine_at is not None and now - mine_at < CONFLICT_WINDOW:
                    result.notices.append(
                        Notice(
                            f"Another pane changed {describe(op)} just after you; "
                            "their version is kept.",
                            "warning",
                        )
                    )
                    del self._mine[key]
            if self.live.apply(op) and foreign:
                result.ops.append(op)
        if bad:
            result.notices.append(
                Notice(
                    f"{bad} damaged entr{'y' if bad == 1 else 'ies'} in {self.log_path.name} "
                    "skipped; everything else is intact.",
                    "warning",
                )
            )
        return result

    def poll(self) -> SyncResult:
        """Cheap check for others' edits (``PRAGMA data_version``), retry of unsaved edits,
        the heartbeat, and a look at the TOML file for changes made by hand or by git."""
        result = SyncResult()
        damaged = False
        if self._conn is not None and not self.read_only:
            damaged, self._log_size = oplog.damaged_in_place(self.log_path, self._log_size)
        if self._conn is not None and not self.read_only and (
            self._log_stat() != self._log_identity or damaged
        ):
            if self.replica:
                return SyncResult(log_replaced=True)
            result = self._rebuild_log(damaged=damaged)
        if self.pending:
            self._flush()
        if self._unreadable_file and self._conn is not None and self._file_changed():
            # The file that could not be read changed again (the second half of a save
            # landed, someone fixed it): look again, and edit again if it reads now.
            self.read_only = ""
            self._unreadable_file = False
            try:
                result.notices.extend(self._merge_file_change())
            except (sqlite3.Error, OSError, SessionFileError) as err:
                self.read_only = f"{self.path.name} cannot be read: {err}"
                self._unreadable_file = True
            if not self.read_only:
                result.notices.append(Notice(
                    f"{self.path.name} can be read again; editing goes on.", "information"))
        if self._conn is None or self.read_only:
            return result
        try:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._data_version = version
                synced = self._sync_ops()
                result.ops.extend(synced.ops)
                result.notices.extend(synced.notices)
            now = time.monotonic()
            if now - self._last_heartbeat >= presence.HEARTBEAT_EVERY:
                self._heartbeat()
                self._last_heartbeat = now
            if self._file_changed():
                result.notices.extend(self._merge_file_change())
        except (sqlite3.Error, OSError) as err:
            self.error = f"live log trouble — {err}; retrying"
        except SessionFileError as err:
            self.read_only = str(err)
            self._unreadable_file = True
        return result

    def _heartbeat(self) -> None:
        assert self._conn is not None
        presence.heartbeat(self._conn, self.origin, self.role, self.session.meeting.current_step)

    def other_panes(self) -> list[str]:
        """The roles of the other processes that have this session open now."""
        if self.others is not None:
            return self.others
        if self._conn is None:
            return []
        return presence.other_panes(self._conn, self.origin)

    # -- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, *, force: bool = False) -> bool:
        """Rewrite the TOML file from the merged state, if the log has moved on since the last
        checkpoint. Returns True when the file was written."""
        if self.read_only or self._conn is None:
            return False
        try:
            self._flush()
            with oplog.file_lock(self.lock_path):
                self._sync_ops()
                if self._file_changed() and self._merge_file_change(locked=True):
                    return True  # merged, and written back at once
                if self.merge_left_to_facilitator and self._file_changed():
                    return False  # the facilitator's pane decides on the file first
                # Unchanged, or another pane's (or this pane's replica's) checkpoint: ours may
                # hold later edits.
                return self._write_checkpoint(force=force)
        except (sqlite3.Error, OSError) as err:
            self.error = f"checkpoint of {self.path.name} failed — {err}; retrying"
            return False
        except SessionFileError as err:
            self.read_only = str(err)
            self._unreadable_file = True
            return False

    def _write_checkpoint(self, *, force: bool = False) -> bool:
        """The checkpoint itself; the caller holds the file lock."""
        assert self._conn is not None
        if self.applied_seq <= oplog.latest_checkpoint_seq(self._conn) and not force:
            self.edits_since_checkpoint = 0
            return False
        data = dump_session(self.session)
        sha = hashlib.sha256(data).hexdigest()
        # Record the checkpoint before the rename, so a crash between the two still leaves a
        # file the log recognises.
        oplog.record_checkpoint(self._conn, sha, self.applied_seq, data, landed=False)
        atomic_write(self.path, data, through_link=True)  # opened through it: the user's link
        oplog.record_checkpoint(self._conn, sha, self.applied_seq, data, landed=True)
        self.edits_since_checkpoint = 0
        self._remember_file_stat()
        return True

    def maybe_checkpoint(self) -> bool:
        if self.edits_since_checkpoint >= CHECKPOINT_EVERY:
            return self.checkpoint()
        return False

    # -- hand edits and git ----------------------------------------------------------------

    # -- closing ---------------------------------------------------------------------------

    def close(self, *, checkpoint: bool = True) -> None:
        """Checkpoint and let go. Edits already committed stay in the log either way."""
        if self._conn is None:
            return
        if checkpoint:
            self.checkpoint()
        presence.leave(self._conn, self.origin)
        self._conn.close()
        self._conn = None

