"""The method's rules: pure functions from a session (plus the log and the time) to findings.

Each rule of SPEC section 2 is one function here, registered in ``RULES`` under its id. A rule
reads the session, the facts the post-mortem log knows (``LogFacts``) and ``now``, and returns
``Finding`` objects; it never changes anything, never reads a file and never looks at the clock
itself, so the console, ``pmconsole check``, the exporters and the tests all get the same answer.

Messages are plain sentences. They may quote user text, as plain text: whoever shows them must
show them literally (the UI renders them without markup).

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

from pmconsole.domain.model import (
    BY_TIME,
    SENIORITY_ORDER,
    WRAP_UP,
    ActionItem,
    Participant,
    Session,
    budgets_for,
    counted,
)

SEVERITIES: tuple[str, ...] = ("block", "warn", "info")
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}

# The method's numbers, named once.
WINDOW_EARLIEST = timedelta(hours=48)
WINDOW_LATEST = timedelta(hours=72)
POSTPONE_LIMIT = timedelta(days=7)
MEETING_MINUTES = (60, 90)
SPEAKER_MINUTES = (5, 10)
NEUTRAL_FACILITATOR_SESSIONS = 3  # the first three post-mortems of the team
EVIDENCE_LEAD = timedelta(hours=24)
PAGE_WORDS = 500
PAGE_LINES = 60
PAGE_COLUMNS = 80
TIMELINE_MINUTES = (15, 25)
FACTORS_PER_EVENT = (3, 5)
ACTIONS_AGREED = (3, 5)
OPEN_LIMIT = 7
DUE_DAYS = (7, 21)
FOLLOWUP_DAYS = 14
STAGING_DAYS = 14

TIMELINE_STEP = 5  # the step number of the timeline, whose budget has its own time-box
SAFETY_STEP = 3  # the step number of psychological safety, where the speaker queue runs

_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


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


# -- text helpers (public: the UI highlights and explains with the same words) ----------------

_MEASURE = re.compile(
    r"\d|%"
    r"|\b(?:per|percent|percentage|rate|ms|milliseconds?|seconds?|secs?|minutes?|mins?"
    r"|hours?|hrs?|days?|weeks?|half|halve|twice|double|zero|two|three|four|five|six|seven"
    r"|eight|nine|ten|twenty|thirty|hundred)\b",
    re.IGNORECASE,
)

# The spec's blame phrases, whole words. "fault" alone, so "faulty disk" and "default" pass.
_BLAME = re.compile(
    r"(?<!\w)(?:fault|careless(?:ly|ness)?|should\s+have|should've|human\s+errors?"
    r"|blam(?:e|ed|es|ing)|who\s+broke)(?!\w)",
    re.IGNORECASE,
)

# Words that make a timeline entry an interpretation rather than an observation.
_INTERPRETIVE = re.compile(
    r"(?<!\w)(?:probably|likely|seem(?:s|ed)?|because|should|i\s+think|maybe"
    r"|assum(?:e|es|ed|ing))(?!\w)",
    re.IGNORECASE,
)

_VAGUE = re.compile(
    r"(?<!\w)(?:look(?:ing)?\s+into|improv(?:e|es|ing|ement|ements)"
    r"|investigat(?:e|es|ing|ion)|consider(?:s|ing)?)(?!\w)",
    re.IGNORECASE,
)

# The first blame phrase found decides the hint, so the example fits what was said.
_REFRAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"should\s+have|should've", re.IGNORECASE),
        "Describe the condition, not the person: 'the deploy script allowed …' "
        "instead of '… should have …'.",
    ),
    (
        re.compile(r"human\s+error", re.IGNORECASE),
        "Ask what made the slip easy to make: 'the form accepted … without a confirmation' "
        "instead of 'human error'.",
    ),
    (
        re.compile(r"careless", re.IGNORECASE),
        "Describe what made the step easy to get wrong: 'the runbook had no check for …' "
        "instead of 'careless'.",
    ),
    (
        re.compile(r"who\s+broke", re.IGNORECASE),
        "Ask what changed and what let the change through: 'the change to … passed review "
        "without …'.",
    ),
    (
        re.compile(r"fault|blam", re.IGNORECASE),
        "Name the condition that allowed it, not whose fault it was: 'nothing stopped … "
        "from …'.",
    ),
)
_REFRAME_DEFAULT = (
    "Describe the condition, not the person: name the role, the system or the step "
    "('the on-call runbook had no step for …') instead of who did it."
)


def is_measurable(text: str) -> bool:
    """Whether the text names a number, a duration, a percentage or a rate."""
    return bool(_MEASURE.search(text))


def is_question(text: str) -> bool:
    """One question, phrased as one: ends with the only question mark in it."""
    stripped = text.strip()
    return stripped.endswith("?") and stripped.count("?") == 1


def blame_phrases(text: str, roster_names: Iterable[str]) -> list[str]:
    """The blame phrases and roster names in ``text``, as first written there, in order.

    Names match case-insensitively as whole words, by full name or by first name.
    """
    names: set[str] = set()
    for name in roster_names:
        parts = name.split()
        if parts:
            names.add(" ".join(parts))
            names.add(parts[0])
    found = list(_BLAME.finditer(text))
    if names:
        # Longest first, so "Ana Lima" is found as one name, not as "Ana".
        alternatives = sorted(names, key=len, reverse=True)
        pattern = "|".join(r"\s+".join(map(re.escape, n.split())) for n in alternatives)
        found += re.finditer(rf"(?<!\w)(?:{pattern})(?!\w)", text, re.IGNORECASE)
    result: dict[str, str] = {}  # casefolded -> as first written
    for match in sorted(found, key=lambda m: m.start()):
        result.setdefault(match.group().casefold(), match.group())
    return list(result.values())


def reframe_hint(text: str) -> str:
    """How to say ``text`` as a condition instead of about a person."""
    for pattern, hint in _REFRAMES:
        if pattern.search(text):
            return hint
    return _REFRAME_DEFAULT


def page_usage(text: str) -> tuple[int, int]:
    """(words, lines) of a summary, lines as printed at 80 columns; blank lines count."""
    words = len(text.split())
    lines = 0
    for line in text.splitlines():
        lines += max(1, len(textwrap.wrap(line, PAGE_COLUMNS)))
    return words, lines


def _quote(text: str, limit: int = 60) -> str:
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


# check_new_action's parameter is named meeting_day (the public API), which hides the function.
_meeting_day_of = meeting_day


def _today(session: Session, now: datetime) -> date:
    return session.local(now).date()


def followup_review_date(session: Session) -> date | None:
    """The follow-up review: as set, else two weeks after the meeting; None without either."""
    if session.followup_review_at:
        return session.followup_review_at
    day = meeting_day(session)
    return day + timedelta(days=FOLLOWUP_DAYS) if day else None


def _step_started(session: Session, step: int) -> datetime | None:
    return next((s.started_at for s in session.steps if s.id == str(step)), None)


def _same_name(a: str, b: str) -> bool:
    """The log knows people by name only; spacing and case are not a different person."""
    return bool(a.strip()) and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def next_note_taker(session: Session, log: LogFacts | None) -> Participant | None:
    """The roster member who took notes least recently (never counts as least recent).

    The facilitator is left out: one person cannot run the room and take its notes. Ties keep
    roster order.
    """
    past = (log or LogFacts()).past
    facilitator = session.meeting.facilitator

    def last_time(person: Participant) -> datetime | None:
        times = [p.meeting_at for p in past if _same_name(p.note_taker, person.name)]
        return max(times) if times else None

    def order(person: Participant) -> tuple[int, datetime]:
        last = last_time(person)
        return (0, _EARLIEST) if last is None else (1, last)

    candidates = [p for p in session.participants if p.id != facilitator]
    # min() keeps the first of equals, so people who never took notes stay in roster order.
    return min(candidates, key=order, default=None)


# -- step 1: schedule & time-box --------------------------------------------------------------


def _since_incident(session: Session) -> timedelta | None:
    at = session.meeting.scheduled_at
    return at - session.incident.resolved_at if at else None


def schedule_window(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    delay = _since_incident(session)
    if delay is None:
        return [
            Finding(
                "schedule.window", "info", 1,
                "No meeting time is set yet.",
                "Schedule the meeting 48–72 hours after the incident ended.",
            )
        ]
    hours = int(delay.total_seconds() // 3600)
    if delay < timedelta(0):
        return [
            Finding(
                "schedule.window", "warn", 1,
                "The meeting is set before the incident ended.",
                "Check the meeting time and the incident's end: one of them is mistyped.",
            )
        ]
    if delay < WINDOW_EARLIEST:
        # Not wrong: memories are fresh. But logs and notes may not all be in yet.
        return [
            Finding(
                "schedule.window", "info", 1,
                f"The meeting is {hours} h after the incident ended, earlier than 48 h.",
                "Memories are fresh, but check that the evidence is in before you start.",
            )
        ]
    if WINDOW_LATEST < delay <= POSTPONE_LIMIT:
        return [
            Finding(
                "schedule.window", "warn", 1,
                f"The meeting is {hours} h after the incident ended, later than 72 h.",
                "Memories fade: hold it as soon as you can, within 48–72 hours.",
            )
        ]
    return []  # in the window, or postponed beyond 7 days (schedule.postponed says that)


def schedule_postponed(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    delay = _since_incident(session)
    if delay is None or delay <= POSTPONE_LIMIT:
        return []
    days = delay.days
    reason = session.meeting.late_reason.strip()
    if reason:
        return [
            Finding(
                "schedule.postponed", "info", 1,
                f"The meeting is {days} days after the incident; the late reason is recorded: "
                f"{_quote(reason)}.",
                "Keep the meeting to the facts that are still remembered and logged.",
            )
        ]
    return [
        Finding(
            "schedule.postponed", "block", 1,
            f"The meeting is {days} days after the incident, later than 7 days.",
            "Move the meeting within 7 days of the incident, or record why it is late.",
        )
    ]


def meeting_duration(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    meeting = session.meeting
    findings = []
    low, high = MEETING_MINUTES
    if not low <= meeting.planned_minutes <= high:
        findings.append(
            Finding(
                "meeting.duration", "block", 1,
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
                "meeting.duration", "block", 1,
                f"There are {len(stored)} step budgets; the meeting has 7 steps.",
                "Give each of the seven steps its minutes, or clear the budgets to share the "
                "planned length automatically.",
            )
        )
    elif sum(session.step_budgets()) != meeting.planned_minutes:
        findings.append(
            Finding(
                "meeting.duration", "block", 1,
                f"The step budgets add up to {sum(session.step_budgets())} minutes, "
                f"not the planned {meeting.planned_minutes}.",
                "Change the budgets or the planned length so they match.",
            )
        )
    return findings


def facilitator_neutral(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    facilitator = session.participant(session.meeting.facilitator)
    if facilitator is None:
        return [
            Finding(
                "facilitator.neutral", "warn", 1,
                "No facilitator is named.",
                "Name a facilitator who was not involved in the incident.",
            )
        ]
    if len(log.past) < NEUTRAL_FACILITATOR_SESSIONS and facilitator.involved:
        return [
            Finding(
                "facilitator.neutral", "block", 1,
                f"The facilitator, {facilitator.name}, was involved in the incident. For the "
                f"team's first three post-mortems the facilitator must be neutral.",
                "Choose a facilitator who was not involved, to model the tone and structure.",
                facilitator.id,
            )
        ]
    return []


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
            Finding("notes.rotation", "info", 1, "No note-taker is named.", suggest)
        ]
    if not log.past:
        return []
    previous = max(log.past, key=lambda p: p.meeting_at)
    if _same_name(previous.note_taker, note_taker.name):
        return [
            Finding(
                "notes.rotation", "warn", 1,
                f"{note_taker.name} also took the notes at the previous post-mortem.",
                f"Rotate note-taking so knowledge is shared. {suggest}",
                note_taker.id,
            )
        ]
    return []


# -- step 2: learning question ----------------------------------------------------------------


def question_one(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    question = session.question
    text = question.text.strip()
    if not text:
        return [
            Finding(
                "question.one", "block", 2,
                "No learning question is set.",
                "State one concrete question, e.g. 'Recovery took 45 minutes; how do we "
                "bring it to 20?'",
            )
        ]
    findings = []
    if not is_question(text):
        several = text.count("?") > 1
        findings.append(
            Finding(
                "question.one", "block", 2,
                "The learning question holds more than one question."
                if several
                else "The learning question is not phrased as a question.",
                "Keep exactly one question, ending with a question mark.",
            )
        )
    step3 = _step_started(session, 3)
    if step3 and (question.set_at is None or question.set_at > step3):
        findings.append(
            Finding(
                "question.one", "block", 2,
                "The learning question was not set before step 3 started.",
                "Set the question in step 2, then start step 3 again.",
            )
        )
    return findings


# How to make a learning question measurable: the rule's hint, and step 2's as it is typed.
MEASURABLE_QUESTION_HINT = (
    "Name a number, a duration or a rate: 'how do we bring recovery from 45 to 20 minutes?'"
)


def question_measurable(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    text = session.question.text.strip()
    if not text or is_measurable(text):
        return []  # no question at all is question.one's to say
    return [
        Finding(
            "question.measurable", "warn", 2,
            "The learning question names no measurable change.",
            MEASURABLE_QUESTION_HINT,
        )
    ]


# -- step 3: psychological safety -------------------------------------------------------------


def safety_statement(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    shown = session.meeting.statement_shown_at
    step4 = _step_started(session, 4)
    late = (step4 is not None and (shown is None or shown > step4)) or (
        shown is None and session.meeting.current_step >= 4
    )
    if late:
        return [
            Finding(
                "safety.statement", "block", 3,
                "The no-blame statement was not shown before step 4.",
                "Show the statement to the room, then continue with the facts.",
            )
        ]
    if shown is None:
        return [
            Finding(
                "safety.statement", "info", 3,
                "Show the no-blame statement before step 4.",
                "Read it aloud: no blame, only facts and improvements.",
            )
        ]
    return []


def safety_junior_first(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    # A skipped turn was never spoken, so it neither leads the queue nor follows anyone.
    turns = [t for t in session.speaker_turns if not t.skipped]
    hosts = {session.meeting.facilitator, session.meeting.note_taker} - {None}
    # The facilitator and the note-taker may close the round whatever their seniority.
    ordered = list(turns)
    while ordered and ordered[-1].participant_id in hosts:
        ordered.pop()
    findings = []
    most_senior = -1
    for turn in ordered:
        person = session.participant(turn.participant_id)
        if person is None:
            continue
        rank = SENIORITY_ORDER[person.seniority]
        if rank < most_senior:
            findings.append(
                Finding(
                    "safety.junior_first", "warn", 3,
                    f"{person.name} ({person.seniority}) speaks after someone more senior.",
                    "Invite junior people to speak first, to balance the power in the room.",
                    turn.id,
                )
            )
        most_senior = max(most_senior, rank)
    low, high = SPEAKER_MINUTES
    timed = [t for t in turns if not t.open_round]
    for turn in timed:
        if not low <= turn.planned_minutes <= high:
            person = session.participant(turn.participant_id)
            who = person.name if person else "A speaker"
            findings.append(
                Finding(
                    "safety.junior_first", "warn", 3,
                    f"{who} has a {turn.planned_minutes}-minute turn, outside {low}–{high}.",
                    f"Give each speaker {low}–{high} minutes.",
                    turn.id,
                )
            )
    need = sum(t.planned_minutes for t in timed)
    budget = session.step_budgets()[SAFETY_STEP - 1]
    if need > budget:
        findings.append(
            Finding(
                "safety.junior_first", "warn", 3,
                f"{counted(len(timed), 'timed turn')} need {need} minutes; step {SAFETY_STEP} "
                f"has {budget}.",
                "Press b to time the junior people only and give the others an open round in "
                "the minutes left, or shorten or skip turns.",
            )
        )
    return findings


def speaking_order(session: Session) -> list[Participant]:
    """Everyone on the roster, junior first; the facilitator and the note-taker close the round
    whatever their seniority. Roster order among equals."""
    hosts = {session.meeting.facilitator, session.meeting.note_taker}
    people = sorted(
        enumerate(session.participants),
        key=lambda ip: (ip[1].id in hosts, SENIORITY_ORDER[ip[1].seniority], ip[0]),
    )
    return [person for _, person in people]


@dataclass(frozen=True)
class SpeakerPlan:
    """How step 3's speakers fit its budget, which stays as it is: timed turns for the junior
    people first, then an open round for everyone else in the minutes left. When the junior
    people's turns do not all fit, the first ones are timed and the others lead the open round.

    The junior people are the least senior in the room, the facilitator and note-taker aside:
    in a room of seniors and leads, the seniors speak first."""

    order: tuple[Participant, ...]  # everyone, in speaking order
    juniors: int  # the junior people, at the head of ``order``
    timed: int  # how many of them have a timed turn (the first ones)
    minutes: int  # the length of one timed turn
    budget: int  # step 3's minutes

    @property
    def fits(self) -> bool:
        return self.timed == self.juniors

    @property
    def open_round(self) -> int:
        """How many people speak in the open round."""
        return len(self.order) - self.timed

    @property
    def left(self) -> int:
        """The minutes the timed turns leave for the open round."""
        return max(0, self.budget - self.timed * self.minutes)

    def describe(self) -> str:
        """The plan in one sentence, as the facilitator reads it out."""
        if not self.order:
            return "Nobody is on the roster yet: add the people on step 1."
        timed = (
            f"{counted(self.timed, 'timed turn')} of {self.minutes} minutes for the junior "
            f"{'person' if self.timed == 1 else 'people'}"
            if self.timed
            else "no timed turn"
        )
        rest = (
            f"then an open round for {counted(self.open_round, 'person', 'people')} in the "
            f"{counted(self.left, 'minute')} left"
            if self.open_round
            else "no open round"
        )
        return f"{timed}, {rest} (step {SAFETY_STEP} has {self.budget} minutes)."

    def advice(self, planned_minutes: int) -> str:
        """Exactly what to change so every junior person gets a timed turn ("" when they do)."""
        if self.fits:
            return ""
        need = self.juniors * self.minutes
        low, high = MEETING_MINUTES
        longer = next(
            (m for m in range(max(low, planned_minutes), high + 1)
             if budgets_for(m)[SAFETY_STEP - 1] >= need),
            None,
        )
        change = (
            f"plan the meeting for {longer} minutes (step 1) to give step {SAFETY_STEP} "
            f"{budgets_for(longer)[SAFETY_STEP - 1]}"
            if longer is not None
            else f"even a {high}-minute meeting gives step {SAFETY_STEP} only "
            f"{budgets_for(high)[SAFETY_STEP - 1]} minutes, so give it {need} in the session's "
            f"step_budgets (taken from other steps)"
        )
        return (
            f"{counted(self.juniors, 'turn')} of {self.minutes} minutes need {need} minutes; "
            f"step {SAFETY_STEP} has {self.budget}: {change}, or let "
            f"{self.juniors - self.timed} of the junior people speak first in the open round, "
            f"as planned now."
        )


def open_round_minutes(session: Session) -> int:
    """The minutes of step 3 that the queue's timed turns leave for the open round."""
    timed = sum(
        t.planned_minutes for t in session.speaker_turns if not t.open_round and not t.skipped
    )
    return max(0, session.step_budgets()[SAFETY_STEP - 1] - timed)


def speaker_plan(session: Session, minutes: int) -> SpeakerPlan:
    """The plan for step 3's speakers with timed turns of ``minutes``."""
    order = speaking_order(session)
    hosts = {session.meeting.facilitator, session.meeting.note_taker}
    guests = [p for p in order if p.id not in hosts]
    juniors = (
        sum(1 for p in guests if p.seniority == guests[0].seniority) if guests else 0
    )
    budget = session.step_budgets()[SAFETY_STEP - 1]
    timed = min(juniors, budget // minutes) if minutes > 0 else 0
    return SpeakerPlan(tuple(order), juniors, timed, minutes, budget)


def safety_blame_pause(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    # A feature rather than a check: report the pauses, never who caused them.
    count = len(session.pauses)
    if not count:
        return []
    return [
        Finding(
            "safety.blame_pause", "info", 3,
            f"{count} blame pause{'s' if count != 1 else ''} recorded.",
            "Pauses are recorded with their time only, no names.",
        )
    ]


# -- step 4: facts ----------------------------------------------------------------------------


def facts_deadline(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    at = session.meeting.scheduled_at
    if at is None:
        return []
    deadline = at - EVIDENCE_LEAD
    return [
        Finding(
            "facts.deadline", "warn", 4,
            f"Evidence {_quote(item.reference)} came in less than 24 h before the meeting.",
            "Ask for evidence 24 hours ahead so everyone can read it; mention it came late.",
            item.id,
        )
        for item in session.evidence
        if item.submitted_at > deadline
    ]


def facts_one_page(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    words, lines = page_usage(session.summary)
    if words <= PAGE_WORDS and lines <= PAGE_LINES:
        return []
    return [
        Finding(
            "facts.one_page", "block", 4,
            f"The incident summary is {words} words and {lines} lines; one page is at most "
            f"{PAGE_WORDS} words and {PAGE_LINES} lines of {PAGE_COLUMNS} columns.",
            "Shorten the summary to one page; link the details instead.",
        )
    ]


# -- step 5: timeline -------------------------------------------------------------------------


def _minutes_spent(session: Session, step: int) -> int | None:
    """The whole minutes a step got, from its recorded start to its end, blame pauses left out
    (its countdown stops for them); None while it has not ended."""
    record = next((s for s in session.steps if s.id == str(step)), None)
    if record is None or record.started_at is None or record.ended_at is None:
        return None
    start, end = record.started_at, record.ended_at
    paused = 0.0
    for pause in session.pauses:
        overlap = (min(pause.ended_at or end, end) - max(pause.started_at, start)).total_seconds()
        paused += max(0.0, overlap)
    return int(((end - start).total_seconds() - paused) // 60)


def timeline_timebox(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    minutes = session.step_budgets()[TIMELINE_STEP - 1]
    low, high = TIMELINE_MINUTES
    findings = []
    if not low <= minutes <= high:
        findings.append(
            Finding(
                "timeline.timebox", "block", 5,
                f"The timeline has {minutes} minutes, outside {low}–{high}.",
                f"Give the timeline reconstruction {low}–{high} minutes.",
            )
        )
    # Once the timeline has ended, judge the time it got; while it runs its countdown already
    # shows any overtime.
    spent = _minutes_spent(session, TIMELINE_STEP)
    if spent is not None and not low <= spent <= high:
        findings.append(
            Finding(
                "timeline.timebox", "warn", 5,
                f"The timeline got {spent} minutes, "
                + (f"less than {low}." if spent < low else f"more than {high}."),
                f"A rushed timeline misses what happened: check it for gaps, and give it "
                f"{low}–{high} minutes next time."
                if spent < low
                else f"The conditions and actions now have less time: keep to their budgets, "
                f"and plan the timeline's {low}–{high} minutes next time.",
            )
        )
    return findings


@functools.lru_cache(maxsize=20_000)
def _interpretive_word(text: str) -> str:
    """The first interpretive word in an event's text ("" if none). Remembered by text: the
    rules run after every edit, and most events have not changed."""
    match = _INTERPRETIVE.search(text)
    return match.group() if match else ""


def timeline_basis(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    # Every event carries a basis, so the check is whether one marked "fact" reads like an
    # interpretation: a word like "probably" or "because" is a guess about why, not an
    # observation.
    # The events are looked at in file order and only the few found are put in time order:
    # sorting thousands of events after every edit would cost more than the check.
    found = [e for e in session.timeline if e.basis == "fact" and _interpretive_word(e.text)]
    return [
        Finding(
            "timeline.basis", "warn", 5,
            f"An event marked as fact reads like an interpretation "
            f"('{_interpretive_word(event.text)}'): {_quote(event.text)}.",
            "Mark it as interpretation, or split it into what was seen and what was thought.",
            event.id,
        )
        for event in sorted(found, key=BY_TIME)
    ]


# -- step 6: contributing factors -------------------------------------------------------------


def factors_per_event(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    low, high = FACTORS_PER_EVENT
    findings = []
    for event in session.major_events():
        count = sum(1 for f in session.factors if event.id in f.event_ids)
        if not low <= count <= high:
            findings.append(
                Finding(
                    "factors.per_event", "warn", 6,
                    f"The major event {_quote(event.text)} has {count} contributing "
                    f"condition{'s' if count != 1 else ''}, not {low}–{high}.",
                    "Ask 'What conditions enabled this?' and keep the three to five that "
                    "matter most.",
                    event.id,
                )
            )
    return findings


def factors_systemic(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    names = [p.name for p in session.participants]
    findings = []
    for factor in session.factors:
        if factor.category is None:
            findings.append(
                Finding(
                    "factors.systemic", "warn", 6,
                    f"The condition {_quote(factor.text)} has no category.",
                    "Say which kind of condition it is: process, tooling, staffing, "
                    "communication or environment.",
                    factor.id,
                )
            )
        found = blame_phrases(factor.text, names)
        if found:
            findings.append(
                Finding(
                    "factors.systemic", "warn", 6,
                    f"The condition {_quote(factor.text)} points at a person "
                    f"({', '.join(found)}).",
                    reframe_hint(factor.text),
                    factor.id,
                )
            )
    return findings


# -- step 7: actions --------------------------------------------------------------------------
# Each per-action check is a small function, shared by its rule and by check_new_action.


def _incomplete(action: ActionItem) -> Finding | None:
    missing = [
        label
        for label, value in (
            ("owner", action.owner.strip()),
            ("due date", action.due),
            ("success criterion", action.criterion.strip()),
        )
        if not value
    ]
    if not missing:
        return None
    return Finding(
        "actions.complete", "block", 7,
        f"The action {_quote(action.title)} has no {' and no '.join(missing)}.",
        "Give every action an owner, a due date and a measurable success criterion.",
        action.id,
    )


def _outside_due_window(action: ActionItem, day: date) -> Finding | None:
    if action.due is None:
        return None  # actions.complete asks for the date
    days = (action.due - day).days
    low, high = DUE_DAYS
    if low <= days <= high:
        return None
    reason = action.due_reason.strip()
    if reason:
        return Finding(
            "actions.due_window", "info", 7,
            f"The action {_quote(action.title)} is due {days} days after the meeting; "
            f"the reason is recorded: {_quote(reason)}.",
            "Check the date at the follow-up review.",
            action.id,
        )
    return Finding(
        "actions.due_window", "block", 7,
        f"The action {_quote(action.title)} is due {days} days after the meeting, "
        f"outside {low}–{high}.",
        f"Set a due date {low}–{high} days after the meeting, or record why it differs.",
        action.id,
    )


def _vague(action: ActionItem) -> Finding | None:
    word = _VAGUE.search(action.title) or _VAGUE.search(action.criterion)
    if word is None or is_measurable(action.criterion):
        return None
    return Finding(
        "actions.vague", "warn", 7,
        f"The action {_quote(action.title)} is vague ('{word.group()}') and its success "
        f"criterion names nothing to measure.",
        "Say what will be different and how you will see it: 'alert fires within "
        "2 minutes', 'runbook step added and rehearsed'.",
        action.id,
    )


def _staging_too_late(action: ActionItem, day: date) -> Finding | None:
    if action.staging_check is None or action.staging_check <= day + timedelta(days=STAGING_DAYS):
        return None
    return Finding(
        "followup.staging", "warn", 7,
        f"The staging check of {_quote(action.title)} is more than {STAGING_DAYS} days "
        f"after the meeting.",
        f"Verify the fix in staging within {STAGING_DAYS} days, while the assumptions are "
        f"fresh.",
        action.id,
    )


def actions_count(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    count = len(session.agreed_actions())
    low, high = ACTIONS_AGREED
    if low <= count <= high:
        return []
    return [
        Finding(
            "actions.count", "warn", 7,
            f"{count} action item{'s' if count != 1 else ''} agreed, not {low}–{high}.",
            "Agree three to five concrete actions."
            if count < low
            else "Keep the three to five that matter most; too many dilute focus.",
        )
    ]


def actions_open_limit(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    count = len(session.open_actions())
    if count <= OPEN_LIMIT:
        return []
    return [
        Finding(
            "actions.open_limit", "block", 7,
            f"{count} action items are open; never more than {OPEN_LIMIT}.",
            "Close or drop actions until at most seven are open.",
        )
    ]


def actions_complete(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    return [f for a in session.agreed_actions() if (f := _incomplete(a))]


def actions_due_window(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    day = meeting_day(session)
    if day is None:
        return []  # no meeting date to count from
    return [f for a in session.agreed_actions() if (f := _outside_due_window(a, day))]


def actions_vague(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    return [f for a in session.agreed_actions() if (f := _vague(a))]


def followup_staging(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    day = meeting_day(session)
    today = _today(session, now)
    findings = []
    for action in session.agreed_actions():
        if day and (late := _staging_too_late(action, day)):
            findings.append(late)
        if action.status == "open" and action.staging_check and action.staging_check < today:
            findings.append(
                Finding(
                    "followup.staging", "warn", 7,
                    f"The staging check date of {_quote(action.title)} has passed "
                    f"({action.staging_check.isoformat()}) and the action is still open.",
                    "Run the staging check, or close the action with what was learned.",
                    action.id,
                )
            )
    return findings


# -- wrap-up ----------------------------------------------------------------------------------


def review_outside_window(session: Session, day: date) -> Finding | None:
    """What is wrong with holding the follow-up review on ``day``, None if nothing: the method
    holds it after the meeting and within FOLLOWUP_DAYS of it. Shared by the rule, the
    wrap-up's date field and ``pmconsole followup set``, which refuse such a date."""
    meeting = meeting_day(session)
    if meeting is None:
        return Finding(
            "followup.review", "warn", WRAP_UP,
            f"The meeting has no date yet, so a follow-up review on {day.isoformat()} cannot "
            f"be placed within {FOLLOWUP_DAYS} days of it.",
            "Schedule the meeting first (step 1); the review then defaults to two weeks "
            "after it.",
        )
    days = (day - meeting).days
    if 1 <= days <= FOLLOWUP_DAYS:
        return None
    when = (
        "on the day of the meeting" if days == 0
        else f"{-days} day{'s' if days != -1 else ''} before the meeting" if days < 0
        else f"{days} days after the meeting"
    )
    last = meeting + timedelta(days=FOLLOWUP_DAYS)
    return Finding(
        "followup.review", "warn", WRAP_UP,
        f"A follow-up review on {day.isoformat()} is {when}, not within the "
        f"{FOLLOWUP_DAYS} days after it.",
        f"Choose a day from {(meeting + timedelta(days=1)).isoformat()} to "
        f"{last.isoformat()}, while the actions are fresh.",
    )


def followup_review(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    findings = []
    if session.followup_review_at and (
        outside := review_outside_window(session, session.followup_review_at)
    ):
        findings.append(outside)  # a date set by hand in the file, or before the meeting moved
    review = followup_review_date(session)
    still_open = len(session.open_actions())
    if session.followup_review_held:  # held (`pmconsole review`): each open action was looked at
        return findings
    if review is None or _today(session, now) <= review or not still_open:
        return findings
    findings.append(
        Finding(
            "followup.review", "warn", WRAP_UP,
            f"The follow-up review was due on {review.isoformat()}; {still_open} action "
            f"item{'s are' if still_open != 1 else ' is'} still open.",
            "Hold the review and publish the progress of every action.",
        )
    )
    return findings


def feedback_anonymous(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    if session.feedback:
        return []  # answers are in: the form was offered, and the wrap-up shows them
    if not session.meeting.feedback_offered:
        return [
            Finding(
                "feedback.anonymous", "info", WRAP_UP,
                "Offer the anonymous feedback form after the meeting.",
                "It captures concerns people did not voice in the room.",
            )
        ]
    return [
        Finding(
            "feedback.anonymous", "info", WRAP_UP,
            "The anonymous feedback form was offered; no answers yet.",
            "Ask each participant to run `pmconsole feedback FILE` before leaving.",
        )
    ]


# -- the registry and the entry points --------------------------------------------------------

RULES: dict[str, Rule] = {
    "schedule.window": schedule_window,
    "schedule.postponed": schedule_postponed,
    "meeting.duration": meeting_duration,
    "question.one": question_one,
    "question.measurable": question_measurable,
    "safety.statement": safety_statement,
    "safety.junior_first": safety_junior_first,
    "safety.blame_pause": safety_blame_pause,
    "facilitator.neutral": facilitator_neutral,
    "facts.deadline": facts_deadline,
    "facts.one_page": facts_one_page,
    "timeline.timebox": timeline_timebox,
    "timeline.basis": timeline_basis,
    "factors.per_event": factors_per_event,
    "factors.systemic": factors_systemic,
    "actions.count": actions_count,
    "actions.open_limit": actions_open_limit,
    "actions.complete": actions_complete,
    "actions.due_window": actions_due_window,
    "actions.vague": actions_vague,
    "followup.review": followup_review,
    "followup.staging": followup_staging,
    "notes.rotation": notes_rotation,
    "feedback.anonymous": feedback_anonymous,
}


def _sort_key(finding: Finding) -> tuple[int, int, str]:
    return finding.step, _SEVERITY_RANK[finding.severity], finding.rule


def check(
    session: Session, log: LogFacts | None = None, now: datetime | None = None
) -> list[Finding]:
    """Every finding of every rule, by step, then block before warn before info, then rule."""
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    log = log or LogFacts()
    findings = [f for rule in RULES.values() for f in rule(session, log, now)]
    # sorted() is stable: one rule's findings keep their own order (timeline, roster, ...).
    return sorted(findings, key=_sort_key)


def blocks(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "block"]


def findings_for_step(findings: Iterable[Finding], step: int) -> list[Finding]:
    return [f for f in findings if f.step == step]


def check_new_action(
    session: Session, action: ActionItem, meeting_day: date | None = None
) -> list[Finding]:
    """What would hold for ``action`` if it were added, or reopened, as an open item.

    The meeting day is the scheduled meeting's, else the ``meeting_day`` given, else today.
    """
    day = _meeting_day_of(session) or meeting_day or datetime.now(session.zone()).date()
    findings = []
    others_open = [a for a in session.open_actions() if a.id != action.id]
    if len(others_open) >= OPEN_LIMIT:
        findings.append(
            Finding(
                "actions.open_limit", "block", 7,
                f"{len(others_open)} action items are already open; the limit is {OPEN_LIMIT}.",
                "Close or drop an open action before adding another.",
                action.id,
            )
        )
    checks = (
        _incomplete(action),
        _outside_due_window(action, day),
        _vague(action),
        _staging_too_late(action, day),
    )
    findings += [f for f in checks if f]
    return sorted(findings, key=_sort_key)

