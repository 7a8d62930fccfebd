"""The session file itself: reading it safely, parsing and checking it, writing it as TOML,
and writing any file atomically, owner-only, only where pmconsole means to.

What people read, diff and keep in git is the TOML file; this module knows nothing of the live
edit log beside it (oplog) or of open sessions (session_store). Every file pmconsole reads itself
goes through ``open_regular``; every file it writes through ``atomic_write``.

Never import Textual here.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import tomllib
from pathlib import Path
from typing import Any, BinaryIO, Callable

import tomli_w
from pydantic import ValidationError

from pmconsole.domain.model import COLLECTIONS, SCHEMA_VERSION, Session, counted

MAX_SESSION_BYTES = 64 * 1024 * 1024
_RECORD_LISTS = frozenset(COLLECTIONS)


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


def parse_session(
    data: bytes, path: Path, *, allow_newer: bool = False,
    loads: Callable[[str], dict[str, Any]] = tomllib.loads,
) -> Session:
    """Bytes of a session file to a Session, or a SessionFileError naming the line. ``loads``
    is the TOML parser: tomllib's, or one that reads TOML as it does and raises its errors (the
    log's index: index_rows.py)."""
    if not data.strip():
        raise SessionFileError(path, "is empty; expected a pmconsole session (TOML)")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # an editor's byte order mark
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise SessionFileError(path, "is not UTF-8 text", line) from None
    try:
        raw = loads(text)
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
