"""Step 1, Schedule & time-box: the incident's times, the meeting's time and length, the delay
with its verdict, the per-step budget, and the roster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Select, Static

from pmconsole.domain.method import POSTPONE_LIMIT, WINDOW, WINDOW_LATEST, hours
from pmconsole.domain.model import SEVERITY_LEVELS, STEP_NAMES, Participant, Session
from pmconsole.domain.ops import add_op, del_op, set_op
from pmconsole.domain.rules import meeting_timing, since_incident
from pmconsole.tui.widgets.fields import (
    BoundInput,
    FieldRef,
    format_local_time,
    format_tags,
    parse_int,
    parse_local_time,
    parse_tags,
)
from pmconsole.tui.keys import key_hint
from pmconsole.tui.widgets import plain_cells, show_rows, show_text
from pmconsole.tui.widgets.choice import ChoiceBar
from pmconsole.tui.screens.base import StepView, field_rows, set_select

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from pmconsole.tui.dialogs.record_form import RecordForm

SENIORITIES = ("junior", "mid", "senior", "lead")


def delay_verdict(session: Session) -> str:
    """How long after the incident the meeting is, and what the method says of that (the
    window as ``schedule.window`` and ``schedule.postponed`` judge it)."""
    timing = meeting_timing(session)
    if timing == "unset":
        return f"No meeting time yet: the method asks for {WINDOW} h after the incident ended."
    if timing == "before":
        return ("The meeting is set before the incident ended ■ check the meeting time and "
                "the incident's end")
    verdict = {
        "early": "early: memories are fresh, but evidence may not be in yet",
        "within": f"within the {WINDOW} h window ✓",
        "late": f"later than {hours(WINDOW_LATEST)} h ▲ memories fade: hold it soon",
        "postponed": f"more than {POSTPONE_LIMIT.days} days ■ record a late reason to go on",
    }[timing]
    delay = since_incident(session)
    assert delay is not None
    return f"Meeting {delay.total_seconds() / 3600:.0f} h after the incident ended — {verdict}"


class ScheduleStep(StepView):
    step = 1
    watches = frozenset({"incident", "meeting", "participants"})

    BINDINGS = [
        Binding("a", "add_person", "Add person", id="roster.add", show=False),
        Binding("e", "edit_person", "Edit person", id="roster.edit", show=False),
        Binding("x", "remove_person", "Remove", id="roster.remove", show=False),
        Binding("i", "toggle_involved", "Involved", id="roster.involved", show=False),
    ]

    def _times(self) -> dict:
        """How a time field of this session is read and shown: in its time zone, saved when
        complete (on Enter or leaving the field), not halfway."""
        zone = self.session.zone()
        return dict(parse=parse_local_time(zone), fmt=format_local_time(zone), while_typing=False)

    def compose(self) -> ComposeResult:
        when = self._times()
        yield Static("Incident", classes="section")
        yield from field_rows(
            ("Title", BoundInput(FieldRef("incident", "title"))),
            ("Severity", ChoiceBar(
                SEVERITY_LEVELS, self.session.incident.severity, id="severity"
            )),
            ("Tags", BoundInput(FieldRef("incident", "tags"), parse=parse_tags, fmt=format_tags)),
            ("Time zone", BoundInput(FieldRef("incident", "timezone"))),
            ("Started", BoundInput(FieldRef("incident", "started_at"), **when)),
            ("Detected", BoundInput(FieldRef("incident", "detected_at"), **when)),
            ("Mitigated", BoundInput(FieldRef("incident", "mitigated_at"), **when)),
            ("Resolved", BoundInput(FieldRef("incident", "resolved_at"), **when)),
        )
        yield Static("", id="durations", classes="hint", markup=False)

    def compose_below(self) -> ComposeResult:
        # The roster and the related list are tables: Textual's DataTable is imported with them,
        # after the first screen.
        from textual.widgets import DataTable

        from pmconsole.tui.widgets.related import RelatedList

        when = self._times()
        yield Static("Meeting", classes="section")
        yield from field_rows(("Scheduled", BoundInput(FieldRef("meeting", "scheduled_at"), **when)))
        yield Static("", id="verdict", markup=False)
        yield from field_rows(
            ("Late reason", BoundInput(
                FieldRef("meeting", "late_reason"), placeholder=f"only if later than {POSTPONE_LIMIT.days} days"
            )),
            ("Planned minutes", BoundInput(
                FieldRef("meeting", "planned_minutes"), parse=parse_int, fmt=str,
                while_typing=False,
            )),
        )
        yield Static("", id="budgets", markup=False)
        yield from field_rows(
            ("Facilitator", Select([], id="facilitator", prompt="choose", compact=True)),
            ("Note-taker", Select([], id="note_taker", prompt="choose", compact=True)),
        )
        keys = key_hint(self, ("roster.add", "add"), ("roster.edit", "edit"),
                        ("roster.remove", "remove"), ("pmconsole.undo", "undo"),
                        ("roster.involved", "involved"))
        yield Static(f"Roster  ({keys} · from the top, Shift+Tab twice)", classes="section",
                     markup=False)
        table: DataTable = DataTable(id="roster", cursor_type="row", zebra_stripes=True)
        table.add_columns(*plain_cells("Name", "Role", "Seniority", "Involved"))
        yield table
        yield Static("Related post-mortems: shared tags or words (Enter shows one)", classes="section")
        yield RelatedList(id="related")

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        self.query_one("#severity", ChoiceBar).show_value(session.incident.severity)
        show_text(self.query_one("#durations", Static), session.durations_line())
        if not self.complete:
            return  # the meeting and the roster are drawn when mounted
        show_text(self.query_one("#verdict", Static), delay_verdict(session))
        budgets = session.step_budgets()
        show_text(self.query_one("#budgets", Static),
            "Budget: "
            + " · ".join(f"{i}. {name.split(' ')[0]} {m}m" for i, (name, m) in enumerate(
                zip(STEP_NAMES, budgets), start=1))
            + f"  = {sum(budgets)} min"
        )
        people = [(Text(p.name), p.id) for p in session.participants]
        for select_id in ("facilitator", "note_taker"):
            select = self.query_one(f"#{select_id}", Select)
            with select.prevent(Select.Changed):
                select.set_options(people)
            set_select(select, getattr(session.meeting, select_id))
        self._fill_roster(session)

    def _fill_roster(self, session: Session) -> None:
        table: DataTable = self.query_one("#roster")  # type: ignore[assignment]
        row = table.cursor_row
        show_rows(table, [
            (p.id, plain_cells(p.name, p.role, p.seniority, "yes" if p.involved else "no"))
            for p in session.participants
        ])
        if session.participants:
            table.move_cursor(row=min(row, len(session.participants) - 1))

    # -- choices -----------------------------------------------------------------------------

    @on(ChoiceBar.Changed, "#severity")
    def _severity(self, event: ChoiceBar.Changed) -> None:
        if event.value != self.session.incident.severity:
            if not self.edit(set_op("incident", "severity", event.value)):
                # Refused (a read-only session): show again what the session holds.
                event.choice_bar.show_value(self.session.incident.severity)

    # A Select also posts Changed when it is filled or mounted: only a value that differs from
    # the session is the user's choice.

    @on(Select.Changed, "#facilitator, #note_taker")
    def _role(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else event.value
        if value != getattr(self.session.meeting, str(event.select.id)):
            self.edit(set_op("meeting", event.select.id, value))

    # -- the roster --------------------------------------------------------------------------

    def _selected(self) -> Participant | None:
        if not self.complete:
            return None
        table: DataTable = self.query_one("#roster")  # type: ignore[assignment]
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.session.participant(key)

    def _form(self, title: str, person: Participant | None) -> RecordForm:
        # Not needed to show the step.
        from pmconsole.tui.dialogs.record_form import RecordForm
        from pmconsole.tui.widgets.form import FormField, required

        return RecordForm(
            title,
            [
                FormField("name", "Name", person.name if person else "", parse=required("A name")),
                FormField("role", "Role", person.role if person else ""),
                FormField(
                    "seniority", "Seniority", person.seniority if person else "mid",
                    kind="choice", choices=SENIORITIES,
                ),
                FormField(
                    "involved", "Involved in the incident", person.involved if person else False,
                    kind="bool",
                ),
            ],
            edits=person is not None,
        )

    def action_add_person(self) -> None:
        def added(values):
            if values:
                person = Participant(**values)
                self.edit(add_op("participants", person))
                self.call_after_refresh(self._select, person.id)

        self.app.push_screen(self._form("Add a person to the roster", None), added)

    def action_edit_person(self) -> None:
        person = self._selected()
        if person is None:
            self.refuse_key("No one to edit yet: a adds a person.")
            return

        def edited(values):
            if values:
                ops = [
                    set_op("participants", k, v, person.id)
                    for k, v in values.items()
                    if getattr(person, k) != v
                ]
                if ops:
                    self.edit(*ops)

        self.app.push_screen(self._form(f"Edit {person.name}", person), edited)

    def _select(self, person_id: str) -> None:
        if not self.complete:
            return
        table: DataTable = self.query_one("#roster")  # type: ignore[assignment]
        ids = [p.id for p in self.session.participants]
        if person_id in ids:
            table.move_cursor(row=ids.index(person_id))
        table.focus()

    def action_remove_person(self) -> None:
        person = self._selected()
        if person is not None:
            ops = [del_op("participants", person.id)]
            roles = []
            for role in ("facilitator", "note_taker"):
                if getattr(self.session.meeting, role) == person.id:
                    ops.append(set_op("meeting", role, None))  # the role is open again
                    roles.append(role)
            if self.edit(*ops):
                self.removed(f"Removed {person.name} from the roster",
                             lambda: self._bring_back(person, roles))

    def _bring_back(self, person: Participant, roles: list[str]) -> None:
        """The person back on the roster, and in their roles that no one has taken since."""
        meeting = self.session.meeting
        self.edit(add_op("participants", person), *(
            set_op("meeting", role, person.id) for role in roles if getattr(meeting, role) is None
        ))

    def action_toggle_involved(self) -> None:
        person = self._selected()
        if person is not None:
            said = "involved in" if not person.involved else "not involved in"
            with self.app.undoable(f"Marked {person.name} {said} the incident"):
                self.edit(set_op("participants", "involved", not person.involved, person.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "roster":
            self.action_edit_person()
