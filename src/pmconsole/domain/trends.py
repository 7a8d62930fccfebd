"""Trends across post-mortems: is the team getting better? Pure functions over sessions.

What `pmconsole log stats` prints and the published site's trends page draws: incidents per
month by severity; time to detect, mitigate and resolve (median and 90th percentile, overall and
by month); the meeting's delay against the method's 48-72 h window; the actions agreed, done on
time, overdue and how old the open ones are; contributing conditions by category; the tags and
words that keep coming back.

A month is the month the incident started, in the incident's own time zone. Nothing here reads a
file or looks at the clock: the caller gives the sessions and ``now``.

Never import Textual here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from typing import Iterable, Sequence

from pmconsole.domain.model import FACTOR_CATEGORIES, SEVERITY_LEVELS, Session, format_duration
from pmconsole.domain.method import POSTPONE_LIMIT, WINDOW_EARLIEST, WINDOW_LATEST, hours

DURATIONS: tuple[str, ...] = ("detect", "mitigate", "resolve")
UNCATEGORISED = "uncategorised"
# The meeting's delay after the incident ended, as the method judges it (schedule.window and
# schedule.postponed), in the order a chart shows them.
DELAY_BANDS: tuple[str, ...] = ("early", "in_window", "late", "postponed", "not_scheduled")
# The method's window as the trends say it: "48-72 h", "7 days".
WINDOW_HOURS = f"{hours(WINDOW_EARLIEST)}-{hours(WINDOW_LATEST)} h"
POSTPONED_AFTER = f"{POSTPONE_LIMIT.days} days"
RECURRING = 2  # a tag or a word is recurring once it comes back in a second post-mortem
# Words that say nothing about what keeps going wrong.
_COMMON = frozenset(
    "about after again alert because before being between could during every first from have "
    "into later minutes other over should since some than that their there these they this "
    "through under until when where which while with without would hours incident outage".split()
)


@dataclass(frozen=True)
class Spread:
    """Minutes: how many values, their median and 90th percentile (None when there are none)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread()
    ordered = sorted(values)
    # The nearest-rank 90th percentile: a value that occurred, never one in between.
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return Spread(len(ordered), round(median(ordered), 1), round(p90, 1))


@dataclass
class ActionTrend:
    agreed: int = 0  # not dropped
    done: int = 0
    done_on_time: int = 0  # done on or before the due day
    done_late: int = 0
    open: int = 0
    overdue: int = 0  # open, past the due day
    dropped: int = 0
    open_age_days: Spread = field(default_factory=Spread)  # days since each open one was agreed


@dataclass
class Trends:
    incidents: int = 0
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # month -> severity -> n
    durations: dict[str, Spread] = field(default_factory=dict)  # detect/mitigate/resolve
    durations_by_month: dict[str, dict[str, Spread]] = field(default_factory=dict)
    meeting_delay: dict[str, int] = field(default_factory=dict)  # DELAY_BANDS -> n
    meeting_delay_hours: Spread = field(default_factory=Spread)  # in hours, not minutes
    actions: ActionTrend = field(default_factory=ActionTrend)
    conditions: dict[str, int] = field(default_factory=dict)  # category -> n
    conditions_by_month: dict[str, dict[str, int]] = field(default_factory=dict)
    recurring_tags: list[tuple[str, int]] = field(default_factory=list)  # most first
    recurring_terms: list[tuple[str, int]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, error)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["recurring_tags"] = [{"tag": t, "count": n} for t, n in self.recurring_tags]
        data["recurring_terms"] = [{"term": t, "count": n} for t, n in self.recurring_terms]
        data["unreadable"] = [{"path": p, "error": e} for p, e in self.unreadable]
        return data


def month_of(session: Session) -> str:
    return session.local(session.incident.started_at).strftime("%Y-%m")


def select(
    sessions: Iterable[Session], *, since: date | None = None, tags: Sequence[str] = ()
) -> list[Session]:
    """The sessions whose incident started on or after ``since`` and that carry every tag."""
    wanted = [t.strip().lower() for t in tags if t.strip()]
    return [
        s for s in sessions
        if (since is None or s.local(s.incident.started_at).date() >= since)
        and all(t in s.incident.tags for t in wanted)
    ]


def delay_band(session: Session) -> str:
    """Where the meeting fell against the method's window after the incident ended."""
    at = session.meeting.scheduled_at
    if at is None:
        return "not_scheduled"
    delay = at - session.incident.resolved_at
    if delay < WINDOW_EARLIEST:
        return "early"
    if delay <= WINDOW_LATEST:
        return "in_window"
    return "late" if delay <= POSTPONE_LIMIT else "postponed"


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _done_day(session: Session, action) -> date | None:
    """The day an action was last marked done, in the incident's time zone."""
    done = [c.at for c in action.history if c.status == "done"]
    return session.local(max(done)).date() if done else None


def _agreed_day(session: Session, action) -> date | None:
    if action.history:
        return session.local(min(c.at for c in action.history)).date()
    at = session.meeting.scheduled_at
    return session.local(at).date() if at else None


def _terms(session: Session) -> set[str]:
    text = " ".join([session.incident.title, *(f.text for f in session.factors)])
    return {w for w in re.findall(r"[^\W\d_]{5,}", text.lower()) if w not in _COMMON}


def trends(
    sessions: Iterable[Session], now: datetime, unreadable: Iterable[tuple[str, str]] = ()
) -> Trends:
    """The figures over ``sessions`` (already selected), judged at ``now``."""
    result = Trends(unreadable=list(unreadable))
    minutes: dict[str, list[float]] = {name: [] for name in DURATIONS}
    by_month_minutes: dict[str, dict[str, list[float]]] = {}
    delay_hours: list[float] = []
    open_ages: list[float] = []
    tags: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    result.meeting_delay = dict.fromkeys(DELAY_BANDS, 0)
    result.conditions = dict.fromkeys((*FACTOR_CATEGORIES, UNCATEGORISED), 0)
    acts = result.actions
    for session in sessions:
        result.incidents += 1
        month = month_of(session)
        per_severity = result.by_month.setdefault(month, dict.fromkeys(SEVERITY_LEVELS, 0))
        per_severity[session.incident.severity] += 1
        month_minutes = by_month_minutes.setdefault(month, {name: [] for name in DURATIONS})
        for name, delta in session.durations().items():
            if delta is not None and delta >= timedelta(0):
                minutes[name].append(_minutes(delta))
                month_minutes[name].append(_minutes(delta))
        band = delay_band(session)
        result.meeting_delay[band] += 1
        if session.meeting.scheduled_at is not None:
            delay = session.meeting.scheduled_at - session.incident.resolved_at
            delay_hours.append(round(delay.total_seconds() / 3600, 1))
        for factor in session.factors:
            category = factor.category or UNCATEGORISED
            result.conditions[category] += 1
            per_category = result.conditions_by_month.setdefault(month, {})
            per_category[category] = per_category.get(category, 0) + 1
        today = session.local(now).date()
        for action in session.actions:
            if action.status == "dropped":
                acts.dropped += 1
                continue
            acts.agreed += 1
            if action.status == "done":
                acts.done += 1
                day = _done_day(session, action)
                if day is not None and action.due is not None:
                    if day <= action.due:
                        acts.done_on_time += 1
                    else:
                        acts.done_late += 1
                continue
            acts.open += 1
            if action.due is not None and action.due < today:
                acts.overdue += 1
            agreed = _agreed_day(session, action)
            if agreed is not None:
                open_ages.append(max(0, (today - agreed).days))
        tags.update(session.incident.tags)
        terms.update(_terms(session))
    result.by_month = dict(sorted(result.by_month.items()))
    result.durations = {name: spread(values) for name, values in minutes.items()}
    result.durations_by_month = {
        month: {name: spread(values) for name, values in per.items()}
        for month, per in sorted(by_month_minutes.items())
    }
    result.meeting_delay_hours = spread(delay_hours)
    result.conditions_by_month = dict(sorted(result.conditions_by_month.items()))
    acts.open_age_days = spread(open_ages)
    result.recurring_tags = _recurring(tags)
    result.recurring_terms = _recurring(terms)[:15]
    return result


def _recurring(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most often first, then by name, so equal counts read the same every time."""
    return sorted(((k, n) for k, n in counts.items() if n >= RECURRING), key=lambda kv: (-kv[1], kv[0]))


def minutes_text(value: float | None) -> str:
    """A spread's minutes as durations read everywhere: 47 min, 2 h 05 min."""
    return "—" if value is None else format_duration(timedelta(minutes=round(value)))


def _days(value: float | None) -> str:
    return "—" if value is None else f"{round(value)} days"


def describe(t: Trends) -> list[str]:
    """The figures as plain lines for a terminal (user text in them is the caller's to clean)."""
    lines = [f"{t.incidents} post-mortems"]
    if t.by_month:
        lines += ["", "Incidents per month      " + "  ".join(f"{s:>4}" for s in SEVERITY_LEVELS)]
        for month, per in t.by_month.items():
            lines.append(f"  {month}                " + "  ".join(f"{per[s]:>4}" for s in SEVERITY_LEVELS))
    lines += ["", "Time from the start       median      90th pct   of"]
    for name in DURATIONS:
        s = t.durations.get(name, Spread())
        lines.append(f"  to {name:9}             {minutes_text(s.median):>10}  "
                     f"{minutes_text(s.p90):>10}   {s.count}")
    d = t.meeting_delay
    lines += [
        "",
        f"Meeting after the incident (the method: {WINDOW_HOURS})",
        f"  in the window {d.get('in_window', 0)} · earlier {d.get('early', 0)} · "
        f"later than {hours(WINDOW_LATEST)} h {d.get('late', 0)} · after {POSTPONED_AFTER} "
        f"{d.get('postponed', 0)} · "
        f"not scheduled {d.get('not_scheduled', 0)}",
        f"  median delay {t.meeting_delay_hours.median if t.meeting_delay_hours.median is not None else '—'} h",
    ]
    a = t.actions
    age = a.open_age_days
    lines += [
        "",
        "Actions",
        f"  agreed {a.agreed} · done {a.done} ({a.done_on_time} on time, {a.done_late} late) · "
        f"open {a.open} · overdue {a.overdue} · dropped {a.dropped}",
        f"  open ones agreed {_days(age.median)} ago (median), {_days(age.p90)} (90th pct)",
        "",
        "Contributing conditions by category",
        "  " + " · ".join(f"{c} {n}" for c, n in t.conditions.items()),
    ]
    if t.recurring_tags:
        lines += ["", "Recurring tags", "  " + " · ".join(f"#{k} {n}" for k, n in t.recurring_tags)]
    if t.recurring_terms:
        lines += ["", "Recurring words", "  " + " · ".join(f"{k} {n}" for k, n in t.recurring_terms)]
    for path, error in t.unreadable:
        lines.append(f"unreadable, not counted: {error}")
    return lines
