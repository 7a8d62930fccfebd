"""What `log publish` knows of each session of the log, kept between publishes so that an
unchanged session is not read again (a log of 10,000 post-mortems takes a minute to read).

OUT's manifest keeps, for each session file: its stamp (time and size of the file and of its
live log), the session cut down to what the lists, related post-mortems and trends need (the
incident, the meeting's time, the conditions' categories, the actions), and a hash of what its
page shows. A session whose stamp is unchanged is taken from there; only when its own page must
be built again (its related post-mortems changed, or its overdue days moved on with the day) is
it read in full. A changed allow-list, a different --redact or --include-feedback, or new
templates read and scan every session again, as does a manifest that is not ours.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from pmconsole.domain.model import LearningQuestion, Session
from pmconsole.publish.privacy import PrivacyFinding, not_allowed, redacted, scan_session
from pmconsole.storage.log_sessions import _inside, session_files
from pmconsole.storage.oplog import log_path_for, read_snapshot
from pmconsole.storage.toml_file import SessionFileError


# Full sessions kept between the scan (every changed session is scanned before anything is
# written) and the building of their pages: beyond that many, a page's session is read again,
# so that a first publish of 10,000 sessions holds ~1,000 in memory, not all of them.
FULL_KEEP = 1000


def stamp(path: Path, present: set[str] | None = None) -> list[int]:
    """The file's and its live log's time and size: any edit, by any pane, moves one of them.
    ``present``, the names in the folder, saves asking for a live log that is not there (most
    sessions of a large log have none: that is two system calls fewer for each)."""
    log = log_path_for(path).name
    numbers: list[int] = []
    for name in (path.name, log, log + "-wal"):
        try:
            if present is not None and name not in present:
                raise FileNotFoundError(name)
            st = os.stat(os.path.join(path.parent, name))
            numbers += [st.st_mtime_ns, st.st_size]
        except OSError:
            numbers += [0, 0]
    return numbers


def slim(session: Session) -> Session:
    """The session without what only its own page shows: what the lists, related post-mortems
    and trends read of it, small enough to keep for every session in the manifest."""
    return session.model_copy(update={
        "question": LearningQuestion(), "summary": "", "participants": [], "steps": [],
        "speaker_turns": [], "pauses": [], "evidence": [], "timeline": [], "notes": [],
        "feedback": [],
        "factors": [f.model_copy(update={"event_ids": []}) for f in session.factors],
        "actions": [a.model_copy(update={"factor_ids": []}) for a in session.actions],
    })


def _today(session: Session, now: datetime) -> str:
    return session.local(now).date().isoformat()


def day_bound(session: Session) -> bool:
    """Whether the session's page changes with the day: an open action with a due date shows
    its days overdue."""
    return any(a.due for a in session.open_actions())


class Catalog:
    """The log's sessions for one publish: every one's slim form, and the full (published:
    redacted where asked) form of those read this time."""

    def __init__(self, folder: Path, cache: dict, *, allowed, redact: bool,
                 include_feedback: bool) -> None:
        self.folder = folder
        self.allowed, self.redact, self.include_feedback = allowed, redact, include_feedback
        self.slims: dict[str, Session] = {}
        self.full: dict[str, Session] = {}
        self.stamps: dict[str, list[int]] = {}
        self.previous = cache  # the manifest's entries, as the last publish left them
        self.cached: dict[str, dict] = {}  # those still true
        self.unreadable: list[tuple[Path, str]] = []
        self.refused: list[PrivacyFinding] = []
        self.redacted = 0
        files = session_files(folder)
        try:
            present = set(os.listdir(folder)) if files else set()
        except OSError:
            present = None
        for path in files:
            if os.path.islink(path) and not _inside(path, folder):
                self.unreadable.append(
                    (path, f"{path}: a symbolic link out of the sessions folder; it was not read"))
                continue
            name = path.name
            self.stamps[name] = stamp(path, present)
            known = cache.get(name)
            if isinstance(known, dict) and known.get("stamp") == self.stamps[name]:
                try:
                    self.slims[name] = Session.model_validate(known["slim"])
                    self.cached[name] = known
                    continue
                except (KeyError, ValueError):
                    pass  # a manifest changed by hand: read the session
            self.read(name)

    def read(self, name: str) -> Session | None:
        """The session in full, as published (scanned; masked with redact); None if it cannot
        be read any more."""
        if name in self.full:
            return self.full[name]
        path = self.folder / name
        try:
            session = read_snapshot(path)
        except SessionFileError as err:
            self.unreadable.append((path, str(err)))
            self.slims.pop(name, None)
            return None
        found = not_allowed(scan_session(session, path, include_feedback=self.include_feedback),
                            self.allowed)
        if found and self.redact:
            session = redacted(session, path, include_feedback=self.include_feedback,
                               allowed=self.allowed)
            self.redacted += 1
        self.refused += found
        if len(self.full) < FULL_KEEP:
            self.full[name] = session
        self.slims[name] = slim(session)
        self.cached.pop(name, None)
        return session

    def done_with(self, name: str) -> None:
        """Its page is written: the full session need not be kept."""
        self.full.pop(name, None)

    def view_key(self, name: str, now: datetime) -> str | None:
        """The kept hash of what the session's page shows, when still true today."""
        known = self.cached.get(name)
        if known is None or (known.get("day") and known["day"] != _today(self.slims[name], now)):
            return None
        key = known.get("view")
        return key if isinstance(key, str) else None

    def manifest(self, view_keys: dict[str, str], now: datetime, more: dict[str, dict]) -> dict:
        """What the manifest keeps of each published session for the next publish (with
        ``more``: its related post-mortems, and what they were found by)."""
        kept = {}
        for name, session in self.slims.items():
            if name not in view_keys:
                continue
            kept[name] = {**more[name],
                "stamp": self.stamps[name], "view": view_keys[name],
                "day": _today(session, now) if day_bound(session) else None,
                "slim": self.cached[name]["slim"] if name in self.cached
                else session.model_dump(mode="json"),
            }
        return kept


def scan_key(allow_file: Path, templates: str, redact: bool, include_feedback: bool) -> str:
    """What every kept entry was made under; another key reads and scans every session again."""
    try:
        allow = allow_file.read_bytes()
    except OSError:
        allow = b""
    return hashlib.sha256(repr((allow, templates, redact, include_feedback)).encode()).hexdigest()
