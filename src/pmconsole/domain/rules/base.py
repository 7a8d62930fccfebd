"""What every rule shares: the ``Finding`` it returns, the log's facts it may read, the
``@rule(id, step)`` registry it joins, and the date and quoting helpers of its messages.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from pmconsole.domain.method import FOLLOWUP_DAYS
from pmconsole.domain.model import Session

SEVERITIES: tuple[str, ...] = ("block", "warn", "info")
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    """One thing a rule has to say about a session."""

    rule: str  # rule id, e.g. "actions.open_limit"
    severity: str  # "block" | "warn" | "info"
    step: int  # 1..7 for the step it belongs to, 8 for wrap-up
    message: str  # plain sentence, for people; may quote user text, never as markup
    hint: str  # how to fix it, or the way out
    subject: str = ""  # id of the record concerned, "" if none

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PastSession:
    """What the post-mortem log knows of an earlier post-mortem."""

    meeting_at: datetime  # aware
    facilitator: str  # participant name ("" if unknown)
    note_taker: str  # participant name ("" if unknown)


@dataclass(frozen=True)
class LogFacts:
    """The log's history that rules need. An empty log means one of the first post-mortems."""

    past: tuple[PastSession, ...] = ()  # earlier post-mortems of the team, any order


Rule = Callable[[Session, LogFacts, datetime], list[Finding]]

# The registry, filled by @rule as the step modules are imported (rules/__init__.py imports
# them all): every rule by id, the step its findings belong to, and the rules whose block
# keeps the meeting from moving past that step.
RULES: dict[str, Rule] = {}
RULE_STEPS: dict[str, int] = {}
ADVANCE_GUARDS: set[str] = set()


def rule(rule_id: str, step: int, *, guards_advance: bool = False) -> Callable[[Rule], Rule]:
    """Register a rule under its id, for the step its findings belong to. ``guards_advance``:
    a block of this rule keeps the meeting from moving past that step."""

    def register(function: Rule) -> Rule:
        if rule_id in RULES:
            raise ValueError(f"two rules have the id {rule_id!r}")
        RULES[rule_id] = function
        RULE_STEPS[rule_id] = step
        if guards_advance:
            ADVANCE_GUARDS.add(rule_id)
        return function

    return register


def sort_key(finding: Finding) -> tuple[int, int, str]:
    """Findings by step, then block before warn before info, then rule."""
    return finding.step, _SEVERITY_RANK[finding.severity], finding.rule


def quote(text: str, limit: int = 60) -> str:
    """User text shortened for a message, in plain quotes."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f'"{text}"'


# -- dates ------------------------------------------------------------------------------------


def meeting_day(session: Session) -> date | None:
    """The calendar day of the meeting in the incident's time zone, None if not scheduled."""
    at = session.meeting.scheduled_at
    return session.local(at).date() if at else None


def today(session: Session, now: datetime) -> date:
    return session.local(now).date()


def followup_review_date(session: Session) -> date | None:
    """The follow-up review: as set, else FOLLOWUP_DAYS after the meeting; None without
    either."""
    if session.followup_review_at:
        return session.followup_review_at
    day = meeting_day(session)
    return day + timedelta(days=FOLLOWUP_DAYS) if day else None


def step_started(session: Session, step: int) -> datetime | None:
    return next((s.started_at for s in session.steps if s.id == str(step)), None)


def same_name(a: str, b: str) -> bool:
    """The log knows people by name only; spacing and case are not a different person."""
    return bool(a.strip()) and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
