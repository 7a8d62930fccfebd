"""Every session of the post-mortem log read in full, for what needs more than the index keeps:
the trends (`pmconsole log stats` and the console's Trends screen); the published site lists
the same files (``session_files``) and reads them itself (publish/catalog.py).

A file that cannot be read is listed with its error, never skipped in silence. A session file
that is a symbolic link to somewhere outside the sessions folder is not read: what is published
from the log is what the folder holds, not what a link planted in it points to.

Never import Textual here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pmconsole.domain.model import Session
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import SessionFileError


@dataclass(frozen=True)
class LoggedSession:
    path: Path
    session: Session


@dataclass
class LogContents:
    sessions: list[LoggedSession] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)  # (file, the error)


def session_files(folder: Path) -> list[Path]:
    """The session files of a folder, by name: ``*.toml``, hidden files left out."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries
                           if e.name.endswith(".toml") and not e.name.startswith("."))
    except FileNotFoundError:
        return []  # no sessions folder yet: an empty log
    except OSError as err:
        raise SessionFileError(folder, f"cannot list the sessions folder: {err.strerror or err}")
    return [folder / name for name in names]


def inside_folder(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a loop of links
        return False
    return True


def read_log(folder: Path) -> LogContents:
    """Every session in ``folder``, in file-name order, and the files that could not be read."""
    contents = LogContents()
    for path in session_files(Path(folder)):
        if path.is_symlink() and not inside_folder(path, Path(folder)):
            contents.unreadable.append(
                (path, f"{path}: a symbolic link out of the sessions folder; it was not read")
            )
            continue
        try:
            session = read_snapshot(path)
        except SessionFileError as err:
            contents.unreadable.append((path, str(err)))
            continue
        contents.sessions.append(LoggedSession(path, session))
    return contents
