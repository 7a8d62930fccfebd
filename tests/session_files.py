"""Reading and writing a whole session file in one call, for tests that set a file up or look
at what was saved. The package has no such call: the console and the commands go through
SessionStore, which writes through the live log."""

from __future__ import annotations

from pathlib import Path

from pmconsole.domain.model import Session
from pmconsole.storage.toml_file import atomic_write, dump_session, parse_session, read_bytes


def load_session(path: Path | str, *, allow_newer: bool = False) -> Session:
    path = Path(path)
    return parse_session(read_bytes(path), path, allow_newer=allow_newer)


def save_session(path: Path | str, session: Session) -> None:
    atomic_write(Path(path), dump_session(session))
