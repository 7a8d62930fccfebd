"""The running meeting: moving between steps, the timers, the blame pause, the speaker queue.

Everything here changes the session only through the store, so the other pane sees it; the
timers are in-process and run on the injected clock. A timer never moves the meeting on.

Never import Textual here.
"""

from __future__ import annotations

from datetime import datetime

from . import rules
from .clock import Clock, Countdown, MeetingTimers
from .model import WRAP_UP, Pause, SpeakerTurn, StepTime
from .ops import add_op, del_op, set_op
from .store import SessionStore

# A block on one of these rules keeps the meeting from moving past the step named.
ADVANCE_GUARDS: dict[str, int] = {
    "schedule.postponed": 1,
    "meeting.duration": 1,
    "facilitator.neutral": 1,
    "question.one": 2,
    "safety.statement": 3,
    "timeline.timebox": 5,
}


class MeetingRun:
    def __init__(
        self,
        store: SessionStore,
        clock: Clock,
        *,
        log: rules.LogFacts | None = None,
        speaker_minutes: int = rules.SPEAKER_MINUTES[0],
    ) -> None:
        self.store = store
        self.clock = clock
        self.log = log or rules.LogFacts()
        self.speaker_minutes = speaker_minutes
        session = store.session
        self.timers = MeetingTimers(
            clock=clock,
            meeting=Countdown(
                session.meeting.planned_minutes * 60,
                clock,
                already_run=self._run_since(session.meeting.started_at),
            ),
        )
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

    def _paused_seconds_since(self, start: datetime) -> float:
        now = self.clock.now()
        total = 0.0
        for pause in self.session.pauses:
            end = pause.ended_at or now
            overlap = (end - max(pause.started_at, start)).total_seconds()
            total += max(0.0, overlap)
        return total

    def _run_since(self, start: datetime | None, end: datetime | None = None) -> float:
        """Seconds a timer started at ``start`` has run, pauses left out (for reopening a
        meeting in progress)."""
        if start is None:
            return 0.0
        stop = end or self.clock.now()
        return max(0.0, (stop - start).total_seconds() - self._paused_seconds_since(start))

    def elapsed_on_record(self) -> float:
        """The meeting's run time from its recorded start and pauses: how a pane that does not
        run the meeting's timers (the note-taker's) shows the meeting clock."""
        meeting = self.session.meeting
        return self._run_since(meeting.started_at, meeting.ended_at)

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

    def begin(self) -> None:
        """Open the console as facilitator: the meeting clock and the current step run."""
        now = self.clock.now()
        ops = []
        if self.session.meeting.started_at is None:
            ops.append(set_op("meeting", "started_at", now))
        record = self._step_record(self.step)
        if record is None or record.started_at is None:
            ops.append(set_op("steps", "started_at", now, str(self.step)))
        if ops:
            self.store.edit(*ops)
        if not self.paused:
            self.timers.meeting.start()
            step_timer = self.step_countdown(self.step)
            if step_timer is not None:
                step_timer.start()
        else:
            self.timers.paused = True
            self._paused_timers = [self.timers.meeting]
            if self.step < WRAP_UP:
                self._paused_timers.append(self.step_countdown(self.step))  # type: ignore[arg-type]

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
            if f.rule in ADVANCE_GUARDS and self.step <= ADVANCE_GUARDS[f.rule] < target
        ]

    def go_to(self, target: int) -> list[rules.Finding]:
        """Move to another step; returns the blocks that refused it (nothing moves then)."""
        target = max(1, min(WRAP_UP, target))
        if target == self.step:
            return []
        blocked = self.blocked_move(target)
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
        if target == WRAP_UP and self.session.meeting.ended_at is None:
            ops.append(set_op("meeting", "ended_at", now))
        elif leaving == WRAP_UP and self.session.meeting.ended_at is not None:
            ops.append(set_op("meeting", "ended_at", None))  # back from the wrap-up: it goes on
        self.store.edit(*ops)
        if target == 3 and not self.session.speaker_turns:
            self.build_queue()
        self.store.checkpoint()  # the TOML file follows the meeting step by step
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

    # -- the blame pause -------------------------------------------------------------------

    def toggle_pause(self) -> bool:
        """Pause every timer and record the pause (time only, no name), or resume. Returns
        whether the meeting is now paused."""
        now = self.clock.now()
        pause = self.open_pause()
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
            run = self._run_since(started)
            self.timers.speaker = Countdown(budget, self.clock, already_run=run)
            if started is not None and not self.timers.paused:
                self.timers.speaker.start()
        return self.timers.speaker

    def start_speaker(self) -> None:
        turn = self.current_turn()
        if turn is None or turn.started_at is not None:
            return
        self.store.edit(set_op("speaker_turns", "started_at", self.clock.now(), turn.id))
        timer = self.speaker_countdown()
        if timer is not None:
            if not turn.open_round:
                timer.restart(turn.planned_minutes * 60)
            if not self.timers.paused:
                timer.start()

    def next_speaker(self, *, skip: bool = False) -> None:
        """End (or skip) the current turn; the next one starts at once."""
        turn = self.current_turn()
        if turn is None:
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
        low, high = rules.SPEAKER_MINUTES
        minutes = max(low, min(high, turn.planned_minutes + delta))
        self.store.edit(set_op("speaker_turns", "planned_minutes", minutes, turn_id))
        if turn is self.current_turn() and self.timers.speaker is not None:
            self.timers.speaker.budget = minutes * 60
