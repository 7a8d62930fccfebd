"""When the live log goes wrong under an open session: a log busy for a moment waited out, a
damaged one set aside, one that cannot be opened retried later (edits kept in memory), one
deleted or replaced while open built again from the pane's session.

``LogRecovery`` is the part of ``SessionStore`` that does this; it works on the store's own
state and is never used alone.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pmconsole.domain.ops import LiveSession, Op, diff
from pmconsole.storage import oplog
from pmconsole.storage.notices import Notice, SyncResult
from pmconsole.storage.toml_file import SessionFileError, parse_session, read_bytes


# How long opening the live log waits for another process that holds it, in all.
CONNECT_PATIENCE = 15.0


class LogRecovery:
    """Waiting out, setting aside, reopening and rebuilding the live log of a SessionStore."""

    if TYPE_CHECKING:  # the SessionStore state this works on
        path: Path
        log_path: Path
        lock_path: Path
        live: LiveSession
        pending: list[Op]
        notices: list[Notice]
        error: str
        applied_seq: int
        _conn: sqlite3.Connection | None
        _data_version: int | None

        def _connect(self) -> None: ...
        def _sync_ops(self) -> SyncResult: ...
        def _flush(self) -> bool: ...
        def _file_changed(self) -> bool: ...
        def _write_checkpoint(self, *, force: bool = False) -> bool: ...

    def _connect_when_free(self, attempts: int = 50) -> None:
        """Connect, waiting out another process that holds the log for a moment (SQLite does
        not always wait by itself while a log is created or switched to WAL), for
        ``CONNECT_PATIENCE`` seconds at most: a log held for longer gets a message, not a
        command that hangs for minutes."""
        give_up = time.monotonic() + CONNECT_PATIENCE
        for attempt in range(attempts):
            try:
                self._connect()
                return
            except sqlite3.OperationalError as err:
                if (oplog.is_damage(err) or attempt == attempts - 1
                        or time.monotonic() > give_up):
                    raise
                time.sleep(0.05 * (1 + attempt % 4))

    def _rebuild_log(self, *, damaged: bool = False) -> SyncResult:
        """The live log was deleted or replaced while open (its name no longer leads to the
        file we write): what we hold is the session as far as we know it, so the log is
        built again from it. The old one is let go; a new one (made by a command meanwhile,
        or made now) gets the edits it holds applied over ours, then our whole session as its
        checkpoint, written to the TOML file at once."""
        assert self._conn is not None
        old, self._conn = self._conn, None
        aside = ""
        if damaged:
            # Emptied or overwritten in place: set it aside before our connection lets go
            # (closing writes our pages back into it), so a new log is made in its place.
            try:
                aside = oplog.set_aside(self.log_path).name
            except OSError:
                pass
        try:
            old.close()
        except sqlite3.Error:
            pass
        self._data_version = None
        try:
            with oplog.file_lock(self.lock_path):
                self._connect_when_free()
                assert self._conn is not None
                # Every edit made since the new log began (it began from a file we had
                # written, or had merged): ours holds all but those.
                self.applied_seq = oplog.first_checkpoint_seq(self._conn)
                result = self._sync_ops()
                # The file written since we last looked at it (a command's checkpoint, with an
                # edit it made just before the log went) may hold records this pane never saw:
                # they are kept. Its other differences are not taken: the file may be older
                # than what this pane committed to the log that went.
                if self._file_changed():
                    on_disk = parse_session(read_bytes(self.path), self.path)
                    missing = [op for op in diff(self.live.session, on_disk) if op["op"] == "add"
                               and self.live.get(op["c"], op["v"]["id"]) is None]
                    self.pending.extend(missing)
                    result.ops.extend(missing)
                self._flush()
                self._write_checkpoint(force=True)
        except (sqlite3.Error, OSError, SessionFileError) as err:
            self.error = f"the live log {self.log_path.name} went away and cannot be made " \
                         f"again — {err}; retrying"
            return SyncResult(notices=[Notice(f"{self.error}. Edits are kept in memory.", "error")])
        what = (f"was emptied or overwritten while open (set aside as {aside})" if aside
                else "was deleted or replaced while open")
        result.notices.append(Notice(
            f"The live log {self.log_path.name} {what}; it was "
            f"built again from this pane's session and {self.path.name} rewritten: nothing "
            "acknowledged is lost.", "warning"))
        return result

    def _set_aside_broken_log(self, err: Exception) -> None:
        aside = oplog.set_aside(self.log_path)
        self.notices.append(
            Notice(
                f"The live log {self.log_path.name} was damaged ({err}); it was set aside as "
                f"{aside.name} and the session opened from {self.path.name}.",
                "warning",
            )
        )

    def _log_unavailable(self, err: Exception) -> None:
        self._conn = None
        self.error = f"cannot open the live log {self.log_path}: {err}"
        self.notices.append(
            Notice(f"Edits are kept in memory and retried: {self.error}", "error")
        )

    def _catch_up_after_reconnect(self) -> None:
        """The log became reachable after failing at open. Our model is the file plus our own
        unsaved edits; the log's edits beyond the file's checkpoint are replayed over it."""
        assert self._conn is not None
        data = read_bytes(self.path)
        sha = hashlib.sha256(data).hexdigest()
        row = oplog.checkpoint_of(self._conn, sha)
        base = oplog.latest_base(self._conn)
        if row is not None:
            self.applied_seq = row[0]
        elif base is None:
            with oplog.file_lock(self.lock_path):
                oplog.record_checkpoint(self._conn, sha, 0, data, landed=True)
        else:
            self.applied_seq = base[0]
