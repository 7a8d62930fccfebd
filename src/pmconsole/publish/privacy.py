"""Nothing private published by accident: secrets and personal data in a session's texts.

Secrets are found by detect-secrets (Yelp's maintained detector: AWS keys, private key blocks,
JSON web tokens, GitHub, GitLab, Slack, Stripe and other tokens, passwords in URLs, `password =
…` assignments), with its format detectors only: its high-entropy detectors flag ordinary words
of free prose. One pattern is ours, for the HTTP `Bearer` scheme, whose tokens have no format a
detector could know. Personal data are e-mail addresses, phone numbers and IP addresses.

Each finding names the session file, the record and the field, and is shown masked, with a
fingerprint (the start of the match's SHA-256) for the allow-list: the file ALLOW_FILE beside
the sessions, where a reviewed finding is allowed with a reason (docs/publishing.md). `--redact`
publishes with every match masked instead.

detect-secrets is imported by the first scan, never at start-up (it costs ~0.4 s).

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pmconsole.domain.model import Session
from pmconsole.storage.toml_file import SessionFileError, read_regular

ALLOW_FILE = ".privacy-allow.toml"
ALLOW_LIMIT = 1024 * 1024
MASK = "[redacted]"

# Fields that hold ids, times or one of a fixed set of words, never text a person typed.
_NOT_TEXT = frozenset({
    "id", "participant_id", "event_ids", "factor_ids", "facilitator", "note_taker", "kind",
    "basis", "category", "status", "severity", "seniority", "timezone", "schema_version",
})

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])"
)
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)"
)
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
# RFC 6750's token68 after "Bearer": long enough not to be a word in a sentence.
_BEARER = re.compile(r"\bBearer\s+([A-Za-z0-9\-._~+/]{16,}=*)", re.IGNORECASE)
# What every detector of detect-secrets needs to find anything: a URL with credentials, a
# keyword given a value (`password = …`), or (``_maybe_secret``) a long run of characters with
# a digit in it (a key, a token). A line with none of these is not given to it: a session of
# 100,000 tags is scanned in a second, and one of plain prose never imports it.
_SECRET_CONTEXT = re.compile(
    r"://[^/\s@]+@|(?i:pass|secret|key|token|auth|cred|api)\w*[\"']?\s*(?:=|:|=>)"
)


def _maybe_secret(line: str) -> bool:
    return bool(_SECRET_CONTEXT.search(line)) or any(
        len(word) >= 16 and (any(c.isdigit() for c in word) or word.isalnum() and word.isupper())
        for word in line.split()  # AWS key ids are upper case, and may have no digit
    )


_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL
)


class AllowListError(ValueError):
    """An allow-list that cannot be used: the text names the file and the entry."""


@dataclass(frozen=True)
class PrivacyFinding:
    path: str  # the session file
    record: str  # "incident", "summary", "timeline e-3f…", "actions a-1 history 2"
    field: str  # "title", "text", "note"
    kind: str  # "AWS Access Key", "e-mail address", …
    category: str  # "secret" | "personal"
    match: str  # the text found: never printed, only masked (``shown``)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.match.encode("utf-8")).hexdigest()[:12]

    @property
    def shown(self) -> str:
        """The match masked: enough to find it in the text, not enough to use it."""
        keep = 2 if self.category == "secret" else 3
        return self.match[:keep] + "…" + f" ({len(self.match)} characters)"

    def where(self) -> str:
        return f"{self.path}: {self.record}, field {self.field}"

    def sentence(self) -> str:
        return (f"{self.where()}: {self.kind} {self.shown}, fingerprint {self.fingerprint}")

    def as_dict(self) -> dict:
        return {"path": self.path, "record": self.record, "field": self.field,
                "kind": self.kind, "category": self.category, "shown": self.shown,
                "fingerprint": self.fingerprint}


# -- where the texts are --------------------------------------------------------------------


def _texts(value: Any, record: str, field: str) -> Iterator[tuple[str, str, list, Any]]:
    """(record, field, container, key) of every text in a dumped value, so a finding can be
    masked where it is."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in _NOT_TEXT:
                continue
            if isinstance(inner, str):
                yield record, key if not field else f"{field}.{key}", value, key
            else:
                yield from _texts(inner, record, key if not field else f"{field}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            if isinstance(inner, dict) and "id" in inner:
                yield from _texts(inner, f"{record} {inner['id']}".strip(), "")
            elif isinstance(inner, dict):  # an action's history: numbered from 1
                yield from _texts(inner, f"{record} {field} {i + 1}".strip(), "")
            elif isinstance(inner, str):
                yield record, f"{field} {i + 1}", value, i


def session_texts(session: Session, *, include_feedback: bool = True):
    """The dumped session and where each of its texts is: (record, field, container, key)."""
    dump = session.model_dump()
    if not include_feedback:
        dump["feedback"] = []
    places = []
    for name, value in dump.items():
        if name in _NOT_TEXT:
            continue
        if isinstance(value, str):
            places.append(("session", name, dump, name))
        elif isinstance(value, dict):
            places += _texts(value, name, "")
        elif isinstance(value, list):
            places += _texts(value, name, name)
    return dump, places


# -- finding ----------------------------------------------------------------------------------


_detectors = None


def _secret_detectors():
    """detect-secrets' format detectors, chosen once (imported here: see the module's text)."""
    global _detectors
    if _detectors is None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

        _detectors = sorted(
            cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()
            # Entropy flags plain words; public IPs are personal data here, found below.
            if "HighEntropy" not in cls.__name__ and cls.__name__ != "IPPublicDetector"
        )
    return _detectors


def _token_around(text: str, value: str) -> list[tuple[int, int]]:
    """Where a detector's value is: the whole run of non-space characters around each place it
    occurs (a detector may report part of a token, `ghp` of a GitHub token)."""
    spans = []
    for m in re.finditer(re.escape(value), text):
        start, end = m.start(), m.end()
        while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "\"'`(<[":
            start -= 1
        while end < len(text) and not text[end].isspace() and text[end] not in "\"'`)>]":
            end += 1
        spans.append((start, end))
    return spans


def _detected(text: str, lines: list[str]) -> list[tuple[str, str, int, int]]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    found = []
    with transient_settings({"plugins_used": [{"name": n} for n in _secret_detectors()]}):
        for line in lines:
            for secret in scan_line(line):
                if secret.type == "Private Key" or not secret.secret_value:
                    continue  # the block as a whole is found by _PRIVATE_KEY
                for start, end in _token_around(text, secret.secret_value):
                    found.append((secret.type, "secret", start, end))
    return found


def find_in_text(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, category, start, end) of every secret and piece of personal data in ``text``."""
    found: list[tuple[str, str, int, int]] = []
    if not text.strip():
        return found
    for m in _PRIVATE_KEY.finditer(text):
        found.append(("Private Key", "secret", m.start(), m.end()))
    for m in _BEARER.finditer(text):
        found.append(("Bearer token", "secret", m.start(1), m.end(1)))
    lines = [line for line in text.splitlines() if _maybe_secret(line)]
    if lines:
        found += _detected(text, lines)
    for m in _EMAIL.finditer(text):

        found.append(("e-mail address", "personal", m.start(), m.end()))
    for m in _PHONE.finditer(text):
        if sum(c.isdigit() for c in m.group()) >= 9:
            found.append(("phone number", "personal", m.start(), m.end()))
    for m in _IPV4.finditer(text):
        found.append(("IP address", "personal", m.start(), m.end()))
    for m in _IPV6_CANDIDATE.finditer(text):
        try:
            ipaddress.IPv6Address(m.group())
        except ValueError:
            continue  # a time of day, 10:00:00
        found.append(("IP address", "personal", m.start(), m.end()))
    return _without_overlaps(found)


def _without_overlaps(found):
    """One finding per stretch of text: a secret before personal data, the longer first (a
    password in a URL is not also an e-mail address)."""
    kept: list[tuple[str, str, int, int]] = []
    for item in sorted(found, key=lambda f: (f[1] != "secret", -(f[3] - f[2]), f[2])):
        if not any(item[2] < k[3] and k[2] < item[3] for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f[2])


def scan_session(
    session: Session, path: Path | str, *, include_feedback: bool = True
) -> list[PrivacyFinding]:
    findings = []
    _, places = session_texts(session, include_feedback=include_feedback)
    for record, field, container, key in places:
        text = container[key]
        for kind, category, start, end in find_in_text(text):
            findings.append(
                PrivacyFinding(str(path), record, field, kind, category, text[start:end])
            )
    return findings


def redacted(
    session: Session, path: Path | str = "", *, include_feedback: bool = True,
    allowed: list[Allowed] = (),
) -> Session:
    """The session with every secret and piece of personal data masked as MASK, but for what
    the allow-list allows."""
    dump, places = session_texts(session, include_feedback=include_feedback)
    for record, field, container, key in places:
        text = container[key]
        for kind, category, start, end in reversed(find_in_text(text)):
            found = PrivacyFinding(str(path), record, field, kind, category, text[start:end])
            if not any(a.covers(found) for a in allowed):
                text = text[:start] + MASK + text[end:]
        container[key] = text
    return Session.model_validate(dump)


# -- the allow-list ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    reason: str
    fingerprint: str = ""
    match: str = ""
    session: str = ""  # a session file's name; "" for any
    record: str = ""
    field: str = ""

    def covers(self, finding: PrivacyFinding) -> bool:
        if self.fingerprint and finding.fingerprint != self.fingerprint:
            return False
        if self.match and finding.match != self.match:
            return False
        return (
            (not self.session or Path(finding.path).name == self.session)
            and (not self.record or finding.record == self.record)
            and (not self.field or finding.field == self.field)
        )


_ALLOW_KEYS = {"reason", "fingerprint", "match", "session", "record", "field"}


def read_allow_list(path: Path) -> list[Allowed]:
    """The reviewed findings allowed to be published; no file, nothing allowed."""
    if not path.exists() and not path.is_symlink():
        return []
    try:
        data = tomllib.loads(read_regular(path, ALLOW_LIMIT, "an allow-list").decode("utf-8"))
    except SessionFileError as err:
        raise AllowListError(str(err)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise AllowListError(f"{path}: not a TOML file: {err}") from None
    entries = data.get("allow", [])
    unknown = set(data) - {"allow"}
    if unknown or not isinstance(entries, list):
        raise AllowListError(f"{path}: expected only [[allow]] entries, found {sorted(unknown)}")
    allowed = []
    for n, entry in enumerate(entries, start=1):
        where = f"{path}: [[allow]] entry {n}"
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            raise AllowListError(f"{where}: every value is a quoted text")
        extra = set(entry) - _ALLOW_KEYS
        if extra:
            raise AllowListError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        if not entry.get("reason", "").strip():
            raise AllowListError(f"{where}: says no reason; say who reviewed it and why")
        if not (entry.get("fingerprint") or entry.get("match")):
            raise AllowListError(f"{where}: names neither a fingerprint nor a match")
        allowed.append(Allowed(**entry))
    return allowed


def not_allowed(findings: list[PrivacyFinding], allowed: list[Allowed]) -> list[PrivacyFinding]:
    return [f for f in findings if not any(a.covers(f) for a in allowed)]


def check_findings(session: Session, path: Path) -> list:
    """The scan as findings of `pmconsole check` (warnings: a session may hold what its team
    needs; publishing it is what is refused), allowed ones left out."""
    from pmconsole.domain.model import WRAP_UP
    from pmconsole.domain.rules import Finding

    allowed = read_allow_list(path.parent / ALLOW_FILE)
    return [
        Finding(
            f"privacy.{f.category}", "warn", WRAP_UP, f.sentence() + ".",
            "Remove it; or, once reviewed, allow it in "
            f"{ALLOW_FILE} beside the session with a reason; `log publish --redact` masks it.",
            subject=f.record,
        )
        for f in not_allowed(scan_session(session, path), allowed)
    ]
