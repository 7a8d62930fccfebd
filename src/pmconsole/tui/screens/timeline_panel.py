"""The timeline table: events sorted by time, edited in place with few keys, long gaps marked.
A part of two screens, step 5 and the note-taker's pane: it opens the event form (a dialog), so
it lives with the screens, not among the widgets, which never open one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from pmconsole.domain.model import EVENT_KINDS, Session, TimelineEvent, counted
from pmconsole.domain.ops import add_op, del_op, set_op
from pmconsole.tui.keys import key_hint
from pmconsole.tui.widgets import short, show_text
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import FormField, required
from pmconsole.tui.widgets.strip import TimelineStrip
from pmconsole.tui.widgets.timeline_table import TimelineTable
from pmconsole.tui.in_console import InConsole

RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*([mh])$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def event_time_parser(default: datetime, zone: ZoneInfo):
    """How an event's time is typed: empty keeps ``default``; `14:32` is that time on the
    default's day; `+5m`, `-2m`, `+1h` move from the default; or a full `2026-11-23 14:32`."""

    def parse(text: str) -> datetime:
        text = text.strip()
        if not text:
            return default
        if m := RELATIVE.match(text):
            amount = int(m.group(2)) * (60 if m.group(3) == "h" else 1)
            return default + timedelta(minutes=amount if m.group(1) == "+" else -amount)
        local = default.astimezone(zone)
        if m := CLOCK.match(text):
            hour, minute = int(m.group(1)), int(m.group(2))
            if hour > 23 or minute > 59:
                raise ValueError(f"{text} is not a time of day")
            return local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("write 14:32, +5m, -2m or 2026-11-23 14:32") from None
        return value if value.tzinfo else value.replace(tzinfo=zone)

    return parse


_BASIS = {"fact": "an observed fact", "interpretation": "an interpretation"}


class TimelinePanel(InConsole, Vertical):
    """Durations above, the table below; a = add, e = edit, x = delete (z, the app's undo),
    f = fact/interpretation, m = major."""

    DEFAULT_CSS = """
    TimelinePanel { height: 1fr; }
    TimelinePanel > #durations { color: $text-muted; }
    TimelinePanel > #columns { text-style: bold; background: $panel; }
    /* The selected event in full, wrapped, above the keys: the table gives way to it. */
    TimelinePanel > #detail { height: auto; color: $text-muted; }
    """

    BINDINGS = [
        Binding("a", "add_event", "Add event", id="timeline.add", show=False),
        Binding("e", "edit_event", "Edit", id="timeline.edit", show=False),
        Binding("x", "delete_event", "Delete", id="timeline.delete", show=False),
        Binding("f", "toggle_basis", "Fact/interp.", id="timeline.basis", show=False),
        Binding("m", "toggle_major", "Major", id="timeline.major", show=False),
    ]

    def __init__(self, gap_minutes: int = 30, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gap_minutes = gap_minutes

    @property
    def keys(self) -> str:
        """The panel's keys, as they are bound now (a user may have remapped them)."""
        hint = key_hint(self, ("timeline.add", "add"), ("timeline.edit", "edit"),
                        ("timeline.delete", "delete"), ("pmconsole.undo", "undo"),
                        ("timeline.basis", "fact/interpretation"), ("timeline.major", "major"))
        return f"{hint} · Enter edits"

    def compose(self) -> ComposeResult:
        yield Static("", id="durations", markup=False)
        yield TimelineStrip()
        table = TimelineTable(gap_minutes=self.gap_minutes, id="timeline")
        yield Static(table.header_text(), id="columns", markup=False)
        yield table
        yield Static(self.keys, id="detail", markup=False)

    @property
    def session(self) -> Session:
        return self.app.session_store.session

    @on(TimelineTable.ColumnsChanged)
    def _columns_changed(self, event: TimelineTable.ColumnsChanged) -> None:
        event.stop()
        show_text(self.query_one("#columns", Static), self.query_one(TimelineTable).header_text())

    def on_mount(self) -> None:
        self.show_session()

    def show_session(self) -> None:
        session = self.session
        show_text(
            self.query_one("#durations", Static),
            f"{session.durations_line()} · {counted(len(session.timeline), 'event')}",
        )
        self.query_one(TimelineStrip).refresh()
        table = self.query_one(TimelineTable)
        table.show(session, keep=self.selected_id())

    def on_timeline_table_row_highlighted(self, message: TimelineTable.RowHighlighted) -> None:
        message.stop()
        event = self.selected()
        detail = self.query_one("#detail", Static)
        if event is None:
            show_text(detail, self.keys)
            return
        source = f" — {event.source}" if event.source else ""
        show_text(detail, f"{event.text}{source}\n{self.keys}")

    def selected_id(self) -> str | None:
        event = self.query_one(TimelineTable).selected()
        return event.id if event else None

    def selected(self) -> TimelineEvent | None:
        return self.query_one(TimelineTable).selected()

    def _edit(self, *ops) -> None:
        self.app.edit(*ops)

    def _form(self, title: str, event: TimelineEvent | None, default: datetime) -> RecordForm:
        zone = self.session.zone()
        return RecordForm(
            title,
            [
                FormField("text", "What happened", event.text if event else "",
                          parse=required("The event's text")),
                FormField("at", "Time: 14:32, or +5m / -2m from the selected event, or 2026-11-23 14:32",
                          default.astimezone(zone).strftime("%H:%M"),
                          parse=event_time_parser(default, zone), replaces=True),
                FormField("kind", "Kind", event.kind if event else "observation",
                          kind="choice", choices=EVENT_KINDS),
                FormField("source", "Source", event.source if event else ""),
                FormField("interpretation", "An interpretation, not an observed fact",
                          event.basis == "interpretation" if event else False, kind="bool"),
                FormField("major", "A major event", event.major if event else False, kind="bool"),
            ],
            edits=event is not None,
        )

    @staticmethod
    def _values(values: dict) -> dict:
        values = dict(values)
        if "interpretation" in values:  # an edit gives only what changed
            values["basis"] = "interpretation" if values.pop("interpretation") else "fact"
        return values

    def action_add_event(self) -> None:
        current = self.selected()
        session = self.session
        if current is not None:
            default = current.at
        elif session.timeline:
            default = session.sorted_timeline()[-1].at
        else:
            default = session.incident.started_at

        def added(values):
            if values:
                event = TimelineEvent(**self._values(values))
                self._edit(add_op("timeline", event))
                self._select(event.id)

        self.app.push_screen(self._form("Add a timeline event", None, default), added)

    def action_edit_event(self) -> None:
        event = self.selected()
        if event is None:
            self.notify("No event to edit: a adds one.", severity="warning", markup=False)
            self.app.keys.refuse_burst()  # its text follows
            return

        def edited(values):
            if values and self.app.store.live.get("timeline", event.id) is None:
                # Deleted in the other pane while this form was open: what was typed is not
                # lost, the event comes back with it.
                back = event.model_copy(update=self._values(values))
                self._edit(add_op("timeline", back))
                self._select(back.id)
                self.notify("That event was deleted in the other pane meanwhile; your edit "
                            "brings it back (x deletes it again).", markup=False)
                return
            if values:
                values = self._values(values)
                ops = [set_op("timeline", k, v, event.id) for k, v in values.items()
                       if getattr(event, k) != v]
                if ops:
                    self._edit(*ops)
                    self._select(event.id)

        self.app.push_screen(self._form("Edit the event", event, event.at), edited)

    def on_timeline_table_row_chosen(self, message: TimelineTable.RowChosen) -> None:
        message.stop()
        self.action_edit_event()

    def action_delete_event(self) -> None:
        event = self.selected()
        if event is not None:
            self._edit(del_op("timeline", event.id))

            def bring_back() -> None:
                self._edit(add_op("timeline", event))
                self._select(event.id)

            self.app.did(f"Deleted the event “{short(event.text)}”", bring_back)

    def action_toggle_basis(self) -> None:
        event = self.selected()
        if event is not None:
            basis = "fact" if event.basis == "interpretation" else "interpretation"
            with self.app.undoable(f"Marked “{short(event.text)}” {_BASIS[basis]}"):
                self._edit(set_op("timeline", "basis", basis, event.id))

    def action_toggle_major(self) -> None:
        event = self.selected()
        if event is not None:
            said = "a major event" if not event.major else "not major"
            with self.app.undoable(f"Marked “{short(event.text)}” {said}"):
                self._edit(set_op("timeline", "major", not event.major, event.id))

    def _select(self, event_id: str) -> None:
        self.query_one(TimelineTable).show(self.session, keep=event_id)
