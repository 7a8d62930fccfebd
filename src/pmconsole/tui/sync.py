"""The storage thread: the console's event loop waits on the disk only to commit its own edits
(a one-row append to the live log), to retry those the disk would not take, and to rebuild a
live log deleted while open (rare); opening a session is done before the app runs, or in the
picker.

One long-lived thread per open session owns a replica of the pane's store (its own SQLite
connection and its own copy of the model, under the pane's origin: see SessionStore). Every
round (the app's POLL_SECONDS) it reads the log, keeps the heartbeat, notices a file changed outside pmconsole and
merges it, and writes the checkpoints it is asked for (a step change, every CHECKPOINT_EVERY
edits). It never touches the pane's model: what it finds goes to the app as a StorageNews
message, and the app applies it on its own thread (``apply``).

A live log deleted while open is rebuilt by the pane's store, from the session the pane holds
(the replica may lack edits the disk would not take); the thread then opens a new replica.
"""

from __future__ import annotations

import queue
import threading
import time

from textual.app import App

from pmconsole.storage.notices import Notice, SyncResult
from pmconsole.storage.session_store import SessionStore
from pmconsole.storage.toml_file import SessionFileError
from pmconsole.tui.messages import StorageNews

STOP, CHECKPOINT, REOPEN = "stop", "checkpoint", "reopen"
STOP_WITHIN = 10.0  # seconds to wait for a checkpoint under way when the app leaves
# A checkpoint asked for (a step change) is written once the screen has had this long to redraw:
# writing the TOML of a large session is Python work that shares the interpreter with the
# screen. Asked again meanwhile (steps in quick succession): one checkpoint, at most
# CHECKPOINT_WITHIN after the first ask. The edits are in the log already either way.
CHECKPOINT_SETTLE = 0.6
CHECKPOINT_WITHIN = 2.0


class StorageSync:
    """The storage thread of one open session, and how the app talks to it."""

    def __init__(self, app: App, store: SessionStore, every: float) -> None:
        self._app = app
        self._store = store
        self._every = every
        self._asks: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # -- the app's side (its thread) ---------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(self._store.applied_seq,), name="pmconsole-storage",
            daemon=True,
        )
        self._thread.start()

    def checkpoint_soon(self) -> None:
        """Write the TOML file from the log as it is now, without waiting for it."""
        self._asks.put((CHECKPOINT, 0))

    def stop(self) -> None:
        """Let go of the replica and end the thread (a checkpoint under way finishes first).
        The pane's store writes the last checkpoint when it closes."""
        if self._thread is None:
            return
        self._asks.put((STOP, 0))
        self._thread.join(STOP_WITHIN)
        self._thread = None

    def apply(self, news: StorageNews) -> SyncResult:
        """Bring the pane's store up to what the thread found; returns what changed, as a
        round of ``SessionStore.poll`` would."""
        store = self._store
        result = store.take(news.rows)
        result.notices.extend(news.notices)
        if news.read_only is not None:
            store.read_only = news.read_only
        if news.error:
            store.error = news.error
        if news.others is not None:
            store.others = news.others
        if news.log_replaced:
            rebuilt = store.poll()  # rebuilds the log from this pane's session
            result.ops.extend(rebuilt.ops)
            result.notices.extend(rebuilt.notices)
            self._asks.put((REOPEN, store.applied_seq))
        return result

    # -- the thread's side -------------------------------------------------------------------

    def _run(self, since: int) -> None:
        replica: SessionStore | None = None
        told: dict[str, object] = {"read_only": "", "error": "", "others": None, "trouble": ""}
        waiting = False  # for the pane's store to rebuild a replaced log
        asked_first = asked_last = 0.0  # when a checkpoint was asked for, first and last
        while True:
            asks = self._take_asks()
            if STOP in asks:
                break
            if REOPEN in asks:
                since, waiting = asks[REOPEN], False
            if CHECKPOINT in asks:
                asked_last = time.monotonic()
                asked_first = asked_first or asked_last
            if waiting:
                continue
            if replica is None:
                replica = self._open_replica(since)
                if replica is None:
                    continue
            result = SyncResult()
            try:
                result = replica.poll()
                if asked_first and not result.log_replaced and (
                    time.monotonic() - asked_last >= CHECKPOINT_SETTLE
                    or time.monotonic() - asked_first >= CHECKPOINT_WITHIN
                ):
                    asked_first = asked_last = 0.0
                    replica.checkpoint()
                news = StorageNews(rows=replica.rows_read, notices=result.notices,
                                   log_replaced=result.log_replaced)
                replica.rows_read = []
                for name, now in (("read_only", replica.read_only), ("error", replica.error),
                                  ("others", replica.other_panes())):
                    if told[name] != now:
                        setattr(news, name, now)
                        told[name] = now
                told["trouble"] = ""
            except Exception as err:  # never a thread that dies without a word, nor repeats it
                news = StorageNews()
                if told["trouble"] != str(err):
                    told["trouble"] = str(err)
                    news.notices.append(Notice(f"Saving trouble: {err}; retrying.", "error"))
            if result.log_replaced:
                replica.close(checkpoint=False)
                replica, waiting = None, True
            if (news.rows or news.notices or news.log_replaced or news.read_only is not None
                    or news.error is not None or news.others is not None):
                self._app.post_message(news)
        if replica is not None:
            replica.close(checkpoint=False)

    def _take_asks(self) -> dict[str, int]:
        """What the app asked since the last round, waiting up to a round for the first."""
        asks: dict[str, int] = {}
        try:
            kind, seq = self._asks.get(timeout=self._every)
            asks[kind] = seq
            while True:
                kind, seq = self._asks.get_nowait()
                asks[kind] = seq
        except queue.Empty:
            pass
        return asks

    def _open_replica(self, since: int) -> SessionStore | None:
        store = self._store
        try:
            replica = SessionStore(store.path, role=store.role, origin=store.origin,
                                   replica_from=since)
        except (SessionFileError, OSError):
            return None  # the file cannot be read this instant: the next round tries again
        if replica.error:  # the log cannot be joined this instant
            replica.close(checkpoint=False)
            return None
        # What opening found that the pane's store did not: a file changed in the moment
        # between the two opens, merged.
        merged = [notice for notice in replica.notices if notice.merged]
        if merged or replica.rows_read:
            self._app.post_message(StorageNews(rows=replica.rows_read, notices=merged))
            replica.rows_read = []
        return replica
