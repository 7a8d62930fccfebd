"""Step 3, Psychological safety: the facilitator's statement, large, and the speaker queue with
junior people first and a countdown for each turn."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from pmconsole.domain import rules
from pmconsole.domain.method import SAFETY_STEP, SPEAKER_MINUTES
from pmconsole.domain.model import counted
from pmconsole.domain.ops import set_op
from pmconsole.tui.widgets.countdown import CountdownDisplay
from pmconsole.tui.widgets import plain_cells, show_rows, show_text
from pmconsole.tui.widgets.fields import parse_int
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import FormField, required
from pmconsole.tui.screens.base import StepView


class SafetyStep(StepView):
    step = 3
    watches = frozenset({"meeting", "speaker_turns", "participants"})

    BINDINGS = [
        Binding("e", "edit_statement", "Edit statement", id="safety.edit", show=False),
        Binding("b", "build_queue", "Junior first", id="safety.build", show=False),
        Binding("n", "next_speaker", "Next speaker", id="safety.next", show=False),
        Binding("k", "skip_speaker", "Skip", id="safety.skip", show=False),
        Binding("u", "move(-1)", "Up", id="safety.up", show=False),
        Binding("d", "move(1)", "Down", id="safety.down", show=False),
        Binding("plus", "minutes(1)", "+1 min", id="safety.longer", show=False),
        Binding("minus", "minutes(-1)", "-1 min", id="safety.shorter", show=False),
    ]

    DEFAULT_CSS = """
    SafetyStep #statement {
        border: round $accent; padding: 0 1; text-style: bold; height: auto;
    }
    SafetyStep #queue-row { height: auto; }
    SafetyStep #queue { width: 1fr; }
    SafetyStep #speaker-timer { padding: 0 0 0 2; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="statement", markup=False)
        yield Static(
            "Speakers: junior people first in timed turns, then an open round; facilitator and "
            "note-taker last · n next · k skip · u/d move · +/- minutes · Enter edits a turn · "
            "b rebuild · "
            "e edit the statement",
            classes="section",
        )
        yield Static("", id="queue-time", classes="hint", markup=False)
        with Horizontal(id="queue-row"):
            table: DataTable = DataTable(id="queue", cursor_type="row", zebra_stripes=True)
            table.add_columns("#", "Speaker", "Seniority", "Minutes", "Turn")
            yield table
            yield CountdownDisplay("speaker", id="speaker-timer")

    @property
    def meeting(self):
        return self.app.meeting

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        show_text(self.query_one("#statement", Static), session.meeting.statement)
        timer = self.query_one("#speaker-timer", CountdownDisplay)
        timer.countdown = self.meeting.speaker_countdown() if self.meeting else None
        current = self.meeting.current_turn() if self.meeting else None
        table = self.query_one("#queue", DataTable)
        row = table.cursor_row
        rows = []
        for number, turn in enumerate(session.speaker_queue(), start=1):
            person = session.participant(turn.participant_id)
            if turn.skipped:
                state = "skipped"
            elif turn.ended_at is not None:
                state = "done"
            elif turn is current and turn.started_at is not None:
                state = "▶ speaking"
            elif turn is current:
                state = "next"
            else:
                state = "waiting"
            rows.append((turn.id, plain_cells(
                number,
                person.name if person else "(not on the roster)",
                person.seniority if person else "",
                "open round" if turn.open_round else turn.planned_minutes,
                state,
            )))
        show_rows(table, rows)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        timer.redraw()
        show_text(self.query_one("#queue-time", Static), self._queue_time())
        if current is not None:
            person = session.participant(current.participant_id)
            name = person.name if person else "speaker"
            timer.label = f"open round: {name}" if current.open_round else f"{name}'s turn"

    def _queue_time(self) -> str:
        """What is left of the queue, and whether it fits what is left of the step."""
        session = self.session
        waiting = [t for t in session.speaker_turns if t.ended_at is None and not t.skipped]
        timed = [t for t in waiting if not t.open_round]
        minutes = sum(t.planned_minutes for t in timed)
        note = f"{counted(len(timed), 'timed turn')} left, {minutes} min"
        if len(timed) < len(waiting):
            note += (
                f" · then the open round: {counted(len(waiting) - len(timed), 'person', 'people')}"
                f" in {rules.open_round_minutes(session)} min"
            )
        budget = session.step_budgets()[SAFETY_STEP - 1]
        if minutes > budget:
            note += f" — more than this step's {budget} min: press b, or shorten or skip turns"
        if self.meeting and not any(t.started_at for t in session.speaker_turns):
            # Before the first turn, what to change so every junior person has a timed turn.
            plan = rules.speaker_plan(session, self.meeting.speaker_minutes)
            advice = plan.advice(session.meeting.planned_minutes)
            if advice:
                note += f"\n▲ {advice}"
        return note

    def _selected_turn(self) -> str | None:
        table = self.query_one("#queue", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _changed(self) -> None:
        self.app.announce(frozenset({"speaker_turns"}), local=True)

    def action_edit_statement(self) -> None:
        def edited(values):
            if values and values["statement"] != self.session.meeting.statement:
                self.edit(set_op("meeting", "statement", values["statement"]))

        self.app.push_screen(
            RecordForm(
                "The facilitator statement",
                [FormField("statement", "Statement", self.session.meeting.statement,
                           parse=required("The statement"))],
            ),
            edited,
        )

    def action_build_queue(self) -> None:
        if any(t.started_at for t in self.session.speaker_turns):
            self.notify("The queue has started; it is kept as it is.", markup=False)
            return
        plan = self.meeting.build_queue()
        self._changed()
        advice = plan.advice(self.session.meeting.planned_minutes)
        self.notify(
            f"{plan.describe()}{' ' + advice if advice else ''}",
            title="Speaker queue rebuilt, junior first",
            severity="information" if plan.fits else "warning",
            timeout=12,
            markup=False,
        )

    def _speaker_name(self, turn) -> str:
        person = self.session.participant(turn.participant_id) if turn else None
        return person.name if person else "the speaker"

    def _speakers_changed(self, said: str):
        """The turns' edits within are one step z undoes; the speaker's clock then follows
        the records again."""

        def timers_follow() -> None:
            self.meeting.timers.speaker = None
            self._changed()

        return self.app.undoable(said, after=timers_follow)

    def _meeting_on(self) -> bool:
        """A speaker's turn is timed in the meeting: before its start or after its end, say
        why n and k do nothing."""
        if self.meeting.in_progress:
            return True
        why = "has ended" if self.meeting.ended else "has not started (F5 starts it)"
        self.refuse_key(f"The meeting {why}: speakers' turns run in the meeting.")
        return False

    def action_next_speaker(self) -> None:
        if not self._meeting_on():
            return
        if not self.session.speaker_turns:
            self.meeting.build_queue()
        turn = self.meeting.current_turn()
        if turn is None:
            self.refuse_key("Every turn is over: the queue is done (b builds it again).")
            return
        if turn.started_at is None:
            with self._speakers_changed(f"{self._speaker_name(turn)}'s turn started"):
                self.meeting.start_speaker()
        else:
            with self._speakers_changed(f"{self._speaker_name(turn)}'s turn ended"):
                self.meeting.next_speaker()
        self._changed()

    def action_skip_speaker(self) -> None:
        if not self._meeting_on():
            return
        turn = self.meeting.current_turn()
        if turn is None:
            self.refuse_key("No turn left to skip.")
            return
        with self._speakers_changed(f"Skipped {self._speaker_name(turn)}'s turn"):
            self.meeting.next_speaker(skip=True)
        self._changed()

    def action_move(self, delta: int) -> None:
        turn_id = self._selected_turn()
        turn = next((t for t in self.session.speaker_turns if t.id == turn_id), None)
        if turn is not None:
            where = "up" if delta < 0 else "down"
            with self._speakers_changed(f"Moved {self._speaker_name(turn)} {where} the queue"):
                self.meeting.move_turn(turn.id, delta)
            self._changed()
            table = self.query_one("#queue", DataTable)
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_minutes(self, delta: int) -> None:
        turn_id = self._selected_turn()
        turn = next((t for t in self.session.speaker_turns if t.id == turn_id), None)
        if turn is not None and turn.open_round:
            self.refuse_key(
                f"This turn is in the open round, which shares the "
                f"{rules.open_round_minutes(self.session)} minutes the timed turns leave: "
                "+ and - change the timed turns."
            )
            return
        if turn is not None:
            with self._speakers_changed(f"Changed {self._speaker_name(turn)}'s minutes"):
                self.meeting.change_turn_minutes(turn.id, delta)
            self._changed()

    # -- one turn ------------------------------------------------------------------------------

    def _turn_form(self, turn) -> RecordForm:
        session = self.session
        people = {p.name: p.id for p in session.participants}
        person = session.participant(turn.participant_id)
        low, high = SPEAKER_MINUTES

        def minutes(text: str) -> int:
            value = parse_int(text)
            if not low <= value <= high:
                raise ValueError(f"a turn is {low}–{high} minutes")
            return value

        return RecordForm(
            "Edit the turn",
            [
                FormField("speaker", "Speaker", person.name if person else "", kind="choice",
                          choices=tuple(people)),
                FormField("planned_minutes", f"Minutes ({low}–{high})",
                          str(turn.planned_minutes), parse=minutes, replaces=True),
                FormField("skipped", "Skipped", turn.skipped, kind="bool"),
            ],
            edits=True,
        )

    def action_edit_turn(self) -> None:
        turn_id = self._selected_turn()
        turn = next((t for t in self.session.speaker_turns if t.id == turn_id), None)
        if turn is None:
            self.refuse_key("No turn to edit: b builds the queue.")
            return

        def edited(values):
            if not values:
                return
            values = dict(values)
            name = values.pop("speaker", None)
            person = next((p for p in self.session.participants if p.name == name), None)
            if person is not None:
                values["participant_id"] = person.id
            ops = [set_op("speaker_turns", k, v, turn.id) for k, v in values.items()
                   if getattr(turn, k) != v]
            if ops and self.edit(*ops):
                self.meeting.timers.speaker = None  # the turn's clock follows its record
                self._changed()

        self.app.push_screen(self._turn_form(turn), edited)

    @on(DataTable.RowSelected, "#queue")
    def _row_chosen(self) -> None:
        self.action_edit_turn()
