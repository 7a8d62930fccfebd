"""Slack exports: the ``.zip`` Slack delivers (a whole workspace: ``users.json``,
``channels.json`` and a folder of day files per channel; ``--channel`` names the one to read
when there are several), the same unpacked into a folder, one channel's folder of day files
(``2026-11-23.json``, each a JSON array of messages), or one day file.

https://slack.com/help/articles/220556107-How-to-read-Slack-data-exports — authors and
``<@U…>`` mentions are named from ``users.json``; links become readable text; a message that
only shares a file is kept by the file's name; channel housekeeping (joins, leaves, bots added
or removed, topic, purpose and name changes) is left out and counted as ignored. Problems name
the day file and the line its message starts on.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import codecs
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from pmconsole.importers.json_records import array_lines
from pmconsole.importers.reading import NOT_UTF8, Source, line_at, open_source, whole
from pmconsole.importers.rows import IGNORED, BadRow, ImportRefused, Row, RowProblem, shown
from pmconsole.importers.times import from_epoch
from pmconsole.storage.toml_file import size_text

UTC = timezone.utc

# Channel housekeeping, not facts about the incident: skipped and counted as ignored.
_NOTICES = frozenset({
    "channel_join", "channel_leave", "group_join", "group_leave", "bot_add", "bot_remove",
    "channel_topic", "channel_purpose", "channel_name", "group_topic", "group_purpose",
    "group_name", "channel_archive", "channel_unarchive",
})
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


def _angle(m: re.Match[str], users: dict[str, str]) -> str:
    inner = m[1]
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):  # <@U123>, <@U123|sam>, <#C123|incidents>
        return target[0] + (label or users.get(target[1:], "") or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@oncall>, <!date^...|fallback>
        if label:
            return label if label.startswith("@") or "^" in target else "@" + label
        return "@" + target[1:].split("^")[0]
    if not label or label == target or label == _SCHEME.sub("", target):
        return label or target  # a bare link, or one Slack made from the text as typed
    return f"{label} ({target})"


def _readable(text: str, users: dict[str, str]) -> str:
    """Slack's markup as people read it: mentions (by the names in users.json) and links as
    text, its three escapes undone."""
    text = _ANGLE.sub(lambda m: _angle(m, users), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _author(message: dict[str, Any], users: dict[str, str]) -> str:
    profile = message.get("user_profile")
    bot = message.get("bot_profile")
    candidates = [
        profile.get("real_name") if isinstance(profile, dict) else None,
        profile.get("display_name") if isinstance(profile, dict) else None,
        message.get("user_name"),
        message.get("username"),  # bots posting under a name
        bot.get("name") if isinstance(bot, dict) else None,
        users.get(message["user"]) if isinstance(message.get("user"), str) else None,
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
    # A file shared without a word: kept, by the file's name.
    files = message.get("files")
    if isinstance(files, list):
        names = [str(f.get("name") or f.get("title")) for f in files
                 if isinstance(f, dict) and (f.get("name") or f.get("title"))]
        if names:
            return f"shared {'a file' if len(names) == 1 else 'files'}: {', '.join(names)}"
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


def _messages(data: bytes, path: Path) -> list[tuple[int, Any]]:
    """A day file's messages, each with the line it starts on; ImportRefused (naming the file)
    when it cannot be read."""
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
    return list(zip(array_lines(text.lstrip("\ufeff")), messages))


def _channel_days(names: list[str]) -> dict[str, list[str]]:
    """A workspace export's channels and their day files, from the paths in it."""
    channels: dict[str, list[str]] = {}
    for name in sorted(names):
        folder, _, leaf = name.rstrip("/").rpartition("/")
        if folder and "/" not in folder and _DAY_FILE.fullmatch(leaf):
            channels.setdefault(folder, []).append(name)
    return channels


def _pick(path: Path, channels: dict[str, list[str]], channel: str) -> str:
    wanted = channel.removeprefix("#")
    if wanted:
        if wanted in channels:
            return wanted
        raise ImportRefused(path, f"has no channel {wanted!r} with messages "
                                  f"(it has: {', '.join(channels) or 'none'})")
    if len(channels) == 1:
        return next(iter(channels))
    names = ", ".join(channels) or "none with messages"
    raise ImportRefused(path, "is a whole Slack workspace export; name the channel with "
                              f"--channel (it has: {names})")


def _holds_an_export(folder: Path) -> bool:
    """Whether ``folder`` is a Slack export's or a channel's folder."""
    try:
        return folder.is_dir() and (
            (folder / "channels.json").exists() or (folder / "users.json").exists()
            or any(_DAY_FILE.fullmatch(f.name) for f in folder.iterdir()))
    except OSError:  # a folder we may not read is not the export
        return False


def day_files(folder: Path, channel: str = "") -> list[Path]:
    """The day files to read from a channel's folder, or from the channel of a workspace
    export's folder; ImportRefused when there are none."""
    files = sorted(p for p in folder.iterdir() if _DAY_FILE.fullmatch(p.name) and p.is_file())
    if files:
        return files
    if (folder / "channels.json").exists() or (folder / "users.json").exists():
        names = [f"{d.name}/{f.name}" for d in folder.iterdir() if d.is_dir()
                 for f in d.iterdir() if f.is_file()]
        chosen = _pick(folder, _channel_days(names), channel)
        return [folder / name for name in _channel_days(names)[chosen]]
    inner = sorted(d.name for d in folder.iterdir() if _holds_an_export(d))
    if inner:
        # A folder one level above the export (the zip unpacked into a folder of its own).
        raise ImportRefused(folder, f"has no Slack day files itself; the Slack export is in "
                                    f"{' or '.join(str(folder / d) for d in inner[:3])}: "
                                    f"name that folder")
    raise ImportRefused(folder, "has no Slack day files (named like 2026-11-23.json)")


def _users(data: bytes | None) -> dict[str, str]:
    """users.json of an export: each user's id and the name people know them by."""
    try:
        users = json.loads(data or b"[]")
    except (ValueError, RecursionError):
        return {}
    names: dict[str, str] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
            for name in (profile.get("real_name"), user.get("real_name"),
                         profile.get("display_name"), user.get("name")):
                if isinstance(name, str) and name.strip():
                    names[user["id"]] = name
                    break
    return names


def _read_users(path: Path, limit: int) -> bytes | None:
    try:
        with open_source(path, limit) as f:
            return f.read(limit)
    except ImportRefused:
        return None


def parse_slack(source: Source) -> Iterator[Row | RowProblem | object]:
    path = source.path
    if source.is_folder:
        files = source.files
        users_file = next((p for p in (path / "users.json", files[0].parent / "users.json",
                                       files[0].parent.parent / "users.json") if p.is_file()), None)
        users = _users(_read_users(users_file, source.progress.limit) if users_file else None)
        days = [(file.name, file, lambda file=file: whole(file, source.progress)) for file in files]
        yield from _days(days, users, True)
        return
    with open_source(path, source.progress.limit) as f:
        if f.read(4) != b"PK\x03\x04":
            f.seek(0)
            yield from _days([("", path, lambda: whole(path, source.progress))], {}, False)
            return
        f.seek(0)
        try:
            archive = zipfile.ZipFile(f)
            names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise ImportRefused(path, f"is not a readable zip file ({err})") from None
        with archive:
            channels = _channel_days(names)
            if not channels:  # one channel's folder, zipped: its day files at the top
                top = sorted(n for n in names if _DAY_FILE.fullmatch(n))
                if not top:
                    raise ImportRefused(path, "is a zip file without Slack day files in it")
                chosen_days = top
            else:
                chosen_days = channels[_pick(path, channels, source.channel)]

            def member(name: str) -> bytes:
                info = archive.getinfo(name)
                if source.progress.done + info.file_size > source.progress.limit:
                    raise ImportRefused(path, f"holds more than the import limit of "
                                              f"{size_text(source.progress.limit)} unpacked")
                try:
                    data = archive.read(info)
                except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
                    raise ImportRefused(path, f"{name} cannot be unpacked ({err})") from None
                source.progress.done += len(data)
                return data

            users = _users(member("users.json")) if "users.json" in names else {}
            days = [(name, path, lambda name=name: member(name)) for name in chosen_days]
            yield from _days(days, users, True)


def _days(
    days: list[tuple[str, Path, Callable[[], bytes]]], users: dict[str, str], several: bool
) -> Iterator[Row | RowProblem | object]:
    for where, file, read in days:
        where = where if several else ""
        data = read()
        try:
            messages = _messages(data, file)
        except ImportRefused as refused:
            if not several:
                raise
            # One unreadable day in a folder is one bad row; the other days still count.
            yield RowProblem(refused.line or 1, refused.message, where)
            continue
        for index, message in messages:
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
            # The tool and who wrote it, as every importer names its source ("PagerDuty: …").
            author = _author(message, users)
            yield Row(index, at, _readable(text, users),
                      source=f"Slack: {author}" if author else "Slack", where=where)
