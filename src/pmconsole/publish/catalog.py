"""What `log publish` knows of each session of the log, kept between publishes so that an
unchanged session is not read again (a log of 10,000 post-mortems takes a minute to read).

OUT's manifest keeps, for each session file: its stamp (time and size of the file and of its
live log), the session cut down to what the lists, related post-mortems and trends need (the
incident, the meeting's time, the conditions' categories, the actions), what the lists show of
it (its entry) and a hash of what its page shows. A session whose stamp is unchanged is taken
from there, and its slim form is not even parsed unless the trends must be worked out again;
only when its own page must be built again (its related post-mortems changed, or its overdue
days moved on with the day) is it read in full. A changed allow-list, a different --redact or
--include-feedback, or new templates read and scan every session again, as does a manifest that
is not ours.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pmconsole.domain.model import LearningQuestion, Session
from pmconsole.publish.privacy import PrivacyFinding, not_allowed, redacted, scan_session
from pmconsole.storage.log_sessions import inside_folder, session_files
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


def slim_json(session: Session) -> dict:
    """The slim form as the manifest keeps it: what differs from the defaults."""
    return session.model_dump(mode="json", exclude_defaults=True)


def slim_key(kept) -> str:
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode("utf-8")).hexdigest()


class Slims(Mapping):
    """Every readable session's slim form, parsed from the manifest's entry only when asked for
    (parsing 10,000 of them is most of what a publish of one change would otherwise cost)."""

    def __init__(self, reread) -> None:
        self.parsed: dict[str, Session] = {}
        self.kept: dict[str, dict] = {}  # name: the manifest's slim, not parsed yet
        self.reread = reread  # a session whose kept slim is not one (a manifest changed by hand)

    def __getitem__(self, name: str) -> Session:
        if name not in self.parsed:
            try:
                self.parsed[name] = Session.model_validate(self.kept[name])
            except ValueError:
                if self.reread(name) is None:
                    raise KeyError(name) from None
            self.kept.pop(name, None)
        return self.parsed[name]

    def __iter__(self) -> Iterator[str]:
        # Snapshots: reading a slim while iterating (as values() does) moves it to parsed.
        yield from list(self.parsed)
        yield from list(self.kept)

    def __len__(self) -> int:
        return len(self.parsed) + len(self.kept)

    def __contains__(self, name: object) -> bool:
        return name in self.parsed or name in self.kept

    def put(self, name: str, session: Session) -> None:
        self.kept.pop(name, None)
        self.parsed[name] = session

    def pop(self, name: str) -> None:
        self.kept.pop(name, None)
        self.parsed.pop(name, None)


class Catalog:
    """The log's sessions for one publish: every one's slim form, and the full (published:
    redacted where asked) form of those read this time."""

    def __init__(self, folder: Path, cache: dict, *, allowed, redact: bool,
                 include_feedback: bool) -> None:
        self.folder = folder
        self.allowed, self.redact, self.include_feedback = allowed, redact, include_feedback
        self.slims = Slims(self.read)
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
            if os.path.islink(path) and not inside_folder(path, folder):
                self.unreadable.append(
                    (path, f"{path}: a symbolic link out of the sessions folder; it was not read"))
                continue
            name = path.name
            self.stamps[name] = stamp(path, present)
            known = cache.get(name)
            if (isinstance(known, dict) and known.get("stamp") == self.stamps[name]
                    and isinstance(known.get("slim"), dict) and isinstance(known.get("entry"), dict)
                    and isinstance(known.get("keys"), list)):
                self.slims.kept[name] = known["slim"]
                self.cached[name] = known
                continue
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
            self.slims.pop(name)
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
        self.slims.put(name, slim(session))
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

    def kept_slim(self, name: str) -> dict:
        """The slim form as the manifest keeps it (taken from it when unchanged)."""
        if name in self.cached:
            return self.cached[name]["slim"]
        return slim_json(self.slims[name])

    def slim_key(self, name: str) -> str:
        known = self.cached.get(name, {}).get("slim_key")
        return known if isinstance(known, str) else slim_key(self.kept_slim(name))

    def trends_key(self, now: datetime, unreadable: list) -> str:
        """What the trends are worked out from: every slim form (by its kept hash) and the
        day it is in each session's time zone (open actions grow older, fall overdue)."""
        zones = {(self.slims.parsed[n].incident.timezone if n in self.slims.parsed else
                  self.slims.kept[n].get("incident", {}).get("timezone", "UTC"))
                 for n in self.slims}
        days = sorted((z, now.astimezone(ZoneInfo(z)).date().isoformat()) for z in zones)
        return slim_key([sorted((n, self.slim_key(n)) for n in self.slims), days, unreadable])

    def manifest(self, view_keys: dict[str, str], now: datetime, more: dict[str, dict]) -> dict:
        """What the manifest keeps of each published session for the next publish (with
        ``more``: its entry, its related post-mortems, and what they were found by)."""
        kept = {}
        for name in self.stamps:  # the folder's order: the same manifest for the same log
            if name not in view_keys:
                continue
            if name in self.cached:  # its page still true: so is the day it was made for
                day, slim_form = self.cached[name].get("day"), self.cached[name]["slim"]
            else:
                session = self.slims[name]
                day = _today(session, now) if day_bound(session) else None
                slim_form = slim_json(session)
            kept[name] = {**more[name], "stamp": self.stamps[name], "view": view_keys[name],
                          "day": day, "slim": slim_form, "slim_key": self.slim_key(name)}
        return kept


def scan_key(allow_file: Path, templates: str, redact: bool, include_feedback: bool) -> str:
    """What every kept entry was made under; another key reads and scans every session again."""
    try:
        allow = allow_file.read_bytes()
    except OSError:
        allow = b""
    return hashlib.sha256(repr((allow, templates, redact, include_feedback)).encode()).hexdigest()
