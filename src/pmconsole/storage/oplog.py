"""The live edit log beside a session file (``incident.pmlog``, SQLite in WAL mode): its schema,
opening it safely, appending edits, reading them back in commit order, and the checkpoints
table that says which TOML file holds the log up to which edit.

An edit counts as saved once the log has committed it. Each row carries a CRC of its body, so a
damaged entry is skipped rather than applied. The functions here take the connection they work
on; ``SessionStore`` owns it and says from which thread it is used.

Never import Textual here.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import time
import tomllib
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from pmconsole.domain.model import Session
from pmconsole.domain.ops import LiveSession, Op
from pmconsole.storage.toml_file import is_regular_or_absent, parse_session, read_bytes

KEEP_BASES = 20  # checkpoints kept whole, to merge a hand edit against the one it came from

SCHEMA = """
CREATE TABLE IF NOT EXISTS ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    body TEXT NOT NULL,
    crc INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    sha256 TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    landed INTEGER NOT NULL DEFAULT 0,
    toml BLOB
);
CREATE TABLE IF NOT EXISTS panes (
    origin TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    pid INTEGER NOT NULL,
    seen REAL NOT NULL,
    step INTEGER NOT NULL DEFAULT 0
);
"""

Row = tuple[int, str, str, int]  # seq, origin, body, crc: one committed edit as the log holds it


def log_path_for(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".toml") + ".pmlog")


def log_files(log: Path) -> list[Path]:
    """The live log and the files SQLite and pmconsole keep beside it."""
    return [log.with_name(log.name + side) for side in ("", "-wal", "-shm", "-lock")]


def connect(log_path: Path) -> sqlite3.Connection:
    """Open the live log (created owner-only if missing) in WAL mode with its tables."""
    strange = [p for p in log_files(log_path) if not is_regular_or_absent(p)]
    if strange:
        # SQLite would open a FIFO and wait for ever, or write through a planted link.
        raise OSError(f"{strange[0]} is not a regular file; pmconsole does not use it")
    try:
        # Create it owner-only before SQLite opens it.
        fd = os.open(log_path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
        # A write-ahead file left by a log deleted while open is not this log's: SQLite
        # would read the old log's pages from it into the new one.
        for side in ("-wal", "-shm"):
            try:
                os.unlink(log_path.with_name(log_path.name + side))
            except FileNotFoundError:
                pass
    conn = sqlite3.connect(log_path, timeout=10.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # One transaction for the three tables: one sync of the log, not three, when a
        # session is opened for the first time (each is ~0.4 ms here, far more on a slow
        # laptop disk).
        conn.executescript(f"BEGIN; {SCHEMA} COMMIT;")
        conn.execute("SELECT count(*) FROM ops").fetchone()
    except sqlite3.Error:
        conn.close()
        raise
    for side in ("-wal", "-shm"):
        side_path = log_path.with_name(log_path.name + side)
        if side_path.exists():
            try:
                os.chmod(side_path, 0o600)
            except OSError:
                pass
    return conn


def is_damage(err: sqlite3.Error) -> bool:
    """A log that is damaged (corrupt, or not a database), as against busy or locked."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    text = str(err).lower()
    return "malformed" in text or "not a database" in text


def damaged_in_place(log_path: Path, size_before: int) -> tuple[bool, int]:
    """Whether the live log was emptied or cut short in place (``: > NAME.pmlog`` keeps its
    name and inode, so only its size tells: SQLite never shrinks the log), and its size now.
    A log not there at all is another matter (deleted), told by its inode.

    Only ``stat``, never ``open``: closing any descriptor of the log in this process would let
    go of the locks SQLite holds on it through its own, and another process could then take
    the log for unused and delete its write-ahead file."""
    try:
        size = os.stat(log_path).st_size
    except OSError:
        return False, size_before
    return size < size_before, size


def set_aside(log_path: Path) -> Path:
    """Move a damaged log (and its write-ahead files) out of the way; returns its new name."""
    aside = log_path.with_name(f"{log_path.name}.broken-{int(time.time())}")
    for side in ("", "-wal", "-shm"):
        src = log_path.with_name(log_path.name + side)
        if src.exists():
            os.replace(src, aside.with_name(aside.name + side))
    return aside


@contextmanager
def file_lock(lock_path: Path) -> Iterator[None]:
    """Serialise checkpoints and merges between processes (and between the stores of one)."""
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# -- edits -------------------------------------------------------------------------------------


def append(conn: sqlite3.Connection, origin: str, ops: list[Op]) -> None:
    """Add edits to the log; the caller holds the transaction they commit in."""
    rows = []
    for op in ops:
        body = json.dumps(op, ensure_ascii=False, separators=(",", ":"))
        rows.append((origin, body, zlib.crc32(body.encode("utf-8"))))
    conn.executemany("INSERT INTO ops (origin, body, crc) VALUES (?, ?, ?)", rows)


def rows_after(conn: sqlite3.Connection, seq: int) -> list[Row]:
    """Every edit committed after ``seq``, in commit order."""
    return conn.execute(
        "SELECT seq, origin, body, crc FROM ops WHERE seq > ? ORDER BY seq", (seq,)
    ).fetchall()


def decode(body: str, crc: int) -> Op | None:
    """The edit a row holds, or None for a damaged entry."""
    if zlib.crc32(body.encode("utf-8")) != crc:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


# -- checkpoints -------------------------------------------------------------------------------


def record_checkpoint(
    conn: sqlite3.Connection, sha: str, seq: int, data: bytes, *, landed: bool
) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO checkpoints (sha256, seq, landed, toml) VALUES (?,?,?,?)",
            (sha, seq, int(landed), data),
        )
        if landed:
            _forget_old_bases(conn, sha)


def _forget_old_bases(conn: sqlite3.Connection, keep: str) -> None:
    # A hand edit is merged against the checkpoint it was made from: the newest
    # KEEP_BASES checkpoints keep their text for that (an editor or a branch holding an
    # older one); older ones keep only their hash and place in the log.
    conn.execute(
        "UPDATE checkpoints SET toml = NULL WHERE toml IS NOT NULL AND sha256 != ? AND "
        "sha256 NOT IN (SELECT sha256 FROM checkpoints WHERE landed = 1 AND toml IS NOT "
        "NULL ORDER BY seq DESC LIMIT ?)",
        (keep, KEEP_BASES),
    )


def checkpoint_of(conn: sqlite3.Connection, sha: str) -> tuple[int, bool] | None:
    """Where in the log a file with this hash was written (its seq), and whether it landed."""
    row = conn.execute(
        "SELECT seq, landed FROM checkpoints WHERE sha256 = ?", (sha,)
    ).fetchone()
    return (row[0], bool(row[1])) if row else None


def latest_base(conn: sqlite3.Connection) -> tuple[int, bytes] | None:
    """The newest checkpoint kept whole: its seq and its TOML."""
    row = conn.execute(
        "SELECT seq, toml FROM checkpoints WHERE landed = 1 AND toml IS NOT NULL "
        "ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    return (row[0], row[1]) if row else None


def latest_checkpoint_seq(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT coalesce(max(seq), 0) FROM checkpoints WHERE landed = 1"
    ).fetchone()[0]


def first_checkpoint_seq(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT coalesce(min(seq), 0) FROM checkpoints WHERE landed = 1"
    ).fetchone()[0]


def bases(conn: sqlite3.Connection) -> list[bytes]:
    """The TOML of every checkpoint kept whole, newest first."""
    return [row[0] for row in conn.execute(
        "SELECT toml FROM checkpoints WHERE landed = 1 AND toml IS NOT NULL ORDER BY seq DESC"
    )]


def some_bases_let_go(conn: sqlite3.Connection) -> bool:
    """Whether older checkpoints than those kept whole were written (their text let go)."""
    return bool(conn.execute(
        "SELECT count(*) FROM checkpoints WHERE landed = 1 AND toml IS NULL"
    ).fetchone()[0])


# -- reading without opening -------------------------------------------------------------------


def read_snapshot(
    path: Path | str, said: list[str] | None = None, *,
    loads: Callable[[str], dict[str, Any]] = tomllib.loads,
) -> Session:
    """The session as every open pane sees it (the file plus the log beyond its checkpoint),
    read without creating or writing anything: for commands that only look, or look first.
    A file changed outside pmconsole is shown as it is on disk (merging it is a write, left to
    the next command that edits); ``said``, when given, gets a sentence saying so. ``loads``
    is the TOML parser (``parse_session``)."""
    path = Path(path)
    data = read_bytes(path)
    session = parse_session(data, path, loads=loads)
    log = log_path_for(path)
    if not log.exists() or not all(map(is_regular_or_absent, log_files(log))):
        return session  # no log, or one that is not a file of ours: the file is what we know
    try:
        conn = sqlite3.connect(f"file:{log}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error:
        return session
    try:
        row = checkpoint_of(conn, hashlib.sha256(data).hexdigest())
        newest = latest_checkpoint_seq(conn)
        if row is None or row[0] < newest:
            # Changed outside pmconsole, or an earlier version put back: the file is what we
            # know for sure. The next command that edits merges it with the log.
            if said is not None:
                beyond = conn.execute(
                    "SELECT count(*) FROM ops WHERE seq > ?", (newest,)
                ).fetchone()[0]
                said.append(
                    f"{path.name} was changed outside pmconsole and is shown as it is on disk"
                    + (f", without the {beyond} edit(s) in the log since it was last saved"
                       if beyond else "")
                    + "; the next command that edits it merges the two"
                )
            return session
        live = LiveSession(session)
        for _seq, _origin, body, crc in rows_after(conn, row[0]):
            op = decode(body, crc)
            if op is not None:
                try:
                    live.apply(op)
                except ValueError:
                    pass
        return live.session
    except sqlite3.Error:
        return session
    finally:
        conn.close()
