"""The session: everything one post-mortem holds, as pydantic models.

A session is one incident, one meeting about it, and what the meeting produced. Every list of
records has an ``id`` on each record, so the operation log (``store``) can address an edit as
(collection, record id, field) and two panes editing different fields of one record both win.

All times are timezone-aware and kept in UTC; display converts to the incident's time zone.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

import re
import secrets
from operator import attrgetter
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pmconsole.domain.text import clean_text

SCHEMA_VERSION = 1

STEP_NAMES: tuple[str, ...] = (
    "Schedule & time-box",
    "Learning question",
    "Psychological safety",
    "Facts",
    "Timeline",
    "Contributing factors",
    "Actions",
)
WRAP_UP = len(STEP_NAMES) + 1  # the step number of the wrap-up screen

# How a 60-90 minute meeting is shared between the seven steps, as weights. The timeline gets
# the largest share because the method gives it 15-25 minutes on its own.
STEP_WEIGHTS: tuple[int, ...] = (3, 5, 12, 10, 20, 15, 10)

DEFAULT_STATEMENT = (
    "This is a blameless post-mortem. We are here to learn how our systems, processes and "
    "tools let this incident happen, not to find someone at fault. We talk about facts and "
    "conditions, not people. If anyone hears blame, say so: we pause and reset to facts."
)

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]
SEVERITY_LEVELS: tuple[str, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")
Seniority = Literal["junior", "mid", "senior", "lead"]
SENIORITY_ORDER: dict[str, int] = {"junior": 0, "mid": 1, "senior": 2, "lead": 3}
EventKind = Literal["alert", "action", "decision", "observation"]
EVENT_KINDS: tuple[str, ...] = ("alert", "action", "decision", "observation")
Basis = Literal["fact", "interpretation"]
FactorCategory = Literal["process", "tooling", "staffing", "communication", "environment"]
FACTOR_CATEGORIES: tuple[str, ...] = (
    "process",
    "tooling",
    "staffing",
    "communication",
    "environment",
)
EvidenceKind = Literal["timeline", "log", "screenshot", "note", "link"]
ActionStatus = Literal["open", "done", "dropped"]


# Times and dates outside these years are typing mistakes, and arithmetic on them (a due date
# plus 14 days, say) would overflow. A time is judged in UTC, as it is stored: 23:00 at -12:00 on
# the last day of 2999 is already 3000 in UTC, and would be written as a file nothing can read.
FIRST_YEAR, LAST_YEAR = 1970, 2999


def _plausible_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year} is out of range ({FIRST_YEAR}-{LAST_YEAR})")


def to_utc(value: datetime) -> datetime:
    """An aware time in UTC, within FIRST_YEAR-LAST_YEAR once in UTC: the one check of every
    time, whichever way it came in (the command line, a form, an import, the file)."""
    try:
        utc = value.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # year 1 at +01:00, year 9999 at -01:00
        utc = None
    if utc is None:
        raise ValueError(f"{value.isoformat()} is out of range ({FIRST_YEAR}-{LAST_YEAR})")
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        message = f"year {utc.year} is out of range ({FIRST_YEAR}-{LAST_YEAR})"
        if utc.year != value.year:
            message += f": {value.isoformat()} is {utc:%Y-%m-%d %H:%M} in UTC, as it is kept"
        raise ValueError(message)
    return utc


def plausible_date(value: date) -> date:
    """A day within FIRST_YEAR-LAST_YEAR: the one check of every date."""
    _plausible_year(value.year)
    return value


def error_line(err: ValidationError) -> str:
    """A pydantic error as one line, for a person: where (the field's path) and what, from its
    first error. The one way the console, the command line and the settings say a value does
    not fit."""
    first = err.errors()[0]
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {message}" if where else message


# An aware datetime, normalised to UTC. Naive input is refused by pydantic's AwareDatetime with
# "Input should have timezone info", which the loaders turn into a message naming the field.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]

# Every text field goes through the one cleaner of user text (text.py) as it is validated.
Text = Annotated[str, AfterValidator(clean_text)]
Day = Annotated[date, AfterValidator(plausible_date)]


# An e-mail address as trackers and calendars take it: one "@", a dot in the domain, nothing that
# would end a CSV cell, an iCalendar parameter or a shell word.
_EMAIL = re.compile(r"[^@\s\"'<>;:,()\[\]\\]+@[^@\s\"'<>;:,()\[\]\\]+\.[^@\s\"'<>;:,()\[\]\\]+")
# A tracker login (GitHub, GitLab, Linear, a Jira user name): letters, digits, ".", "_", "-".
_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,98}")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("not an e-mail address such as name@example.com")
    return value


def _handle(value: str) -> str:
    if not _HANDLE.fullmatch(value):
        raise ValueError("a tracker login is letters, digits, '.', '_' and '-', without '@'")
    return value


Email = Annotated[str, AfterValidator(_email)]
Handle = Annotated[str, AfterValidator(_handle)]


def no_items() -> list:
    """A new empty list, the default of every list field. A function of ours rather than
    ``list``: pydantic reads a default factory's signature when it builds the model, and for a
    built-in that means parsing its text signature with the ``tokenize`` module, whose patterns
    alone take ~7 ms to compile at every start."""
    return []


def new_id(prefix: str) -> str:
    """A short random id. Random, not counted, so two panes adding at once never collide."""
    return f"{prefix}-{secrets.token_hex(5)}"


class Record(BaseModel):
    """Base of every model: validate on assignment so a field-level edit is checked too."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")


class Incident(Record):
    title: Text
    severity: Severity = "SEV2"
    tags: list[Text] = Field(default_factory=no_items)
    started_at: UtcDatetime
    detected_at: UtcDatetime | None = None
    mitigated_at: UtcDatetime | None = None
    resolved_at: UtcDatetime
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)")
        return value

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str]) -> list[str]:
        # Each tag once, in the order first given (a dict: a list's `in` made 100,000 tags
        # take 50 seconds).
        return list(dict.fromkeys(t for t in (tag.strip().lower() for tag in value) if t))


class Meeting(Record):
    scheduled_at: UtcDatetime | None = None
    # Plausible bounds only; the method's 60-90 is a rule (meeting.duration), not a type.
    planned_minutes: int = Field(default=75, ge=1, le=24 * 60)
    # Minutes per step, seven numbers; empty means "derive from planned_minutes".
    step_budgets: list[Annotated[int, Field(ge=0, le=24 * 60)]] = Field(default_factory=no_items)
    current_step: int = Field(default=1, ge=1, le=WRAP_UP)
    facilitator: str | None = None  # a participant id
    note_taker: str | None = None  # a participant id
    statement: Text = DEFAULT_STATEMENT
    statement_shown_at: UtcDatetime | None = None
    late_reason: Text = ""
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None
    feedback_offered: bool = False


class StepTime(Record):
    """When a step actually ran. ``id`` is the step number as text ("1" .. "8")."""

    id: str
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None


class Participant(Record):
    id: str = Field(default_factory=lambda: new_id("p"))
    name: Text
    role: Text = ""
    seniority: Seniority = "mid"
    involved: bool = False
    # What issue trackers and calendars know the person by; both optional.
    email: Email | None = None
    handle: Handle | None = None  # a login, without "@"


class LearningQuestion(Record):
    text: Text = ""
    set_at: UtcDatetime | None = None


class SpeakerTurn(Record):
    id: str = Field(default_factory=lambda: new_id("turn"))
    participant_id: str
    # Place in the queue. A number rather than list position, so reordering is one field edit
    # that merges with the other pane's edits.
    order: int = 0
    planned_minutes: int = Field(default=5, ge=1, le=24 * 60)
    started_at: UtcDatetime | None = None
    ended_at: UtcDatetime | None = None
    skipped: bool = False
    # Speaks in the open round after the timed turns: the round shares the minutes the timed
    # turns leave in the step, and this turn's planned_minutes do not count.
    open_round: bool = False


class Pause(Record):
    """A blame pause. Deliberately holds no name: the method pauses the room, not a person."""

    id: str = Field(default_factory=lambda: new_id("pause"))
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None


class Evidence(Record):
    id: str = Field(default_factory=lambda: new_id("ev"))
    kind: EvidenceKind = "note"
    reference: Text
    submitted_by: Text = ""
    submitted_at: UtcDatetime


class TimelineEvent(Record):
    id: str = Field(default_factory=lambda: new_id("e"))
    at: UtcDatetime
    kind: EventKind = "observation"
    text: Text
    basis: Basis = "fact"
    major: bool = False
    source: Text = ""


class ContributingFactor(Record):
    id: str = Field(default_factory=lambda: new_id("f"))
    text: Text
    category: FactorCategory | None = None
    event_ids: list[str] = Field(default_factory=no_items)


class StatusChange(Record):
    status: ActionStatus
    at: UtcDatetime
    note: Text = ""


class ActionItem(Record):
    id: str = Field(default_factory=lambda: new_id("a"))
    title: Text
    description: Text = ""
    owner: Text = ""
    due: Day | None = None
    criterion: Text = ""
    status: ActionStatus = "open"
    history: list[StatusChange] = Field(default_factory=no_items)
    factor_ids: list[str] = Field(default_factory=no_items)
    staging_check: Day | None = None
    due_reason: Text = ""  # why a due date outside 7-21 days was accepted


class Feedback(Record):
    """One anonymous answer: no name, no timestamp; the id only lets the log address it."""

    id: str = Field(default_factory=lambda: new_id("fb"))
    rating: int | None = Field(default=None, ge=1, le=5)  # how safe it felt to speak, 1-5
    comment: Text = ""  # what went well
    unsaid: Text = ""  # what the person did not say in the room


class StepNote(Record):
    """The note-taker's free notes for one step. ``id`` is the step number as text."""

    id: str
    text: Text = ""


class Session(Record):
    schema_version: int = SCHEMA_VERSION
    incident: Incident
    meeting: Meeting = Field(default_factory=Meeting)
    question: LearningQuestion = Field(default_factory=LearningQuestion)
    summary: Text = ""
    followup_review_at: Day | None = None
    followup_review_held: Day | None = None  # the day the follow-up review was held
    participants: list[Participant] = Field(default_factory=no_items)
    steps: list[StepTime] = Field(default_factory=no_items)
    speaker_turns: list[SpeakerTurn] = Field(default_factory=no_items)
    pauses: list[Pause] = Field(default_factory=no_items)
    evidence: list[Evidence] = Field(default_factory=no_items)
    timeline: list[TimelineEvent] = Field(default_factory=no_items)
    factors: list[ContributingFactor] = Field(default_factory=no_items)
    actions: list[ActionItem] = Field(default_factory=no_items)
    feedback: list[Feedback] = Field(default_factory=no_items)
    notes: list[StepNote] = Field(default_factory=no_items)

    @model_validator(mode="after")
    def _ids_unique(self) -> "Session":
        # Every edit finds its record by id: two records with one id would hide one of them.
        for name in COLLECTIONS:
            seen: set[str] = set()
            for record in getattr(self, name):
                if record.id in seen:
                    raise ValueError(f"two {name} records have the id {record.id!r}")
                seen.add(record.id)
        return self

    # -- lookups ---------------------------------------------------------------------------

    def participant(self, pid: str | None) -> Participant | None:
        return next((p for p in self.participants if p.id == pid), None) if pid else None

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.incident.timezone)

    def local(self, moment: datetime) -> datetime:
        """A stored UTC time in the incident's own time zone, for display."""
        return moment.astimezone(self.zone())

    def speaker_queue(self) -> list[SpeakerTurn]:
        return sorted(self.speaker_turns, key=lambda t: (t.order, t.id))

    def open_actions(self) -> list[ActionItem]:
        return [a for a in self.actions if a.status == "open"]

    def agreed_actions(self) -> list[ActionItem]:
        """Actions that still stand: a dropped action was taken back, so it counts for nothing."""
        return [a for a in self.actions if a.status != "dropped"]

    def sorted_timeline(self) -> list[TimelineEvent]:
        return sorted(self.timeline, key=BY_TIME)

    def major_events(self) -> list[TimelineEvent]:
        return sorted((e for e in self.timeline if e.major), key=BY_TIME)

    def step_budgets(self) -> list[int]:
        """Minutes per step: the stored budgets, or the planned length shared by weight."""
        if len(self.meeting.step_budgets) == len(STEP_NAMES):
            return list(self.meeting.step_budgets)
        return budgets_for(self.meeting.planned_minutes)

    def durations(self) -> dict[str, timedelta | None]:
        """Time to detect, mitigate and resolve, each from the start of the incident."""
        inc = self.incident
        return {
            "detect": inc.detected_at - inc.started_at if inc.detected_at else None,
            "mitigate": inc.mitigated_at - inc.started_at if inc.mitigated_at else None,
            "resolve": inc.resolved_at - inc.started_at,
        }

    def durations_line(self) -> str:
        """The three durations as one line, as step 1 and the timeline show them."""
        d = self.durations()
        return (
            f"Time to detect {format_duration(d['detect'])} · to mitigate "
            f"{format_duration(d['mitigate'])} · to resolve {format_duration(d['resolve'])}"
        )


# The timeline's order: by time, then by id so that events at the same minute keep one order.
BY_TIME = attrgetter("at", "id")


def budgets_for(planned_minutes: int) -> list[int]:
    """Share a planned meeting length between the seven steps; the parts add up exactly."""
    total = sum(STEP_WEIGHTS)
    raw = [planned_minutes * w / total for w in STEP_WEIGHTS]
    budgets = [int(r) for r in raw]
    # Hand the minutes lost to rounding down to the steps that lost the most.
    leftovers = sorted(range(len(raw)), key=lambda i: raw[i] - budgets[i], reverse=True)
    for i in leftovers[: planned_minutes - sum(budgets)]:
        budgets[i] += 1
    return budgets


# The lists of records an edit can address, by the name they have in the file.
COLLECTIONS: dict[str, type[Record]] = {
    "participants": Participant,
    "steps": StepTime,
    "speaker_turns": SpeakerTurn,
    "pauses": Pause,
    "evidence": Evidence,
    "timeline": TimelineEvent,
    "factors": ContributingFactor,
    "actions": ActionItem,
    "feedback": Feedback,
    "notes": StepNote,
}
# The single records an edit can address; "session" is the session's own plain fields.
SINGLETONS: tuple[str, ...] = ("incident", "meeting", "question", "session")
SESSION_FIELDS: tuple[str, ...] = ("summary", "followup_review_at", "followup_review_held")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 turn", "2 turns": a number with its noun, singular for one."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


# Day and month names as every screen and export writes them: English, whatever the locale.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """Tue 24 Nov: a day of the incident, as a timeline names it."""
    return f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def format_duration(delta: timedelta | None) -> str:
    """47 min, 2 h 05 min: how durations read on screen and in exports."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def jsonable(value: Any) -> Any:
    """A field value as JSON can carry it (dates and datetimes as ISO 8601 text)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value
