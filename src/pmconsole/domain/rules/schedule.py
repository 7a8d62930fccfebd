"""Step 1, schedule and time-box: the window after the incident, the meeting's length and
budgets, a neutral facilitator, rotating note-takers.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

from pmconsole.domain.method import (
    MEETING_MINUTES,
    NEUTRAL_FACILITATOR_SESSIONS,
    POSTPONE_LIMIT,
    WINDOW,
    WINDOW_EARLIEST,
    WINDOW_LATEST,
    hours,
    in_words,
)
from pmconsole.domain.model import Participant, Session
from pmconsole.domain.rules.base import Finding, LogFacts, quote, rule, same_name

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
_POSTPONE_DAYS = POSTPONE_LIMIT.days

STEP = 1


def next_note_taker(session: Session, log: LogFacts | None) -> Participant | None:
    """The roster member who took notes least recently (never counts as least recent).

    The facilitator is left out: one person cannot run the room and take its notes. Ties keep
    roster order.
    """
    past = (log or LogFacts()).past
    facilitator = session.meeting.facilitator

    def last_time(person: Participant) -> datetime | None:
        times = [p.meeting_at for p in past if same_name(p.note_taker, person.name)]
        return max(times) if times else None

    def order(person: Participant) -> tuple[int, datetime]:
        last = last_time(person)
        return (0, _EARLIEST) if last is None else (1, last)

    candidates = [p for p in session.participants if p.id != facilitator]
    # min() keeps the first of equals, so people who never took notes stay in roster order.
    return min(candidates, key=order, default=None)


def since_incident(session: Session) -> timedelta | None:
    """How long after the incident ended the meeting is set, None while it has no time."""
    at = session.meeting.scheduled_at
    return at - session.incident.resolved_at if at else None


Timing = Literal["unset", "before", "early", "within", "late", "postponed"]


def meeting_timing(session: Session) -> Timing:
    """Where the meeting falls against the method's window, for the rules and step 1's verdict:
    not set, before the incident ended (a mistake), earlier than the window, within it, later
    than it, or postponed beyond the limit."""
    delay = since_incident(session)
    if delay is None:
        return "unset"
    if delay < timedelta(0):
        return "before"
    if delay < WINDOW_EARLIEST:
        return "early"
    if delay <= WINDOW_LATEST:
        return "within"
    return "late" if delay <= POSTPONE_LIMIT else "postponed"


@rule("schedule.window", STEP)
def schedule_window(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    timing = meeting_timing(session)
    if timing == "unset":
        return [
            Finding(
                "schedule.window", "info", STEP,
                "No meeting time is set yet.",
                f"Schedule the meeting {WINDOW} hours after the incident ended.",
            )
        ]
    delay = since_incident(session)
    assert delay is not None
    spent = hours(delay)
    if timing == "before":
        return [
            Finding(
                "schedule.window", "warn", STEP,
                "The meeting is set before the incident ended.",
                "Check the meeting time and the incident's end: one of them is mistyped.",
            )
        ]
    if timing == "early":
        # Not wrong: memories are fresh. But logs and notes may not all be in yet.
        return [
            Finding(
                "schedule.window", "info", STEP,
                f"The meeting is {spent} h after the incident ended, earlier than "
                f"{hours(WINDOW_EARLIEST)} h.",
                "Memories are fresh, but check that the evidence is in before you start.",
            )
        ]
    if timing == "late":
        return [
            Finding(
                "schedule.window", "warn", STEP,
                f"The meeting is {spent} h after the incident ended, later than "
                f"{hours(WINDOW_LATEST)} h.",
                f"Memories fade: hold it as soon as you can, within {WINDOW} hours.",
            )
        ]
    return []  # in the window, or postponed beyond the limit (schedule.postponed says that)


@rule("schedule.postponed", STEP, guards_advance=True)
def schedule_postponed(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    delay = since_incident(session)
    if delay is None or meeting_timing(session) != "postponed":
        return []
    days = delay.days
    reason = session.meeting.late_reason.strip()
    if reason:
        return [
            Finding(
                "schedule.postponed", "info", STEP,
                f"The meeting is {days} days after the incident; the late reason is recorded: "
                f"{quote(reason)}.",
                "Keep the meeting to the facts that are still remembered and logged.",
            )
        ]
    return [
        Finding(
            "schedule.postponed", "block", STEP,
            f"The meeting is {days} days after the incident, later than {_POSTPONE_DAYS} days.",
            f"Move the meeting within {_POSTPONE_DAYS} days of the incident, or record why it "
            "is late.",
        )
    ]


@rule("meeting.duration", STEP, guards_advance=True)
def meeting_duration(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    meeting = session.meeting
    findings = []
    low, high = MEETING_MINUTES
    if not low <= meeting.planned_minutes <= high:
        findings.append(
            Finding(
                "meeting.duration", "block", STEP,
                f"The meeting is planned for {meeting.planned_minutes} minutes, "
                f"outside {low}–{high}.",
                f"Plan {low}–{high} minutes: a time-box forces the room to prioritise.",
            )
        )
    # Stored budgets of the wrong length are ignored by Session.step_budgets(), so look at
    # the stored list itself for that; the sum is checked on what the meeting will really use.
    stored = meeting.step_budgets
    if stored and len(stored) != 7:
        findings.append(
            Finding(
                "meeting.duration", "block", STEP,
                f"There are {len(stored)} step budgets; the meeting has 7 steps.",
                "Give each of the seven steps its minutes, or clear the budgets to share the "
                "planned length automatically.",
            )
        )
    elif sum(session.step_budgets()) != meeting.planned_minutes:
        findings.append(
            Finding(
                "meeting.duration", "block", STEP,
                f"The step budgets add up to {sum(session.step_budgets())} minutes, "
                f"not the planned {meeting.planned_minutes}.",
                "Change the budgets or the planned length so they match.",
            )
        )
    return findings


@rule("facilitator.neutral", STEP, guards_advance=True)
def facilitator_neutral(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    facilitator = session.participant(session.meeting.facilitator)
    if facilitator is None:
        return [
            Finding(
                "facilitator.neutral", "warn", STEP,
                "No facilitator is named.",
                "Name a facilitator who was not involved in the incident.",
            )
        ]
    if len(log.past) < NEUTRAL_FACILITATOR_SESSIONS and facilitator.involved:
        return [
            Finding(
                "facilitator.neutral", "block", STEP,
                f"The facilitator, {facilitator.name}, was involved in the incident. For the "
                f"team's first {in_words(NEUTRAL_FACILITATOR_SESSIONS)} post-mortems the facilitator "
                "must be neutral.",
                "Choose a facilitator who was not involved, to model the tone and structure.",
                facilitator.id,
            )
        ]
    return []


@rule("notes.rotation", STEP)
def notes_rotation(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    suggestion = next_note_taker(session, log)
    suggest = (
        f"Suggested: {suggestion.name}, who took notes least recently."
        if suggestion
        else "Add the participants to get a suggestion."
    )
    note_taker = session.participant(session.meeting.note_taker)
    if note_taker is None:
        return [
            Finding("notes.rotation", "info", STEP, "No note-taker is named.", suggest)
        ]
    if not log.past:
        return []
    previous = max(log.past, key=lambda p: p.meeting_at)
    if same_name(previous.note_taker, note_taker.name):
        return [
            Finding(
                "notes.rotation", "warn", STEP,
                f"{note_taker.name} also took the notes at the previous post-mortem.",
                f"Rotate note-taking so knowledge is shared. {suggest}",
                note_taker.id,
            )
        ]
    return []
