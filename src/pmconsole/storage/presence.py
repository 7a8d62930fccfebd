"""Which panes have a session open: each process that has it open writes a heartbeat into the
live log's ``panes`` table (its role, process id, when last seen, the step it shows), and reads
who else is there. A pane silent for PANE_TIMEOUT seconds counts as gone.

Never import Textual here.
"""

from __future__ import annotations

import os
import sqlite3
import time

PANE_TIMEOUT = 5.0  # seconds without a heartbeat before a pane counts as gone
HEARTBEAT_EVERY = 1.5


def heartbeat(conn: sqlite3.Connection, origin: str, role: str, step: int) -> None:
    """Say this pane is here, now, on ``step``."""
    conn.execute(
        "INSERT OR REPLACE INTO panes (origin, role, pid, seen, step) VALUES (?,?,?,?,?)",
        (origin, role, os.getpid(), time.time(), step),
    )


def other_panes(conn: sqlite3.Connection, origin: str) -> list[str]:
    """The roles of the other processes that have this session open now."""
    try:
        rows = conn.execute(
            "SELECT role FROM panes WHERE origin != ? AND seen > ?",
            (origin, time.time() - PANE_TIMEOUT),
        ).fetchall()
    except sqlite3.Error:
        return []
    return sorted(r[0] for r in rows)


def leave(conn: sqlite3.Connection, origin: str) -> None:
    """This pane lets go of the session."""
    try:
        conn.execute("DELETE FROM panes WHERE origin = ?", (origin,))
    except sqlite3.Error:
        pass
