"""Slack channel exports: a channel's folder of day files (``2026-11-23.json``, each a JSON array
of messages), or one day file. Mentions and links become readable text; channel housekeeping
(joins, leaves, bots added or removed) is left out and counted as ignored.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from pmconsole.importers.reading import NOT_UTF8, Source, line_at, whole
from pmconsole.importers.rows import IGNORED, BadRow, ImportRefused, Row, RowProblem, shown
from pmconsole.importers.times import from_epoch

UTC = timezone.utc

# Channel housekeeping, not facts about the incident: skipped and counted as ignored.
_NOTICES = frozenset(
    {"channel_join", "channel_leave", "group_join", "group_leave", "bot_add", "bot_remove"}
)
_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_TS = re.compile(r"\d{1,12}(?:\.\d{1,9})?")
_ANGLE = re.compile(r"<([^<>\n]*)>")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?://)?", re.IGNORECASE)
_TS_KEY = re.compile(r'"ts"\s*:')


def looks_like_slack(text: str) -> bool:
    """Detection: the source starts a JSON array of messages (objects with a ``ts``) or an
    empty one."""
    text = text.lstrip()
    if not text.startswith("["):
        return False
    after = text[1:].lstrip()[:1]
    return after in ("]", "") or (after == "{" and bool(_TS_KEY.search(text)))


def _angle(m: re.Match[str]) -> str:
    inner = m[1]
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):  # <@U123>, <@U123|sam>, <#C123|incidents>
        return target[0] + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@oncall>, <!date^...|fallback>
        if label:
            return label if label.startswith("@") or "^" in target else "@" + label
        return "@" + target[1:].split("^")[0]
    if not label or label == target or label == _SCHEME.sub("", target):
        return label or target  # a bare link, or one Slack made from the text as typed
    return f"{label} ({target})"


def _readable(text: str) -> str:
    """Slack's markup as people read it: mentions and links as text, its three escapes undone."""
    text = _ANGLE.sub(_angle, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _author(message: dict[str, Any]) -> str:
    profile = message.get("user_profile")
    bot = message.get("bot_profile")
    candidates = [
        profile.get("real_name") if isinstance(profile, dict) else None,
        profile.get("display_name") if isinstance(profile, dict) else None,
        message.get("user_name"),
        message.get("username"),  # bots posting under a name
        bot.get("name") if isinstance(bot, dict) else None,
        message.get("user"),
    ]
    return next((c for c in candidates if isinstance(c, str) and c.strip()), "")


def _text(message: dict[str, Any]) -> str:
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    # Alerting bots often post an empty text and the alert in an attachment.
    attachments = message.get("attachments")
    if isinstance(attachments, list):
        for attachment in attachments:
            if isinstance(attachment, dict):
                for key in ("fallback", "text", "title"):
                    value = attachment.get(key)
                    if isinstance(value, str) and value.strip():
                        return value
    return ""


def _time(ts: Any) -> datetime:
    if isinstance(ts, str) and _TS.fullmatch(ts.strip()):
        seconds, _, fraction = ts.strip().partition(".")
        micro = int(fraction[:6].ljust(6, "0"))
        try:
            return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=micro)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(ts, (int, float)) and not isinstance(ts, bool):
        return from_epoch(ts, shown(ts))
    raise BadRow("has no usable ts (a Slack timestamp like \"1700750221.000200\")")


def _messages(data: bytes, path: Path) -> list[Any]:
    """A day file's messages; ImportRefused (naming the file) when it cannot be read."""
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ImportRefused(path, NOT_UTF8, line_at(data, err.start)) from None
    try:
        messages = json.loads(text, strict=False)
    except json.JSONDecodeError as err:
        raise ImportRefused(path, f"is not valid JSON: {err.msg}", err.lineno) from None
    except (ValueError, RecursionError):
        raise ImportRefused(path, "is not valid JSON") from None
    if not isinstance(messages, list):
        raise ImportRefused(path, "is not a Slack day file (a JSON array of messages)")
    return messages


def day_files(folder: Path) -> list[Path]:
    """A channel folder's day files, in date order; ImportRefused when it has none."""
    files = sorted(p for p in folder.iterdir() if _DAY_FILE.fullmatch(p.name) and p.is_file())
    if files:
        return files
    if (folder / "channels.json").exists() or (folder / "users.json").exists():
        raise ImportRefused(
            folder, "is a whole Slack workspace export; import one channel's folder inside it"
        )
    raise ImportRefused(folder, "has no Slack day files (named like 2026-11-23.json)")


def parse_slack(source: Source) -> Iterator[Row | RowProblem | object]:
    in_folder = source.is_folder
    for file in source.files:
        where = file.name if in_folder else ""
        data = whole(file, source.progress)
        try:
            messages = _messages(data, file)
        except ImportRefused as refused:
            if not in_folder:
                raise
            # One unreadable day in a folder is one bad row; the other days still count.
            yield RowProblem(refused.line or 1, refused.message, where)
            continue
        for index, message in enumerate(messages, 1):
            if not isinstance(message, dict):
                yield RowProblem(index, "is not a message object", where)
                continue
            if str(message.get("subtype")) in _NOTICES:
                yield IGNORED
                continue
            try:
                at = _time(message.get("ts"))
            except BadRow as bad:
                yield RowProblem(index, bad.message, where)
                continue
            text = _text(message)
            if not text.strip():
                yield RowProblem(index, "has no text", where)
                continue
            yield Row(index, at, _readable(text), source=_author(message), where=where)
