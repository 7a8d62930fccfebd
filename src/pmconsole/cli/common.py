"""What the commands share: the session a command names, opening it to edit and closing it
so a failure is one line, and progress on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pmconsole.storage import locations
from pmconsole.storage.session_store import SessionStore
from pmconsole.storage.toml_file import SessionFileError


def progress_on_stderr(what: str):
    """A progress line on stderr, only when stderr is a terminal a person is watching."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else "\r"
        print(f"{what}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def session_path(args: argparse.Namespace) -> Path:
    return locations.resolve_session_path(args.file, locations.sessions_dir(args.sessions_dir))


def open_for_edit(path: Path, role: str = "script") -> SessionStore:
    """The session opened for one command's edit. A file changed on disk since pmconsole
    last wrote it is merged first, deleting nothing acknowledged where its base cannot be
    told, and that is said on stderr."""
    store = SessionStore(path, role=role, keep_acknowledged=True)
    for notice in store.notices:
        if notice.merged:
            print(f"pmconsole: {notice.severity}: {notice.text}", file=sys.stderr)
    return store


def finish(store: SessionStore) -> None:
    """Write the checkpoint and let go. An edit not committed to the live log is a failure
    (nothing changed); a committed edit whose checkpoint failed is saved, and says so."""
    unsaved = bool(store.pending)
    store.checkpoint()
    # The store says "retrying" for the console, which does retry; a command does not.
    error = store.error.removesuffix("; retrying")
    store.close()
    if unsaved:
        raise SessionFileError(store.path, error or "the edit could not be saved")
    if error:
        print(
            f"pmconsole: warning: saved in the live log {store.log_path.name}, but {error}; "
            "the file is brought up to date by the next command or the console",
            file=sys.stderr,
        )
