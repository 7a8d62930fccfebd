"""Step 3, psychological safety: the no-blame statement, junior people first, blame pauses;
and the speaker plan the queue is built from.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pmconsole.domain.method import MEETING_MINUTES, SAFETY_STEP, SPEAKER_MINUTES
from pmconsole.domain.model import SENIORITY_ORDER, Participant, Session, budgets_for, counted
from pmconsole.domain.rules.base import Finding, LogFacts, rule, step_started

STEP = SAFETY_STEP


@rule("safety.statement", STEP, guards_advance=True)
def safety_statement(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    shown = session.meeting.statement_shown_at
    facts_started = step_started(session, STEP + 1)
    late = (facts_started is not None and (shown is None or shown > facts_started)) or (
        shown is None and session.meeting.current_step > STEP
    )
    if late:
        return [
            Finding(
                "safety.statement", "block", STEP,
                f"The no-blame statement was not shown before step {STEP + 1}.",
                "Show the statement to the room, then continue with the facts.",
            )
        ]
    if shown is None:
        return [
            Finding(
                "safety.statement", "info", STEP,
                f"Show the no-blame statement before step {STEP + 1}.",
                "Read it aloud: no blame, only facts and improvements.",
            )
        ]
    return []


@rule("safety.junior_first", STEP)
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
                    "safety.junior_first", "warn", STEP,
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
                    "safety.junior_first", "warn", STEP,
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
                "safety.junior_first", "warn", STEP,
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


@rule("safety.blame_pause", STEP)
def safety_blame_pause(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    # A feature rather than a check: report the pauses, never who caused them.
    count = len(session.pauses)
    if not count:
        return []
    return [
        Finding(
            "safety.blame_pause", "info", STEP,
            f"{count} blame pause{'s' if count != 1 else ''} recorded.",
            "Pauses are recorded with their time only, no names.",
        )
    ]
