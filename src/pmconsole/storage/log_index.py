"""The post-mortem log: every session file in the sessions folder, indexed for search.

The index is SQLite FTS5 in the platform's cache folder, one per sessions folder. It is brought
up to date whenever the log is used, by each file's modification time and size, so only changed
files are read again (many at once, as in a cold build, on every core: index_rows.py); deleting
it loses nothing, it is rebuilt. A file that cannot be read is listed with its error, never
skipped in silence.

The log answers text and tag search, related post-mortems, the follow-up review of actions
across all post-mortems, and the history the method's rules need (how many post-mortems the
team has held, who took notes when).

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pmconsole.storage import locations

if TYPE_CHECKING:  # imported where used: a search of an up-to-date index reads no session file
    from pmconsole.domain.model import Session
    from pmconsole.domain.rules import LogFacts
    from pmconsole.storage.index_rows import IndexRows

# 2: a text's row id is its file's id, so a changed file's text is found without a scan.
INDEX_VERSION = 2
SNIPPET_OPEN, SNIPPET_CLOSE = "»", "«"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,  -- its text's row id in texts
    path TEXT NOT NULL UNIQUE,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL DEFAULT '',
    meeting_at TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    facilitator TEXT NOT NULL DEFAULT '',
    note_taker TEXT NOT NULL DEFAULT '',
    review_at TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS actions (
    path TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    due TEXT NOT NULL,
    status TEXT NOT NULL,
    criterion TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_by_path ON actions (path);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(
    path UNINDEXED, title, tags, body, tokenize = 'porter unicode61'
);
"""


class LogQueryError(ValueError):
    """A search the index cannot run; the text says how to write it."""


@dataclass(frozen=True)
class Hit:
    path: str
    title: str
    severity: str
    started_at: str
    tags: tuple[str, ...]
    snippet: str = ""
    error: str = ""  # set for a file that could not be read
    # A related post-mortem's open actions (id, title, owner, due), for the start of a new one.
    open_actions: tuple[tuple[str, str, str, str], ...] = ()

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "title": self.title,
            "severity": self.severity,
            "started_at": self.started_at,
            "tags": list(self.tags),
            "snippet": self.snippet,
            "error": self.error,
        }


@dataclass(frozen=True)
class ActionRow:
    path: str
    session_title: str
    id: str
    title: str
    owner: str
    due: str
    status: str
    days_overdue: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class UpdateReport:
    indexed: int = 0
    removed: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def parse_since(text: str, now: datetime) -> date:
    """`6mo`, `2w`, `30d`, `1y`, or a date `2026-05-01`: the earliest incident day to include."""
    from pmconsole.domain.model import FIRST_YEAR, plausible_date

    text = text.strip().lower()
    match = re.fullmatch(r"(\d{1,12})\s*(d|w|mo|m|y)", text)
    if match:
        n, unit = int(match.group(1)), match.group(2)
        days = {"d": 1, "w": 7, "mo": 30, "m": 30, "y": 365}[unit] * n
        if days > (now.date() - date(FIRST_YEAR, 1, 1)).days:
            raise LogQueryError(
                f"--since {text!r} reaches back before {FIRST_YEAR}; give a shorter age or a date"
            )
        return (now - timedelta(days=days)).date()
    try:
        return plausible_date(date.fromisoformat(text))
    except ValueError as err:
        if "out of range" in str(err):
            raise LogQueryError(f"--since {text!r}: {err}") from None
        raise LogQueryError(f"--since {text!r}: write 6mo, 2w, 30d, 1y or a date like 2026-05-01") from None


def index_path_for(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:16]
    return locations.cache_dir() / f"log-{key}.sqlite"


# -- snippets ----------------------------------------------------------------------------------

QUERY_WORDS = {"AND", "OR", "NOT", "NEAR"}
SNIPPET_CHARS = 80  # about twelve words, as a snippet of FTS5's would be
# A text that says a searched word more often than this is searched for its window in its
# first SNIPPET_MATCHES matches only: a snippet's cost stays bounded however long the text.
SNIPPET_MATCHES = 64


def stem(word: str) -> str:
    """A rough stem, so "deploys" and "deployed" show as matches of "deploy" in a snippet (the
    index itself uses the Porter stemmer; this is only for marking what matched)."""
    word = word.lower()
    for _ in range(2):  # "deployed" → "deploy" → "deplo", as "deploy" → "deplo"
        for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s",
                       "y", "e"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
    return word


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The words of a search, lower-cased, each with whether it is a prefix (deploy*), without
    the query language's own words and column names."""
    terms = []
    for match in re.finditer(r"(\w+)(\*)?", query):
        word = match.group(1)
        if word in QUERY_WORDS or query[match.end():match.end() + 1] == ":":
            continue  # an operator, or a column name such as title:
        terms.append((word.lower(), bool(match.group(2))))
    return terms


def snippet(text: str, terms: list[tuple[str, bool]]) -> str:
    """About twelve words of `text` around the most matches of `terms`, each match »marked«."""
    return snippet_maker(terms)(text)


def snippet_maker(terms: list[tuple[str, bool]]) -> Callable[[str], str]:
    """``snippet`` for one query's terms, to call on each hit's text: what depends on the terms
    alone (the pattern, the stems, each word's verdict) is worked out once for all of them."""
    if not terms:
        return lambda text: ""
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(stem(t)) for t, _ in terms) + r")\w*", re.IGNORECASE
    )
    stems = {stem(t) for t, prefix in terms if not prefix}
    prefixes = tuple(t for t, prefix in terms if prefix)
    seen: dict[str, bool] = {}  # a word found once is found many times: judge it once

    def matches(word: str) -> bool:
        verdict = seen.get(word)
        if verdict is None:
            low = word.lower()
            verdict = seen[word] = bool(prefixes) and low.startswith(prefixes) or stem(low) in stems
        return verdict

    def mark(m: re.Match[str]) -> str:
        word = m.group()
        return f"{SNIPPET_OPEN}{word}{SNIPPET_CLOSE}" if matches(word) else word

    def make(text: str) -> str:
        found = list(islice(
            (m.start() for m in pattern.finditer(text) if matches(m.group())), SNIPPET_MATCHES
        ))
        centre, most = 0, 0
        for first, at in enumerate(found):  # the matches within reach of each, earliest first
            within = bisect_left(found, at + SNIPPET_CHARS, first) - first
            if within > most:
                centre, most = at, within
        begin = max(0, centre - 20)
        end = min(len(text), centre + SNIPPET_CHARS)
        window = text[begin:end]
        if begin > 0 and " " in window:
            window = window[window.index(" ") + 1:]  # start on a whole word
        if end < len(text) and " " in window:
            window = window[:window.rindex(" ")]  # end on a whole word
        marked = pattern.sub(mark, window)
        return ("…" if begin > 0 else "") + marked.strip() + ("…" if end < len(text) else "")

    return make


class PostMortemLog:
    """The index of one sessions folder."""

    def __init__(self, folder: Path, index: Path | None = None) -> None:
        self.folder = Path(folder)
        self.index = index or index_path_for(self.folder)
        self._checked_at: float | None = None
        from pmconsole.storage.toml_file import ensure_folder

        ensure_folder(self.index.parent)
        if not self.index.exists():
            os.close(os.open(self.index, os.O_CREAT | os.O_RDWR, 0o600))
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError:
            # A damaged index is only a cache: start it again.
            self.index.unlink(missing_ok=True)
            os.close(os.open(self.index, os.O_CREAT | os.O_RDWR, 0o600))
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        # One thread at a time, but not always the same one (the Log screen's search worker).
        db = sqlite3.connect(self.index, timeout=10.0, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if version is None or version[0] != str(INDEX_VERSION):
            # New, or made by another version of pmconsole: its tables are made again (an
            # older one's tables may lack a column), and filled by the next update.
            for table in ("files", "actions", "texts"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.executescript(SCHEMA)
            # The ranking: a match in the title counts most, then the tags, then the text.
            db.execute("INSERT INTO texts(texts, rank) VALUES ('rank', 'bm25(0, 10.0, 5.0, 1.0)')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))
            db.commit()
        return db

    def close(self) -> None:
        self.db.close()

    # -- keeping the index up to date --------------------------------------------------------

    def update(
        self,
        progress: Callable[[int, int], None] | None = None,
        *,
        max_age: float = 0.0,
        workers: int | None = None,
    ) -> UpdateReport:
        """Read again the files that changed since the index last saw them. With `max_age`, a
        check made less than that many seconds ago is enough (a search typed letter by letter
        need not look at every file for each letter). Many files are read on ``workers``
        processes (default: one per core)."""
        report = UpdateReport()
        now = time.monotonic()
        if max_age and self._checked_at is not None and now - self._checked_at < max_age:
            return report
        self._checked_at = now
        # The freshness check, made before every search: one stat a file (from os.scandir's
        # entries) and the index's kept times and sizes, compared as two dicts.
        on_disk = self._on_disk()
        known = {path: (mtime_ns, size) for path, mtime_ns, size
                 in self.db.execute("SELECT path, mtime_ns, size FROM files")}
        changed: list[str] = []
        if on_disk != known:
            changed = [p for p, seen in on_disk.items() if known.get(p) != seen]
            gone = [p for p in known if p not in on_disk]
            from pmconsole.storage.index_rows import read_for_index

            with self.db:
                for path in gone:
                    self._forget(path)
                    report.removed += 1
                for done, (path, read) in enumerate(read_for_index(changed, workers), start=1):
                    self._index_file(Path(path), on_disk[path], read, report, path in known)
                    if progress is not None and (done % 50 == 0 or done == len(changed)):
                        progress(done, len(changed))
        read_again = set(changed)
        errors = self.db.execute("SELECT path, error FROM files WHERE error != ''")
        report.unreadable += [(p, e) for p, e in errors if p in on_disk and p not in read_again]
        return report

    def _on_disk(self) -> dict[str, tuple[int, int]]:
        """Each session file's modification time and size, by path."""
        on_disk: dict[str, tuple[int, int]] = {}
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if entry.name.endswith(".toml") and not entry.name.startswith("."):
                        try:
                            st = entry.stat()
                        except OSError:
                            try:  # a link to nothing: listed as unreadable, not left out
                                st = entry.stat(follow_symlinks=False)
                            except OSError:
                                continue
                        on_disk[entry.path] = (st.st_mtime_ns, st.st_size)
        except OSError:
            pass  # no sessions folder yet: an empty log
        return on_disk

    def _forget(self, path: str) -> None:
        # By the text's row id: texts is FTS5, where a search by path would read every row.
        self.db.execute("DELETE FROM texts WHERE rowid = (SELECT id FROM files WHERE path = ?)",
                        (path,))
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))
        self.db.execute("DELETE FROM actions WHERE path = ?", (path,))

    def _index_file(self, path: Path, seen: tuple[int, int], read: IndexRows | str,
                    report: UpdateReport, known: bool = True) -> None:
        """Put one file's rows (or its error) in the index, in place of what it had (a file
        not ``known`` to the index has nothing to take out)."""
        if known:
            self._forget(str(path))
        if isinstance(read, str):
            self.db.execute(
                "INSERT INTO files (path, mtime_ns, size, error) VALUES (?, ?, ?, ?)",
                (str(path), *seen, read),
            )
            report.unreadable.append((str(path), read))
            return
        file_id = self.db.execute(
            "INSERT INTO files (path, mtime_ns, size, error, title, severity, started_at, "
            "meeting_at, tags, facilitator, note_taker, review_at) "
            "VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(path), *seen, *read.file),
        ).lastrowid
        self.db.executemany("INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [(str(path), *a) for a in read.actions])
        self.db.execute("INSERT INTO texts (rowid, path, title, tags, body) VALUES (?, ?, ?, ?, ?)",
                        (file_id, str(path), *read.text))
        report.indexed += 1

    # -- questions -----------------------------------------------------------------------------

    def search(
        self,
        query: str = "",
        *,
        tags: tuple[str, ...] = (),
        since: date | None = None,
        limit: int = 50,
    ) -> list[Hit]:
        """Best match first; with no query, the newest first. Unreadable files are listed last."""
        where, params = ["f.error = ''"], []
        for tag in tags:
            where.append("(' ' || f.tags || ' ') LIKE ?")
            params.append(f"% {tag.strip().lower()} %")
        if since is not None:
            where.append("f.started_at >= ?")
            params.append(since.isoformat())
        if query.strip():
            # FTS5 ranks (its rank column: title > tags > text) and returns only the ids of the
            # best `limit`; the rows and their snippets are then read for those alone. FTS5's own
            # snippet() tokenised every shown text again, and cost more than the ranking.
            if params:
                inner = (
                    "SELECT texts.rowid FROM texts JOIN files f ON f.id = texts.rowid "
                    f"WHERE texts MATCH ? AND {' AND '.join(where)} ORDER BY rank LIMIT ?"
                )
            else:
                inner = "SELECT rowid FROM texts WHERE texts MATCH ? ORDER BY rank LIMIT ?"
            args = [query, *params, limit]
        else:
            inner = (
                "SELECT texts.rowid FROM files f JOIN texts ON texts.rowid = f.id "
                f"WHERE {' AND '.join(where)} ORDER BY f.started_at DESC LIMIT ?"
            )
            args = [*params, limit]
        try:
            order = [row[0] for row in self.db.execute(inner, args)]
        except sqlite3.OperationalError as err:
            # FTS5 words its syntax errors many ways ("fts5: syntax error", "unterminated
            # string", "no such column"); with a text query, any of them is the query's.
            if query.strip():
                raise LogQueryError(
                    f"cannot search for {query!r} ({err}); use words, \"a quoted phrase\", "
                    "OR, NOT, or a prefix like deploy*"
                ) from None
            raise
        rows = {
            r[0]: r[1:]
            for r in self.db.execute(
                "SELECT texts.rowid, f.path, f.title, f.severity, f.started_at, f.tags, "
                "texts.body FROM texts JOIN files f ON f.id = texts.rowid "
                f"WHERE texts.rowid IN ({','.join('?' * len(order))})",
                order,
            )
        } if order else {}
        snippet_of = snippet_maker(query_terms(query))
        hits = [
            Hit(path=r[0], title=r[1], severity=r[2], started_at=r[3], tags=tuple(r[4].split()),
                snippet=snippet_of(r[5]))
            for r in (rows[rowid] for rowid in order if rowid in rows)
        ]
        hits += self.unreadable()
        return hits

    def unreadable(self) -> list[Hit]:
        return [
            Hit(path=p, title="", severity="", started_at="", tags=(), error=e)
            for p, e in self.db.execute("SELECT path, error FROM files WHERE error != ''")
        ]

    def related(self, session: Session, path: Path | None, now: datetime, limit: int = 5) -> list[Hit]:
        """Post-mortems that share a tag or key words with this one, from the six months before
        its incident on (the method's window for reusing findings): a post-mortem of an incident
        of a year ago, opened today, is shown those of its own time."""
        since = (min(now, session.incident.started_at) - timedelta(days=183)).date()
        words = [w for w in re.findall(r"[^\W\d_]{4,}", session.incident.title.lower())][:8]
        terms = [f'"{w}"' for w in words] + [f'tags:"{t}"' for t in session.incident.tags]
        if not terms:
            return []
        try:
            hits = self.search(" OR ".join(terms), since=since, limit=limit + 1)
        except LogQueryError:
            return []
        me = str(path) if path else None
        hits = [h for h in hits if h.path != me and not h.error][:limit]
        # Their actions still open: agreed once, and easily left there (the method asks that
        # the next post-mortem sees them).
        open_of: dict[str, list[tuple[str, str, str, str]]] = {}
        for row in self.db.execute(
            "SELECT path, id, title, owner, due FROM actions WHERE status = 'open' AND path IN "
            f"({','.join('?' * len(hits))}) ORDER BY due, title", [h.path for h in hits],
        ):
            open_of.setdefault(row[0], []).append(tuple(row[1:]))
        return [replace(h, open_actions=tuple(open_of.get(h.path, ()))) for h in hits]

    def actions(self, now: datetime) -> list[ActionRow]:
        """Every action of every post-mortem, with its days overdue (0 if not overdue)."""
        today = now.date()
        rows = self.db.execute(
            "SELECT a.path, f.title, a.id, a.title, a.owner, a.due, a.status "
            "FROM actions a JOIN files f ON f.path = a.path ORDER BY a.due, f.title"
        ).fetchall()
        result = []
        for path, session_title, aid, title, owner, due, status in rows:
            overdue = 0
            if due and status == "open":
                overdue = max(0, (today - date.fromisoformat(due)).days)
            result.append(ActionRow(path, session_title, aid, title, owner, due, status, overdue))
        return result

    def facts(self, exclude: Path | None = None, before: datetime | None = None) -> LogFacts:
        """What the rules need from the log: the earlier post-mortems of the team."""
        from pmconsole.domain.rules import LogFacts, PastSession

        past = []
        for path, meeting_at, facilitator, note_taker in self.db.execute(
            "SELECT path, meeting_at, facilitator, note_taker FROM files "
            "WHERE error = '' AND meeting_at != ''"
        ):
            if exclude is not None and Path(path).resolve() == exclude.resolve():
                continue
            at = datetime.fromisoformat(meeting_at)
            if before is not None and at >= before:
                continue
            past.append(PastSession(meeting_at=at, facilitator=facilitator, note_taker=note_taker))
        return LogFacts(past=tuple(sorted(past, key=lambda p: p.meeting_at)))


def hits_json(hits: list[Hit]) -> str:
    return json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False)
