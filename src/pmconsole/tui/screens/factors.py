"""Step 6, Contributing factors: for each major event, "What conditions enabled this?" — 3-5
conditions, each with a category, never a culprit."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from pmconsole.domain.model import FACTOR_CATEGORIES, ContributingFactor, Session, TimelineEvent
from pmconsole.domain.ops import add_op, del_op, set_op
from pmconsole.domain.method import FACTORS_PER_EVENT, span
from pmconsole.domain.rules import blame_phrases, reframe_hint
from pmconsole.tui.keys import key_hint, key_of
from pmconsole.tui.widgets import plain_cells, short, show_rows, show_text
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import FormField, required
from pmconsole.tui.screens.base import StepView

def condition_hint(session: Session):
    """The blame-language hint shown live while a condition is typed (``factors.systemic``)."""
    names = [p.name for p in session.participants]

    def hint(text: str) -> str:
        found = blame_phrases(text, names)
        if not found:
            return ""
        quoted = ", ".join(f'"{f}"' for f in found)
        return f"▲ This names a person or blames ({quoted}). {reframe_hint(text)}"

    return hint


def counter(count: int) -> str:
    low, high = FACTORS_PER_EVENT
    mark = "✓" if low <= count <= high else "▲"
    return f"{mark} {count} condition{'s' if count != 1 else ''} (aim {low}–{high})"


class FactorsStep(StepView):
    step = 6
    watches = frozenset({"factors", "timeline", "participants"})

    BINDINGS = [
        Binding("a", "add_factor", "Add condition", id="factors.add", show=False),
        Binding("e", "edit_factor", "Edit", id="factors.edit", show=False),
        Binding("x", "remove_factor", "Remove", id="factors.remove", show=False),
        Binding("c", "cycle_category", "Category", id="factors.category", show=False),
    ]

    DEFAULT_CSS = """
    FactorsStep { overflow-y: hidden; }
    FactorsStep Horizontal { height: 1fr; }
    FactorsStep #events { width: 2fr; height: 1fr; }
    FactorsStep #conditions-side { width: 3fr; height: 1fr; padding: 0 0 0 1; }
    FactorsStep #question { text-style: bold; height: auto; }
    FactorsStep #conditions { height: 1fr; max-height: 100%; }
    FactorsStep #detail { height: auto; color: $text-muted; }  /* in full, wrapped */
    """

    def compose(self) -> ComposeResult:
        keys = key_hint(self, ("factors.add", "add"), ("factors.edit", "edit"),
                        ("factors.remove", "remove"), ("pmconsole.undo", "undo"),
                        ("factors.category", "category"))
        yield Static(
            "For each major event: what conditions enabled this? "
            f"{span(FACTORS_PER_EVENT)} systemic causes ({keys})",
            classes="hint", markup=False,
        )
        with Horizontal():
            yield OptionList(id="events")
            with Vertical(id="conditions-side"):
                yield Static("", id="question", markup=False)
                table: DataTable = DataTable(id="conditions", cursor_type="row", zebra_stripes=True)
                table.add_columns("Category", "Condition")
                yield table
                yield Static("", id="detail", markup=False)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        events = self.query_one("#events", OptionList)
        chosen = self._event_id()
        events.clear_options()
        majors = session.major_events()
        for event in majors:
            count = sum(event.id in f.event_ids for f in session.factors)
            label = Text(f"{session.local(event.at):%H:%M} {counter(count)}\n")
            label.append(event.text)
            events.add_option(Option(label, id=event.id))
        if majors:
            ids = [e.id for e in majors]
            events.highlighted = ids.index(chosen) if chosen in ids else 0
        self._show_conditions()

    def _event_id(self) -> str | None:
        events = self.query_one("#events", OptionList)
        if events.highlighted is None or not events.option_count:
            return None
        return events.get_option_at_index(events.highlighted).id

    def _event(self) -> TimelineEvent | None:
        eid = self._event_id()
        return next((e for e in self.session.timeline if e.id == eid), None)

    def _factors(self) -> list[ContributingFactor]:
        eid = self._event_id()
        return [f for f in self.session.factors if eid in f.event_ids] if eid else []

    def _show_conditions(self) -> None:
        event = self._event()
        question = self.query_one("#question", Static)
        table = self.query_one("#conditions", DataTable)
        row = table.cursor_row
        if event is None:
            show_rows(table, [])
            show_text(question, "No major events yet: mark them with m on the timeline (step 5).")
            self._highlighted()
            return
        factors = self._factors()
        show_text(question,
            f"What conditions enabled this?  {counter(len(factors))}\n{event.text}"
        )
        show_rows(table, [(f.id, plain_cells(f.category or "— none —", f.text)) for f in factors])
        if factors:
            table.move_cursor(row=min(row, len(factors) - 1))
        # The full text of the condition under the cursor: of this event's, not the last one's
        # (the table does not say its cursor moved when it stays on the first row).
        self._highlighted()

    @on(OptionList.OptionHighlighted, "#events")
    def _event_chosen(self) -> None:
        self._show_conditions()

    def _selected_factor(self) -> ContributingFactor | None:
        table = self.query_one("#conditions", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((f for f in self.session.factors if f.id == key), None)

    def _form(self, title: str, factor: ContributingFactor | None) -> RecordForm:
        return RecordForm(
            title,
            [
                FormField("text", "Condition (describe the system, not a person)",
                          factor.text if factor else "", parse=required("The condition"),
                          hint=condition_hint(self.session)),
                FormField("category", "Category", factor.category if factor else "process",
                          kind="choice", choices=FACTOR_CATEGORIES),
            ],
            edits=factor is not None,
        )

    def action_add_factor(self) -> None:
        event = self._event()
        if event is None:
            self.refuse_key("Mark a major event first (m on the timeline).")
            return

        def added(values):
            if values:
                self.edit(add_op("factors", ContributingFactor(event_ids=[event.id], **values)))

        self.app.push_screen(self._form(f"A condition that enabled: {event.text[:60]}", None), added)

    def action_edit_factor(self) -> None:
        factor = self._selected_factor()
        if factor is None:
            self.refuse_key(f"No condition to edit here: {key_of(self, 'factors.add')} adds one.")
            return

        def edited(values):
            if values:
                ops = [set_op("factors", k, v, factor.id) for k, v in values.items()
                       if getattr(factor, k) != v]
                if ops:
                    self.edit(*ops)

        self.app.push_screen(self._form("Edit the condition", factor), edited)

    @on(DataTable.RowHighlighted, "#conditions")
    def _highlighted(self) -> None:
        factor = self._selected_factor()
        show_text(self.query_one("#detail", Static), factor.text if factor else "")

    @on(DataTable.RowSelected, "#conditions")
    def _row_chosen(self) -> None:
        self.action_edit_factor()

    def action_remove_factor(self) -> None:
        factor = self._selected_factor()
        event = self._event()
        if factor is None or event is None:
            return
        others = [e for e in factor.event_ids if e != event.id]
        if others:  # linked to other events too: only unlink it from this one
            if self.edit(set_op("factors", "event_ids", others, factor.id)):
                self.removed(f"Unlinked “{factor.text}” from this event",
                             lambda: self._link_again(factor.id, event.id))
        elif self.edit(del_op("factors", factor.id)):
            self.removed(f"Removed the condition “{factor.text}”",
                         lambda: self.edit(add_op("factors", factor)))

    def _link_again(self, factor_id: str, event_id: str) -> None:
        factor = next((f for f in self.session.factors if f.id == factor_id), None)
        if factor is not None and event_id not in factor.event_ids:
            self.edit(set_op("factors", "event_ids", [*factor.event_ids, event_id], factor_id))

    def action_cycle_category(self) -> None:
        factor = self._selected_factor()
        if factor is None:
            return
        order = list(FACTOR_CATEGORIES)
        current = order.index(factor.category) if factor.category in order else -1
        category = order[(current + 1) % len(order)]
        with self.app.undoable(f"“{short(factor.text)}” is now {category}"):
            self.edit(set_op("factors", "category", category, factor.id))
