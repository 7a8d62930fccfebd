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

Never import Textual here.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import stat
import tempfile
import time
import tomllib
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

import tomli_w
from pydantic import ValidationError

from pmconsole.domain.model import COLLECTIONS, SCHEMA_VERSION, Session, counted
from pmconsole.domain.ops import LiveSession, Op, OpError, describe, diff, inverse

MAX_SESSION_BYTES = 64 * 1024 * 1024
_RECORD_LISTS = frozenset(COLLECTIONS)
CHECKPOINT_EVERY = 200  # edits between TOML checkpoints, at the latest
PANE_TIMEOUT = 5.0  # seconds without a heartbeat before a pane counts as gone
HEARTBEAT_EVERY = 1.5
CONFLICT_WINDOW = 10.0  # seconds in which another pane's write over ours earns a notice
KEEP_BASES = 20  # checkpoints kept whole, to merge a hand edit against the one it came from


class SessionFileError(Exception):
    """A session file that cannot be used, with the file and (where known) the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class NewerSchemaError(SessionFileError):
    """A file written by a newer pmconsole: it may be read, never written."""


# -- the TOML file -----------------------------------------------------------------------------


def open_regular(path: Path, limit: int | None, what: str = "a session file") -> BinaryIO:
    """Open a file for reading only if it is a regular file of at most ``limit`` bytes (None:
    the caller checks the size itself, from the same open file).

    The one reader of every file pmconsole reads itself: sessions, the settings, import sources
    (SQLite opens the live log: ``is_regular_or_absent`` guards that). Opened without blocking
    (a FIFO would wait for a writer for ever) and judged by ``fstat`` of what was opened, so a
    FIFO, a device (a link to /dev/zero would never end) or a folder is refused by name before
    a byte is read. Raises SessionFileError."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if path.is_symlink():
            raise SessionFileError(path, "is a symbolic link to a file that does not exist") from None
        raise SessionFileError(path, "no such file") from None
    except PermissionError:
        raise SessionFileError(path, "permission denied") from None
    except OSError as err:
        raise SessionFileError(path, err.strerror or str(err)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise SessionFileError(path, f"is a folder, not {what}")
        if not stat.S_ISREG(st.st_mode):
            raise SessionFileError(path, f"is {_kind_of(st.st_mode)}, not {what}; it was not read")
        if limit is not None and st.st_size > limit:
            raise SessionFileError(
                path, f"is {size_text(st.st_size)}; {what} is at most {size_text(limit)}"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def size_text(n: int) -> str:
    """A size as people read it: 310 bytes, 4.5 KiB, 64 MiB."""
    if n < 1024:
        return counted(n, "byte")
    unit, scale = ("KiB", 1024) if n < 1024 * 1024 else ("MiB", 1024 * 1024)
    return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a regular file"


def read_regular(path: Path, limit: int, what: str = "a session file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (``open_regular``); a file that
    grows past the limit while it is read is refused too."""
    path = Path(path)
    try:
        with open_regular(path, limit, what) as f:
            data = f.read(limit + 1)
    except OSError as err:
        raise SessionFileError(path, err.strerror or str(err)) from None
    if len(data) > limit:
        raise SessionFileError(path, f"grew past {size_text(limit)} while it was read")
    return data


def read_bytes(path: Path) -> bytes:
    """A session file's bytes, with every way of not being a readable session file said
    plainly (``read_regular``, at most MAX_SESSION_BYTES)."""
    return read_regular(path, MAX_SESSION_BYTES)


def is_regular_or_absent(path: Path) -> bool:
    """True when ``path`` is a regular file (not a link to one) or does not exist: what a live
    log and its side files must be before SQLite opens them, which it does blocking and
    following links."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True


def parse_session(data: bytes, path: Path, *, allow_newer: bool = False) -> Session:
    """Bytes of a session file to a Session, or a SessionFileError naming the line."""
    if not data.strip():
        raise SessionFileError(path, "is empty; expected a pmconsole session (TOML)")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # an editor's byte order mark
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SessionFileError(path, "is not UTF-8 text", line) from None
    try:
        raw = tomllib.loads(text)
    except RecursionError:
        raise SessionFileError(path, "is not a session file: its arrays or tables nest too deeply") from None
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise SessionFileError(path, f"is not valid TOML: {message}", line) from None
    version = raw.get("schema_version")
    if "schema_version" in raw and (not isinstance(version, int) or isinstance(version, bool)):
        raise SessionFileError(
            path,
            f"schema_version must be a whole number, like schema_version = {SCHEMA_VERSION}, "
            f"not {version!r:.40}",
            _line_of(text, ("schema_version",)),
        )
    if not isinstance(version, int) or isinstance(version, bool):
        raise SessionFileError(
            path,
            "has no schema_version; is this a pmconsole session file?",
            _line_of(text, ("schema_version",)),
        )
    if version < 1:
        raise SessionFileError(
            path, f"schema_version {version} is not a pmconsole version (they start at 1)",
            _line_of(text, ("schema_version",)),
        )
    if version > SCHEMA_VERSION:
        newer = NewerSchemaError(
            path,
            f"was written by a newer pmconsole (schema_version {version}, this one knows "
            f"{SCHEMA_VERSION}); it opens read-only — upgrade pmconsole to edit it",
        )
        if not allow_newer:
            raise newer
        raw = _drop_unknown(raw, Session)
        raw["schema_version"] = SCHEMA_VERSION
    try:
        return Session.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        loc = tuple(first.get("loc", ()))
        where = ".".join(str(p) for p in loc) or "the file"
        msg = first.get("msg", "invalid value")
        if first.get("type") == "timezone_aware":
            msg = "needs a time zone offset, like 2026-03-04T14:32:00Z or +01:00"
        line = _line_of(text, loc)
        duplicate = re.search(r"two (\w+) records have the id '(.*)'", msg)
        if duplicate:
            line = _line_of_duplicate_id(text, duplicate.group(1), duplicate.group(2)) or line
        raise SessionFileError(path, f"{where}: {msg}", line) from None


def _drop_unknown(raw: Any, model: Any) -> Any:
    """Keep only the fields this version knows, so a newer file can at least be shown."""
    from pydantic import BaseModel

    if not (isinstance(raw, dict) and isinstance(model, type) and issubclass(model, BaseModel)):
        return raw
    kept = {}
    for name, info in model.model_fields.items():
        if name in raw:
            sub = info.annotation
            args = getattr(sub, "__args__", ())
            inner = args[0] if args else sub
            if isinstance(raw[name], list):
                kept[name] = [_drop_unknown(v, inner) for v in raw[name]]
            else:
                kept[name] = _drop_unknown(raw[name], sub)
    return kept


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the TOML text where the value at ``loc`` (a pydantic error location such as
    ("timeline", 3, "at") or ("actions", 0, "history", 1, "at")) is written, or of its nearest
    enclosing table. Lines inside multi-line strings are text, not TOML, and are skipped."""
    positions: dict[tuple[Any, ...], int] = {}
    counts: dict[tuple[Any, ...], int] = {}
    table: tuple[Any, ...] = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        stripped = line.strip()
        if stripped.startswith("[["):
            parts = stripped.strip("[] ").split(".")
            # [[actions.history]] belongs to the latest [[actions]]: ("actions", 2, "history", n)
            parent: tuple[Any, ...] = ()
            for part in parts[:-1]:
                parent += (part, counts.get(parent + (part,), 1) - 1)
            key = parent + (parts[-1],)
            counts[key] = counts.get(key, 0) + 1
            table = key + (counts[key] - 1,)
            positions.setdefault(table, number)
            positions.setdefault(key, number)  # "[[incident]]" where "[incident]" belongs
        elif stripped.startswith("["):
            table = tuple(stripped.strip("[] ").split("."))
            positions.setdefault(table, number)
        elif "=" in stripped and not stripped.startswith("#"):
            name, value = stripped.split("=", 1)
            positions.setdefault(table + (name.strip().strip('"'),), number)
            for quote in ('"""', "'''"):
                if value.count(quote) % 2 == 1:
                    in_string = quote
                    break
    for end in range(len(loc), 0, -1):
        if loc[:end] in positions:
            return positions[loc[:end]]
    return None


def _line_of_duplicate_id(text: str, collection: str, record_id: str) -> int | None:
    """The line of the second record of ``collection`` that has ``record_id``."""
    seen = 0
    in_collection = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_collection = stripped == f"[[{collection}]]"
        elif in_collection and stripped.replace(" ", "").startswith("id="):
            value = stripped.split("=", 1)[1].strip().strip("\"'")
            if value == record_id:
                seen += 1
                if seen == 2:
                    return number
    return None


def dump_session(session: Session) -> bytes:
    """The session as TOML text. Records are always written as ``[[tables]]``, one key a line,
    so a change to one record is a small diff whatever its length."""
    data = session.model_dump(mode="python", exclude_none=True)
    # Anonymous feedback is stored in an order that says nothing about who answered first.
    data["feedback"] = sorted(data["feedback"], key=lambda f: f["id"])
    plain = {k: v for k, v in data.items() if k not in _RECORD_LISTS and not isinstance(v, dict)}
    parts = [_toml(plain)]
    for name in ("incident", "meeting", "question"):
        parts.append(f"[{name}]\n{_toml(data[name])}")
    for name in COLLECTIONS:
        for record in data[name]:
            nested = {k: v for k, v in record.items() if _is_records(v)}
            flat = {k: v for k, v in record.items() if k not in nested}
            parts.append(f"[[{name}]]\n{_toml(flat)}")
            for key, items in nested.items():
                parts.extend(f"[[{name}.{key}]]\n{_toml(item)}" for item in items)
    return "\n".join(parts).encode("utf-8")


def _toml(values: dict[str, Any]) -> str:
    # Multi-line strings read best, but TOML folds CR LF inside them to LF: text holding a CR
    # is written as an escaped one-line string so it reads back exactly as typed.
    return tomli_w.dumps(values, multiline_strings=not _has_cr(values))


def _has_cr(value: Any) -> bool:
    if isinstance(value, str):
        return "\r" in value
    if isinstance(value, dict):
        return any(_has_cr(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cr(v) for v in value)
    return False


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def atomic_write(
    path: Path, data: bytes, *, through_link: bool = False, new_file: bool = False
) -> None:
    """Write a file so that it is always either the old or the new content, owner-only.

    Every file pmconsole writes goes through here, and goes only where pmconsole means it to: a
    symbolic link at ``path`` is replaced itself, never the file it points to (a link planted
    beside a session, ``incident.summary.md -> ~/.bashrc``, must not turn an export into a
    write of that file). ``through_link`` is for a file the user chose to open through a link
    (a session, the settings): the file it points to is replaced and the link stays, so a
    session linked from elsewhere does not fork into two copies. ``new_file`` puts the file in
    place only if nothing has the name by then (FileExistsError otherwise), so a file another
    process created a moment ago is never replaced."""
    path = Path(path)
    if through_link and path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        # A device (-o /dev/null as root), a FIFO, a socket or a folder is never replaced by a
        # file: a rename would put the export where the device was.
        raise OSError(errno.EEXIST, "not a regular file; pmconsole does not write over it",
                      str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if new_file:
            _link_new(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _link_new(tmp: str, path: Path) -> None:
    """Give the written temporary file its name only if the name is free, then drop the
    temporary name. A hard link fails if the name is taken, even by a link to nothing; a file
    system without hard links gets the look just before instead."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def load_session(path: Path | str, *, allow_newer: bool = False) -> Session:
    path = Path(path)
    return parse_session(read_bytes(path), path, allow_newer=allow_newer)


def save_session(path: Path | str, session: Session) -> None:
    atomic_write(Path(path), dump_session(session))


def create_session(path: Path | str, session: Session) -> None:
    """Write a new session file, and the folders above it, or say in one SessionFileError why
    not: the name is taken (a link too, even one pointing nowhere: nothing is created through
    it), the name is too long, a folder on the way is a file, the disk is full or read-only."""
    path = Path(path)
    made: list[Path] = []
    try:
        if path.is_symlink():
            raise SessionFileError(path, "already exists (a symbolic link); choose another name")
        if path.exists():
            raise SessionFileError(path, "already exists; choose another name or open it")
        made = ensure_folder(path.parent)
        atomic_write(path, dump_session(session), new_file=True)
    except FileExistsError:  # created by someone else since the look above
        raise SessionFileError(path, "already exists; choose another name or open it") from None
    except OSError as err:
        for folder in reversed(made):  # a failed command leaves nothing behind
            try:
                folder.rmdir()
            except OSError:
                break
        raise SessionFileError(path, f"cannot be created: {err.strerror or err}") from None


def ensure_folder(folder: Path) -> list[Path]:
    """Create a folder and any missing folders above it, each owner-only whatever the umask
    (Path.mkdir applies its mode to the last folder only, and the umask to that). Returns the
    folders it created, outermost first."""
    missing = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        current = current.parent
    missing.reverse()
    for each in missing:
        each.mkdir(mode=0o700)
        os.chmod(each, 0o700)
    return missing


# -- the live operation log --------------------------------------------------------------------


def log_path_for(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".toml") + ".pmlog")


def log_files(log: Path) -> list[Path]:
    """The live log and the files SQLite and pmconsole keep beside it."""
    return [log.with_name(log.name + side) for side in ("", "-wal", "-shm", "-lock")]


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


@dataclass
class Notice:
    """Something a pane should tell its user in one line."""

    text: str
    severity: str = "information"  # or "warning", "error"
    # The edits that take back what the notice tells of (a merge that may not be what was
    # meant): the console offers them to z.
    undo: list[Op] = field(default_factory=list)
    merged: bool = False  # tells of a file changed on disk merged: a command says it too
    ops: list[Op] = field(default_factory=list)  # the edits it merged, for views to redraw


@dataclass
class SyncResult:
    """What one round of reading the log brought in from other processes."""

    ops: list[Op] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.ops)


class SessionStore:
    """One open session: the live model, the log it is kept in, and the TOML checkpoint.

    Use from one thread. ``edit`` commits and applies; ``poll`` (call it every 100-250 ms)
    brings in other processes' edits, keeps the heartbeat and notices hand edits of the file.
    """

    def __init__(
        self, path: Path | str, *, role: str = "facilitator", keep_acknowledged: bool = False
    ) -> None:
        """``keep_acknowledged``: when a file changed on disk cannot be told apart from
        several versions, or puts back an earlier one, merge only the fields it changes and
        the records it brings back, deleting none (the command line, where no one can be
        asked). Without it (the console) the whole change is merged and the notice carries
        its undo."""
        self.path = Path(path)
        self.keep_acknowledged = keep_acknowledged
        self.log_path = log_path_for(self.path)
        self.lock_path = self.log_path.with_name(self.log_path.name + "-lock")
        self.role = role
        self.origin = uuid.uuid4().hex
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
        self._unreadable_file = False  # read-only until the file changed on disk reads again
        self._log_identity: tuple[int, int] | None = None  # the live log's device and inode
        self._mine: dict[tuple[str, str, str], float] = {}
        self._open()

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
            if not is_damage(err):
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

    def _connect_when_free(self, attempts: int = 50) -> None:
        """Connect, waiting out another process that holds the log for a moment (SQLite does
        not always wait by itself while a log is created or switched to WAL)."""
        for attempt in range(attempts):
            try:
                self._connect()
                return
            except sqlite3.OperationalError as err:
                if is_damage(err) or attempt == attempts - 1:
                    raise
                time.sleep(0.05 * (1 + attempt % 4))

    def _connect(self) -> None:
        strange = [p for p in log_files(self.log_path) if not is_regular_or_absent(p)]
        if strange:
            # SQLite would open a FIFO and wait for ever, or write through a planted link.
            raise OSError(f"{strange[0]} is not a regular file; pmconsole does not use it")
        try:
            # Create it owner-only before SQLite opens it.
            fd = os.open(self.log_path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        except FileExistsError:
            pass
        else:
            os.close(fd)
            # A write-ahead file left by a log deleted while open is not this log's: SQLite
            # would read the old log's pages from it into the new one.
            for side in ("-wal", "-shm"):
                try:
                    os.unlink(self.log_path.with_name(self.log_path.name + side))
                except FileNotFoundError:
                    pass
        conn = sqlite3.connect(self.log_path, timeout=10.0, isolation_level=None)
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
        self._conn = conn
        self._log_identity = self._log_stat()
        for side in ("-wal", "-shm"):
            side_path = self.log_path.with_name(self.log_path.name + side)
            if side_path.exists():
                try:
                    os.chmod(side_path, 0o600)
                except OSError:
                    pass

    def _log_stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.log_path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def _rebuild_log(self) -> SyncResult:
        """The live log was deleted or replaced while open (its name no longer leads to the
        file we write): what we hold is the session as far as we know it, so the log is
        built again from it. The old one is let go; a new one (made by a command meanwhile,
        or made now) gets the edits it holds applied over ours, then our whole session as its
        checkpoint, written to the TOML file at once."""
        assert self._conn is not None
        old, self._conn = self._conn, None
        try:
            old.close()
        except sqlite3.Error:
            pass
        self._data_version = None
        try:
            with self._file_lock():
                self._connect_when_free()
                assert self._conn is not None
                # Every edit made since the new log began (it began from a file we had
                # written, or had merged): ours holds all but those.
                self.applied_seq = self._conn.execute(
                    "SELECT coalesce(min(seq), 0) FROM checkpoints WHERE landed = 1"
                ).fetchone()[0]
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
        result.notices.append(Notice(
            f"The live log {self.log_path.name} was deleted or replaced while open; it was "
            f"built again from this pane's session and {self.path.name} rewritten: nothing "
            "acknowledged is lost.", "warning"))
        return result

    def _set_aside_broken_log(self, err: Exception) -> None:
        aside = self.log_path.with_name(f"{self.log_path.name}.broken-{int(time.time())}")
        for side in ("", "-wal", "-shm"):
            src = self.log_path.with_name(self.log_path.name + side)
            if src.exists():
                os.replace(src, aside.with_name(aside.name + side))
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

    def _catch_up(self, data: bytes) -> None:
        """Bring the model from the file on disk up to the end of the log. Decided under the
        file lock, on the file as it is then: a checkpoint another process wrote since we read
        it is not taken for an earlier version put back."""
        assert self._conn is not None
        with self._file_lock():
            now = read_bytes(self.path)
            if now != data:
                data = now
                self.live = LiveSession(parse_session(data, self.path))
            sha = hashlib.sha256(data).hexdigest()
            row = self._conn.execute(
                "SELECT seq, landed FROM checkpoints WHERE sha256 = ?", (sha,)
            ).fetchone()
            newest = self._latest_base()
            if row is not None and (newest is None or row[0] >= newest[0]):
                self.applied_seq = row[0]
                if not row[1]:
                    # A crash between a checkpoint's rename and its record left it unmarked.
                    self._record_checkpoint(sha, row[0], data, landed=True)
            elif newest is None:
                # A log with no checkpoint (new, or set aside): the file is the starting point,
                # and anything in the log was made against it.
                self._record_checkpoint(sha, 0, data, landed=True)
            else:
                # The file changed since our last checkpoint (by hand or by git, or an earlier
                # checkpoint put back) while no one had it open: start from the last checkpoint
                # we wrote and merge the change as edits.
                self.live = LiveSession(self._base_session())
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
        rows = []
        for op in self.pending:
            body = json.dumps(op, ensure_ascii=False, separators=(",", ":"))
            rows.append((self.origin, body, zlib.crc32(body.encode("utf-8"))))
        try:
            with self._transaction():
                self._conn.executemany(
                    "INSERT INTO ops (origin, body, crc) VALUES (?, ?, ?)", rows
                )
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
            with self._transaction():
                self._sync_ops()  # under the write lock: every edit committed before ours
                guard(self.session)
                normal = [self.live.normalise(op) for op in ops]
                undo = inverse(self.live, normal)
                rows = []
                for op in normal:
                    body = json.dumps(op, ensure_ascii=False, separators=(",", ":"))
                    rows.append((self.origin, body, zlib.crc32(body.encode("utf-8"))))
                self._conn.executemany(
                    "INSERT INTO ops (origin, body, crc) VALUES (?, ?, ?)", rows
                )
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

    def _catch_up_after_reconnect(self) -> None:
        """The log became reachable after failing at open. Our model is the file plus our own
        unsaved edits; the log's edits beyond the file's checkpoint are replayed over it."""
        assert self._conn is not None
        data = read_bytes(self.path)
        sha = hashlib.sha256(data).hexdigest()
        row = self._conn.execute(
            "SELECT seq FROM checkpoints WHERE sha256 = ?", (sha,)
        ).fetchone()
        base = self._latest_base()
        if row is not None:
            self.applied_seq = row[0]
        elif base is None:
            with self._file_lock():
                self._record_checkpoint(sha, 0, data, landed=True)
        else:
            self.applied_seq = base[0]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- reading what others did -----------------------------------------------------------

    def _sync_ops(self) -> SyncResult:
        result = SyncResult()
        if self._conn is None:
            return result
        rows = self._conn.execute(
            "SELECT seq, origin, body, crc FROM ops WHERE seq > ? ORDER BY seq",
            (self.applied_seq,),
        ).fetchall()
        bad = 0
        now = time.monotonic()
        for seq, origin, body, crc in rows:
            self.applied_seq = seq
            if zlib.crc32(body.encode("utf-8")) != crc:
                bad += 1
                continue
            try:
                op = json.loads(body)
            except ValueError:
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
        if self._conn is not None and not self.read_only and (
            self._log_stat() != self._log_identity
        ):
            result = self._rebuild_log()
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
            if now - self._last_heartbeat >= HEARTBEAT_EVERY:
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
        self._conn.execute(
            "INSERT OR REPLACE INTO panes (origin, role, pid, seen, step) VALUES (?,?,?,?,?)",
            (self.origin, self.role, os.getpid(), time.time(), self.session.meeting.current_step),
        )

    def other_panes(self) -> list[str]:
        """The roles of the other processes that have this session open now."""
        if self._conn is None:
            return []
        try:
            rows = self._conn.execute(
                "SELECT role FROM panes WHERE origin != ? AND seen > ?",
                (self.origin, time.time() - PANE_TIMEOUT),
            ).fetchall()
        except sqlite3.Error:
            return []
        return sorted(r[0] for r in rows)

    # -- checkpoints -----------------------------------------------------------------------

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Serialise checkpoints and merges between processes."""
        fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _record_checkpoint(self, sha: str, seq: int, data: bytes, *, landed: bool) -> None:
        assert self._conn is not None
        with self._transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO checkpoints (sha256, seq, landed, toml) VALUES (?,?,?,?)",
                (sha, seq, int(landed), data),
            )
            if landed:
                self._forget_old_bases(sha)

    def _forget_old_bases(self, keep: str) -> None:
        # A hand edit is merged against the checkpoint it was made from: the newest
        # KEEP_BASES checkpoints keep their text for that (an editor or a branch holding an
        # older one); older ones keep only their hash and place in the log.
        assert self._conn is not None
        self._conn.execute(
            "UPDATE checkpoints SET toml = NULL WHERE toml IS NOT NULL AND sha256 != ? AND "
            "sha256 NOT IN (SELECT sha256 FROM checkpoints WHERE landed = 1 AND toml IS NOT "
            "NULL ORDER BY seq DESC LIMIT ?)",
            (keep, KEEP_BASES),
        )

    def _latest_base(self) -> tuple[int, bytes] | None:
        assert self._conn is not None
        row = self._conn.execute(
            "SELECT seq, toml FROM checkpoints WHERE landed = 1 AND toml IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1]) if row else None

    def _base_session(self) -> Session:
        base = self._latest_base()
        assert base is not None
        return parse_session(base[1], self.path)

    def checkpoint(self, *, force: bool = False) -> bool:
        """Rewrite the TOML file from the merged state, if the log has moved on since the last
        checkpoint. Returns True when the file was written."""
        if self.read_only or self._conn is None:
            return False
        try:
            self._flush()
            with self._file_lock():
                self._sync_ops()
                if self._file_changed():
                    self._merge_file_change(locked=True)
                    return True
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
        latest = self._conn.execute(
            "SELECT coalesce(max(seq), 0) FROM checkpoints WHERE landed = 1"
        ).fetchone()[0]
        if self.applied_seq <= latest and not force:
            self.edits_since_checkpoint = 0
            return False
        data = dump_session(self.session)
        sha = hashlib.sha256(data).hexdigest()
        # Record the checkpoint before the rename, so a crash between the two still leaves a
        # file the log recognises.
        self._record_checkpoint(sha, self.applied_seq, data, landed=False)
        atomic_write(self.path, data, through_link=True)  # opened through it: the user's link
        self._record_checkpoint(sha, self.applied_seq, data, landed=True)
        self.edits_since_checkpoint = 0
        self._remember_file_stat()
        return True

    def maybe_checkpoint(self) -> bool:
        if self.edits_since_checkpoint >= CHECKPOINT_EVERY:
            return self.checkpoint()
        return False

    # -- hand edits and git ----------------------------------------------------------------

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
            with self._file_lock():
                return self._merge_file_change(locked=True)
        assert self._conn is not None
        data = read_bytes(self.path)
        self._remember_file_stat()
        sha = hashlib.sha256(data).hexdigest()
        known = self._conn.execute(
            "SELECT seq FROM checkpoints WHERE sha256 = ?", (sha,)
        ).fetchone()
        newest = self._latest_base()
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
        name = self.path.name
        if known:
            # An older checkpoint put back whole (`git checkout` of an earlier version, a
            # backup copied over): a revert, made on purpose. It is taken as a hand edit
            # against the newest checkpoint, so its changes are not ignored (replaying the log
            # over it would undo it without a word); edits committed after that checkpoint
            # stay. The command line keeps the records added since (see keep_acknowledged).
            ops = diff(self._base_session(), edited)
            what = f"{name} was replaced by an earlier version pmconsole wrote (a revert?)"
            unsure = True
        else:
            changes, unsure = self._changes_from_bases(edited)
            ops = changes[0]
            what = f"{name} was changed outside pmconsole"
            if unsure:
                what += " from a version that cannot be told apart from others"
        aside = ""
        if unsure and self.keep_acknowledged:
            # The non-destructive choice: what the file changes against every version it may
            # come from, no acknowledged record deleted; the file as it was is kept aside.
            offered = ops
            others = [] if known else changes[1:]
            ops = [op for op in ops
                   if op["op"] != "del" and all(op in other for other in others)]
            if len(ops) < len(offered):
                aside = self._keep_aside(data)
        undo = inverse(self.live, ops) if unsure else []
        self.pending.extend(ops)
        if not self._flush():
            return [Notice(f"{what}; {self.error}", "error")]
        # Write the merged state back at once: the file on disk must always be a checkpoint the
        # log knows, or a later open would not know which edits it already holds.
        self._write_checkpoint(force=True)
        text = f"{what}; {len(ops)} change(s) merged"
        if aside:
            text += (f", nothing acknowledged deleted or overwritten by a value it may not have "
                     f"meant; the file as it was is kept as {aside}")
        notice = Notice(text + ".", "warning", undo=undo, merged=True, ops=ops)
        self.notices.append(notice)
        return [notice]

    def _keep_aside(self, data: bytes) -> str:
        """A copy of a file changed on disk that was not merged whole, beside it."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.outside-{stamp}")
        try:
            atomic_write(aside, data)
        except OSError:
            return ""
        return aside.name

    def _changes_from_bases(self, edited: Session) -> tuple[list[list[Op]], bool]:
        """What a hand-edited file changed, against the checkpoint it was made from: of those
        kept whole, the one it differs from least (an editor that loaded an older checkpoint
        changed a few fields of it, not everything committed since). Several when that cannot
        be told (two checkpoints as near, with different differences), newest first, with
        True; True too when the nearest is the oldest kept whole and older ones were let go
        (the file may come from before)."""
        assert self._conn is not None
        rows = self._conn.execute(
            "SELECT toml FROM checkpoints WHERE landed = 1 AND toml IS NOT NULL "
            "ORDER BY seq DESC"
        ).fetchall()
        nearest: list[list[Op]] = []
        nearest_at = 0  # the place among the rows (newest first) of the nearest one found
        for at, (toml,) in enumerate(rows):
            try:
                candidate = parse_session(toml, self.path)
            except SessionFileError:
                continue
            ops = diff(candidate, edited)
            if not nearest or len(ops) < len(nearest[0]):
                nearest, nearest_at = [ops], at
            elif len(ops) == len(nearest[0]) and ops not in nearest:
                nearest.append(ops)
        if not nearest:
            return [diff(self._base_session(), edited)], True
        unsure = len(nearest) > 1
        if nearest_at == len(rows) - 1 and self._conn.execute(
            "SELECT count(*) FROM checkpoints WHERE landed = 1 AND toml IS NULL"
        ).fetchone()[0]:
            # Nearest to the oldest kept whole, with older ones no longer kept: the file may
            # come from one of those (an editor open over more than KEEP_BASES saves), and
            # what it lacks may be edits made since, not deletions.
            unsure = True
        return nearest, unsure

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Checkpoint and let go. Edits already committed stay in the log either way."""
        if self._conn is None:
            return
        self.checkpoint()
        try:
            self._conn.execute("DELETE FROM panes WHERE origin = ?", (self.origin,))
        except sqlite3.Error:
            pass
        self._conn.close()
        self._conn = None


def is_damage(err: sqlite3.Error) -> bool:
    """A log that is damaged (corrupt, or not a database), as against busy or locked."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
    text = str(err).lower()
    return "malformed" in text or "not a database" in text


def read_snapshot(path: Path | str, said: list[str] | None = None) -> Session:
    """The session as every open pane sees it (the file plus the log beyond its checkpoint),
    read without creating or writing anything: for commands that only look, or look first.
    A file changed outside pmconsole is shown as it is on disk (merging it is a write, left to
    the next command that edits); ``said``, when given, gets a sentence saying so."""
    path = Path(path)
    data = read_bytes(path)
    session = parse_session(data, path)
    log = log_path_for(path)
    if not log.exists() or not all(map(is_regular_or_absent, log_files(log))):
        return session  # no log, or one that is not a file of ours: the file is what we know
    try:
        conn = sqlite3.connect(f"file:{log}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error:
        return session
    try:
        sha = hashlib.sha256(data).hexdigest()
        row = conn.execute("SELECT seq FROM checkpoints WHERE sha256 = ?", (sha,)).fetchone()
        newest = conn.execute(
            "SELECT coalesce(max(seq), 0) FROM checkpoints WHERE landed = 1"
        ).fetchone()[0]
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
        for body, crc in conn.execute(
            "SELECT body, crc FROM ops WHERE seq > ? ORDER BY seq", (row[0],)
        ):
            if zlib.crc32(body.encode("utf-8")) == crc:
                try:
                    live.apply(json.loads(body))
                except ValueError:
                    pass
        return live.session
    except sqlite3.Error:
        return session
    finally:
        conn.close()


class ReadOnlySession(Exception):
    """An edit refused because the session is open read-only; the text says why."""


__all__ = [
    "NewerSchemaError",
    "Notice",
    "OpError",
    "ReadOnlySession",
    "SessionFileError",
    "SessionStore",
    "SyncResult",
    "atomic_write",
    "dump_session",
    "load_session",
    "log_path_for",
    "parse_session",
    "read_snapshot",
    "save_session",
]
