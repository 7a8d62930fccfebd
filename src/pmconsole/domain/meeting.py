"""The running meeting: starting and ending it, moving between steps, the timers, the blame
pause, the speaker queue.

Everything here changes the session only through the store, so the other pane sees it; the
step and speaker timers are in-process and run on the injected clock. A timer never moves the
meeting on.

The meeting clock is not a timer of this process: it is read from the record (when the meeting
started and ended, and its blame pauses) and the clock's time, by ``meeting_clock``, in every
pane alike. The meeting in the room goes on while a console is closed, so a console opened
again shows the time since the recorded start, and the facilitator's and the note-taker's panes
cannot disagree. (It reads the wall clock, which both panes share; the step countdowns run on
the monotonic clock.)

Never import Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Literal, Protocol

from pmconsole.domain import rules
from pmconsole.domain.method import SPEAKER_MINUTES
from pmconsole.domain.clock import Clock, Countdown, MeetingTimers, format_clock
from pmconsole.domain.model import WRAP_UP, Pause, Session, SpeakerTurn, StepTime
from pmconsole.domain.ops import Op, add_op, del_op, set_op


class SessionKeeper(Protocol):
    """Where the meeting's session lives and its edits go: storage's SessionStore."""

    @property
    def session(self) -> Session: ...

    def edit(self, *ops: Op) -> object: ...

    def checkpoint(self) -> object: ...


# The first screen offers to start the meeting from this long before its scheduled time (and
# after it, the same day, until it is started).
START_OFFER_BEFORE = timedelta(minutes=15)


def paused_seconds(pauses: Iterable[Pause], start: datetime, stop: datetime) -> float:
    """Seconds of blame pauses between ``start`` and ``stop`` (a pause still open runs to
    ``stop``)."""
    total = 0.0
    for pause in pauses:
        end = min(pause.ended_at or stop, stop)
        total += max(0.0, (end - max(pause.started_at, start)).total_seconds())
    return total


@dataclass(frozen=True)
class MeetingClock:
    """The meeting clock as every pane shows it."""

    state: Literal["not started", "running", "paused", "ended"]
    elapsed: float  # seconds since the start, blame pauses left out; 0 before the start

    def text(self, planned_minutes: int) -> str:
        """How the header shows it: "not started / 75:00", "12:05 / 75:00",
        "ended 68:12 / 75:00"."""
        planned = f"{planned_minutes:02d}:00"
        if self.state == "not started":
            return f"not started / {planned}"
        shown = f"{format_clock(self.elapsed).lstrip('+')} / {planned}"
        return f"ended {shown}" if self.state == "ended" else shown


def meeting_clock(session: Session, now: datetime) -> MeetingClock:
    """The meeting's elapsed time from the record: from its start to its end (or ``now``),
    blame pauses left out. The one reckoning of it: the console, the notes pane and the
    exports all read it here."""
    meeting = session.meeting
    start = meeting.started_at
    if start is None:
        return MeetingClock("not started", 0.0)
    stop = meeting.ended_at or now
    run = max(0.0, (stop - start).total_seconds() - paused_seconds(session.pauses, start, stop))
    if meeting.ended_at is not None:
        return MeetingClock("ended", run)
    paused = any(p.ended_at is None for p in session.pauses)
    return MeetingClock("paused" if paused else "running", run)


def start_offer(session: Session, now: datetime) -> str:
    """When the meeting is not started and its scheduled time is near (START_OFFER_BEFORE
    ahead, or past it the same day), how near ("scheduled for 09:00, 5 min ago"), for the
    first screen's offer to start it; "" otherwise."""
    meeting = session.meeting
    at = meeting.scheduled_at
    if meeting.started_at is not None or at is None or now < at - START_OFFER_BEFORE:
        return ""
    if session.local(now).date() != session.local(at).date():
        return ""
    when = f"{session.local(at):%H:%M}"
    minutes = round(abs((at - now).total_seconds()) / 60)
    if minutes == 0:
        return f"scheduled for {when}, now"
    if now < at:
        return f"scheduled for {when}, in {minutes} min"
    return f"scheduled for {when}, {minutes} min ago"


class MeetingRun:
    def __init__(
        self,
        store: SessionKeeper,
        clock: Clock,
        *,
        log: rules.LogFacts | None = None,
        speaker_minutes: int = SPEAKER_MINUTES[0],
    ) -> None:
        self.store = store
        # Writes the TOML file as the meeting moves (a step change, the start): the store's
        # own, or the console's storage thread's, which does not wait for the disk.
        self.checkpoint: Callable[[], object] = store.checkpoint
        self.clock = clock
        self.log = log or rules.LogFacts()
        self.speaker_minutes = speaker_minutes
        self.timers = MeetingTimers(clock=clock)
        self._paused_timers: list[Countdown] = []

    # -- reading ---------------------------------------------------------------------------

    @property
    def session(self):
        return self.store.session

    @property
    def step(self) -> int:
        return self.session.meeting.current_step

    def findings(self) -> list[rules.Finding]:
        return rules.check(self.session, self.log, self.clock.now())

    def open_pause(self) -> Pause | None:
        return next((p for p in self.session.pauses if p.ended_at is None), None)

    @property
    def paused(self) -> bool:
        return self.open_pause() is not None

    @property
    def started(self) -> bool:
        return self.session.meeting.started_at is not None

    @property
    def ended(self) -> bool:
        return self.session.meeting.ended_at is not None

    @property
    def in_progress(self) -> bool:
        """Started and not yet ended: only then do step moves record times and timers run."""
        return self.started and not self.ended

    def meeting_clock(self) -> MeetingClock:
        return meeting_clock(self.session, self.clock.now())

    def _run_since(self, start: datetime | None, end: datetime | None = None) -> float:
        """Seconds a timer started at ``start`` has run, pauses left out (for reopening a
        meeting in progress)."""
        if start is None:
            return 0.0
        stop = end or self.clock.now()
        return max(0.0, (stop - start).total_seconds()
                   - paused_seconds(self.session.pauses, start, stop))

    def step_countdown(self, step: int) -> Countdown | None:
        if step >= WRAP_UP:
            return None
        timer = self.timers.steps.get(step)
        if timer is None:
            budget = self.session.step_budgets()[step - 1] * 60
            record = self._step_record(step)
            run = self._run_since(record.started_at, record.ended_at) if record else 0.0
            timer = Countdown(budget, self.clock, already_run=run)
            self.timers.steps[step] = timer
        return timer

    def _step_record(self, step: int) -> StepTime | None:
        return next((s for s in self.session.steps if s.id == str(step)), None)

    # -- the meeting's course --------------------------------------------------------------

    def open_console(self) -> None:
        """The facilitator's console opens. Nothing is recorded: opening the file is not
        starting the meeting. A meeting started earlier went on in the room while the console
        was closed: its step timer runs on from the record (or stays stopped in a pause)."""
        if not self.in_progress:
            return
        step_timer = self.step_countdown(self.step)
        if self.paused:
            self.timers.paused = True
            self._paused_timers = [step_timer] if step_timer is not None else []
        elif step_timer is not None:
            step_timer.start()

    def start_refusal(self) -> str:
        """Why the meeting cannot start (or start again) now; "" when it can."""
        if self.paused:
            return "The meeting is paused: resume it first (the blame pause's key)."
        if self.ended:
            return ""  # reopening: see start()
        if self.step >= WRAP_UP:
            return ("The meeting starts on one of its seven steps, not at the wrap-up: go "
                    "back to the step to begin on first.")
        if not self.started:
            return ""
        later = sorted(
            (s for s in self.session.steps if s.id != "1" and s.started_at is not None),
            key=lambda s: s.started_at,  # type: ignore[arg-type, return-value]
        )
        if self.step != 1 or later:
            began = ""
            if later:
                began = f" (step {later[0].id} began at {self._hhmm(later[0].started_at)})"
            return (
                f"The meeting clock can be restarted only on step 1, before step 2 begins; the "
                f"meeting is past step 1{began}. It runs on from "
                f"{self._hhmm(self.session.meeting.started_at)}."
            )
        return ""

    def _hhmm(self, moment: datetime | None) -> str:
        return f"{self.session.local(moment):%H:%M}" if moment is not None else "?"

    def start(self) -> None:
        """Start the meeting now, on the step it is on: the meeting clock and that step's
        timer run from this moment, and the step's start is recorded at it. Called again on
        step 1 (a false start), it starts them again from now. After the end, it reopens the
        meeting where it is (the wrap-up, or a step gone back to), and the time since the end
        counts: the room went on. The caller checks ``start_refusal`` and asks for a
        confirmation before a restart or a reopening."""
        now = self.clock.now()
        step = str(self.step)
        record = self._step_record(self.step)
        if self.ended:
            ops = [set_op("meeting", "ended_at", None)]
            if self.step < WRAP_UP:
                # Reopened on a step gone back to after the end: the meeting leaves the
                # wrap-up now and goes on there.
                ops.append(set_op("steps", "ended_at", now, str(WRAP_UP)))
                if record is None or record.started_at is None:
                    ops.append(set_op("steps", "started_at", now, step))
        else:
            ops = [set_op("meeting", "started_at", now), set_op("steps", "started_at", now, step)]
        if record is not None and record.ended_at is not None:
            ops.append(set_op("steps", "ended_at", None, step))
        self.store.edit(*ops)
        self.checkpoint()  # the TOML file says the meeting started
        self.timers.steps.pop(self.step, None)  # a restart begins the step's timer again
        step_timer = self.step_countdown(self.step)
        if step_timer is not None:
            step_timer.start()

    def blocked_move(self, target: int) -> list[rules.Finding]:
        """The blocks that keep the meeting from moving forward to ``target``."""
        if target <= self.step:
            return []
        # Judge the move by the session as it would be after it (a jump from step 1 to 6 must
        # not skip the statement of step 3), on a shallow copy: nothing else is copied.
        session = self.session
        moved = session.model_copy(
            update={"meeting": session.meeting.model_copy(update={"current_step": target})}
        )
        return [
            f
            for f in rules.blocks(rules.check(moved, self.log, self.clock.now()))
            # A block of a guarding rule keeps the meeting from moving past its finding's step.
            if f.rule in rules.ADVANCE_GUARDS and self.step <= f.step < target
        ]

    def end(self) -> None:
        """End the meeting now: go to the wrap-up, where it ends. Always possible while it is
        on: the method's guards keep the meeting from skipping a step, not from stopping when
        the room's time is up (what was skipped stays among the findings)."""
        if self.in_progress:
            self.go_to(WRAP_UP, guarded=False)

    def go_to(self, target: int, *, guarded: bool = True) -> list[rules.Finding]:
        """Move to another step; returns the blocks that refused it (nothing moves then)."""
        target = max(1, min(WRAP_UP, target))
        if target == self.step:
            return []
        if not self.in_progress:
            # The facilitator preparing before the meeting starts, or looking back after it
            # ended: only the step shown changes (the note-taker's pane follows it). Nothing
            # is recorded (no step times, no question set, no statement shown, no end) and no
            # timer runs. The method's guards judge the meeting's course, which this is not:
            # a facilitator preparing the timeline of step 5 the day before is not refused
            # for a statement the room has not heard yet.
            self.store.edit(set_op("meeting", "current_step", target))
            if target == 3 and not self.session.speaker_turns:
                self.build_queue()
            self.checkpoint()
            return []
        blocked = self.blocked_move(target) if guarded else []
        if blocked:
            return blocked
        now = self.clock.now()
        leaving = self.step
        ops = [set_op("steps", "ended_at", now, str(leaving)), set_op("meeting", "current_step", target)]
        record = self._step_record(target)
        if record is None or record.started_at is None:
            ops.append(set_op("steps", "started_at", now, str(target)))
        elif record.ended_at is not None:
            ops.append(set_op("steps", "ended_at", None, str(target)))
        if target >= 3 and self.session.question.text.strip() and self.session.question.set_at is None:
            # A drafted question becomes the meeting's question when the meeting moves on with it.
            ops.append(set_op("question", "set_at", now))
        if target == 3 and self.session.meeting.statement_shown_at is None:
            # The statement is on screen as soon as step 3 opens: that is when it was shown.
            ops.append(set_op("meeting", "statement_shown_at", now))
        if target == WRAP_UP:
            ops.extend(self._end_ops(now))  # the meeting ends at the wrap-up
        self.store.edit(*ops)
        if target == 3 and not self.session.speaker_turns:
            self.build_queue()
        self.checkpoint()  # the TOML file follows the meeting step by step
        old = self.timers.steps.get(leaving)
        if old is not None:
            old.pause()
        new = self.step_countdown(target)
        if new is not None and not self.timers.paused:
            new.start()
        # A speaker's turn belongs to step 3: its clock stops while the meeting is elsewhere.
        speaker = self.timers.speaker
        if speaker is not None and not self.timers.paused:
            if target == 3:
                speaker.start()
            else:
                speaker.pause()
        if self._paused_timers and old in self._paused_timers:
            self._paused_timers.remove(old)
            if new is not None:
                self._paused_timers.append(new)
        return []

    def _end_ops(self, now: datetime) -> list[Op]:
        """End the meeting now; a blame pause still open ends with it."""
        ops = [set_op("meeting", "ended_at", now)]
        pause = self.open_pause()
        if pause is not None:
            ops.append(set_op("pauses", "ended_at", now, pause.id))
            self.timers.paused = False
            self._paused_timers = []
        return ops

    # -- the blame pause -------------------------------------------------------------------

    def toggle_pause(self) -> bool:
        """Pause every timer and record the pause (time only, no name), or resume. Returns
        whether the meeting is now paused."""
        now = self.clock.now()
        pause = self.open_pause()
        if pause is None and not self.in_progress:
            return False  # before the start or after the end there is no meeting to pause
        if pause is None:
            self._paused_timers = self.timers.pause_all()
            self.store.edit(add_op("pauses", Pause(started_at=now)))
            return True
        self.store.edit(set_op("pauses", "ended_at", now, pause.id))
        self.timers.paused = False
        self.timers.resume(self._paused_timers)
        self._paused_timers = []
        return False

    # -- the speaker queue (step 3) --------------------------------------------------------

    def build_queue(self) -> rules.SpeakerPlan:
        """Junior people first in timed turns, then an open round for the others in the
        minutes left of the step; the facilitator and the note-taker last. Returns the plan."""
        plan = rules.speaker_plan(self.session, self.speaker_minutes)
        ops = [del_op("speaker_turns", t.id) for t in self.session.speaker_turns]
        for order, person in enumerate(plan.order):
            turn = SpeakerTurn(
                participant_id=person.id,
                order=order,
                planned_minutes=self.speaker_minutes,
                open_round=order >= plan.timed,
            )
            ops.append(add_op("speaker_turns", turn))
        self.store.edit(*ops)
        self.timers.speaker = None
        return plan

    def current_turn(self) -> SpeakerTurn | None:
        for turn in self.session.speaker_queue():
            if turn.ended_at is None and not turn.skipped:
                return turn
        return None

    def speaker_countdown(self) -> Countdown | None:
        turn = self.current_turn()
        if turn is None:
            return None
        if self.timers.speaker is None:
            started, budget = turn.started_at, turn.planned_minutes * 60
            if turn.open_round:
                # One countdown for the whole open round, from its first speaker on.
                started = next(
                    (t.started_at for t in self.session.speaker_queue()
                     if t.open_round and t.started_at is not None),
                    None,
                )
                budget = rules.open_round_minutes(self.session) * 60
            run = self._run_since(started, self._speakers_stopped())
            self.timers.speaker = Countdown(budget, self.clock, already_run=run)
            if started is not None and self.in_progress and not self.timers.paused:
                self.timers.speaker.start()
        return self.timers.speaker

    def _speakers_stopped(self) -> datetime | None:
        """When a turn's clock stopped, as the record tells it to a console opened later: at
        the meeting's end, or when the meeting left step 3 (a turn belongs to step 3); None
        while it runs."""
        stops = [self.session.meeting.ended_at]
        record = self._step_record(3)
        if self.step != 3 and record is not None:
            stops.append(record.ended_at)
        known = [stop for stop in stops if stop is not None]
        return min(known) if known else None

    def start_speaker(self) -> None:
        turn = self.current_turn()
        if turn is None or turn.started_at is not None or not self.in_progress:
            return
        self.store.edit(set_op("speaker_turns", "started_at", self.clock.now(), turn.id))
        timer = self.speaker_countdown()
        if timer is not None:
            if not turn.open_round:
                timer.restart(turn.planned_minutes * 60)
            if not self.timers.paused:
                timer.start()

    def next_speaker(self, *, skip: bool = False) -> None:
        """End (or skip) the current turn; the next one starts at once. Only in the meeting:
        a turn's times are the meeting's."""
        turn = self.current_turn()
        if turn is None or not self.in_progress:
            return
        now = self.clock.now()
        if skip:
            ops = [set_op("speaker_turns", "skipped", True, turn.id)]
            if turn.started_at is not None:
                ops.append(set_op("speaker_turns", "ended_at", now, turn.id))
            self.store.edit(*ops)
        else:
            ops = [set_op("speaker_turns", "ended_at", now, turn.id)]
            if turn.started_at is None:
                ops.append(set_op("speaker_turns", "started_at", now, turn.id))
            self.store.edit(*ops)
        self.timers.speaker = None
        self.start_speaker()

    def move_turn(self, turn_id: str, delta: int) -> None:
        """Move a waiting turn up (-1) or down (+1) the queue."""
        queue = self.session.speaker_queue()
        index = next((i for i, t in enumerate(queue) if t.id == turn_id), None)
        if index is None:
            return
        other = index + delta
        if not 0 <= other < len(queue):
            return
        a, b = queue[index], queue[other]
        order_a, order_b = (b.order, a.order) if a.order != b.order else (other, index)
        self.store.edit(
            set_op("speaker_turns", "order", order_a, a.id),
            set_op("speaker_turns", "order", order_b, b.id),
        )

    def change_turn_minutes(self, turn_id: str, delta: int) -> None:
        turn = next((t for t in self.session.speaker_turns if t.id == turn_id), None)
        if turn is None:
            return
        if turn.open_round:
            return  # the open round shares what the timed turns leave
        low, high = SPEAKER_MINUTES
        minutes = max(low, min(high, turn.planned_minutes + delta))
        self.store.edit(set_op("speaker_turns", "planned_minutes", minutes, turn_id))
        if turn is self.current_turn() and self.timers.speaker is not None:
            self.timers.speaker.budget = minutes * 60
