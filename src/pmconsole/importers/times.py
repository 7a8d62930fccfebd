"""Times as sources write them, to aware datetimes.

A time keeps its own zone and ends up in UTC (the model normalises). A time without a zone is
read in the zone the caller gives (the incident's time zone); in a DST overlap the first of the
two moments is taken. Unix times are told apart by size: seconds, milli-, micro- or nanoseconds.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import email.utils
import math
import re
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmconsole.importers.rows import BadRow, shown

UTC = timezone.utc

ZONE = r"(?P<zone>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
# ISO 8601 / RFC 3339 in its extended form, plus the "2026-11-23 14:37:01,123" of Python's
# logging and the "2026/11/23 14:37:01" of Go's log package. Seconds and zone are optional.
ISO = (
    r"(?P<y>\d{4})(?P<sep>[-/])(?P<mo>\d{2})(?P=sep)(?P<d>\d{2})[Tt ]"
    r"(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    rf"(?:\s?{ZONE})?"
)
ISO_VALUE = re.compile(ISO)
TIME_ONLY = re.compile(rf"\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:[.,]\d+)?)?(?:\s?{ZONE})?")
DATE_ONLY = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}")
_EPOCH_TEXT = re.compile(r"\d{9,19}(?:\.\d+)?")
_RFC2822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
_EXPECTED = "expected ISO 8601 like 2026-11-23T14:37:01Z or 2026-11-23 15:37+01:00"
_SYSLOG_YEAR_SLACK = timedelta(days=183)


@lru_cache(maxsize=64)
def _offset(text: str) -> timezone:
    if text in ("Z", "z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes >= 60:
        raise ValueError(f"offset {text} has {minutes} minutes")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))  # ValueError past 24 h


def from_parts(m: re.Match[str], zone: tzinfo) -> datetime:
    """A datetime from an ISO match; ValueError when it names no real moment."""
    micro = int((m["f"] or "")[:6].ljust(6, "0"))
    tz = _offset(m["zone"]) if m["zone"] else zone
    return datetime(
        int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"] or 0),
        micro, tzinfo=tz,
    )


def iso_moment(text: str, zone: tzinfo) -> datetime | None:
    """The moment a whole ISO 8601 time names (in ``zone`` when it names no offset); None when
    the text is not one, or names no real moment."""
    m = ISO_VALUE.fullmatch(text)
    try:
        return from_parts(m, zone) if m else None
    except ValueError:
        return None


def from_epoch(value: float | int, quoted: str) -> datetime:
    """Unix time in seconds, or milli-, micro- or nanoseconds (told apart by size)."""
    if not math.isfinite(value) or not 1e8 <= abs(value) < 1e20:
        raise BadRow(f"time {quoted} is not a plausible Unix time")
    for _ in range(3):
        if value < 1e11:
            break
        value /= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadRow(f"time {quoted} is not a plausible Unix time") from None


def parse_time(value: Any, zone: tzinfo, date: Any = None) -> datetime:
    """A time cell or JSON value to an aware datetime, or BadRow saying what is wrong.

    ``date`` is a separate date column's value, used when the time has no date of its own.
    """
    if value is None or isinstance(value, bool):
        raise BadRow("has no time")
    if isinstance(value, (int, float)):
        return from_epoch(value, shown(value))
    if not isinstance(value, str):
        raise BadRow("time is not text or a number")
    text = value.strip()
    if not text:
        raise BadRow("has no time")
    if isinstance(date, str) and DATE_ONLY.fullmatch(date.strip()) and TIME_ONLY.fullmatch(text):
        text = f"{date.strip()} {text}"
    if m := ISO_VALUE.fullmatch(text):
        try:
            return from_parts(m, zone)
        except ValueError:
            raise BadRow(f"time {shown(text)} is not a real date and time") from None
    if _EPOCH_TEXT.fullmatch(text):
        return from_epoch(float(text), shown(text))
    if _RFC2822.match(text):
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError, OverflowError):
            raise BadRow(f"time {shown(text)} is not a real date and time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    if TIME_ONLY.fullmatch(text):
        # Guessing the day would put events on the wrong side of midnight without a word.
        raise BadRow(f"time {shown(text)} has no date ({_EXPECTED})")
    if DATE_ONLY.fullmatch(text):
        raise BadRow(f"time {shown(text)} has no time of day ({_EXPECTED})")
    raise BadRow(f"time {shown(text)} is not a date and time ({_EXPECTED})")


_HEADER_ZONE = re.compile(r"\((?P<zone>[A-Za-z][A-Za-z0-9_+/-]*)\)")


def zone_in_header(name: str) -> tzinfo | None:
    """The zone a column's header names, as in "Time (UTC)" or "When (Europe/Berlin)"; None
    when it names none. Times in that column without a zone are in it: no guess to report."""
    m = _HEADER_ZONE.search(name)
    if m is None:
        return None
    if m["zone"].upper() in ("UTC", "GMT", "Z"):
        return UTC
    try:
        return ZoneInfo(m["zone"])
    except (ValueError, ZoneInfoNotFoundError):
        return None


def utc_second(at: datetime) -> datetime:
    """The moment in UTC to the second, or BadRow when it has none there (year 1 with a
    positive offset, say): the one range check every imported time goes through."""
    try:
        return at.astimezone(UTC).replace(microsecond=0)
    except (OverflowError, ValueError):
        raise BadRow("time is out of range") from None


def syslog_year(month: int, day: int, started_at: datetime, zone: ZoneInfo) -> int:
    """Syslog has no year: the incident's, or the one before when that lands far after it."""
    year = started_at.astimezone(zone).year
    try:
        moment = datetime(year, month, day, tzinfo=zone)
    except ValueError:  # 29 February of a year without one
        return year
    return year - 1 if moment > started_at + _SYSLOG_YEAR_SLACK else year
