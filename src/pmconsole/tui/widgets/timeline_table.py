"""The timeline as a table that draws only the rows on screen.

A DataTable rebuilt for every edit costs half a second at 5,000 events; here an edit re-sorts
plain data and only the visible lines are drawn, the way Toolong shows large logs (STYLE.md 11).
User text is written as plain segments: never markup. Since nothing of Textual's stands between
these segments and the terminal, every cell goes through the one cleaner of user text on one
line, even though the model has cleaned it already: a carriage return or an escape here would
draw over the rows on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pmconsole.domain.model import Session, TimelineEvent, day_label, format_duration
from pmconsole.domain.text import clean_text

# (title, width) — the event text takes what is left.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Time", 6),
    ("Kind", 12),
    ("Basis", 8),
    ("★", 2),
    ("Gap", 13),
    ("Source", 18),
)
# Below NARROW_BELOW cells the source gives way to the event, which is what the room reads, and
# a gap is shown without the word "gap" (the column's title says it): "⋯ 2 h 05 min". At 80
# columns the event has ~27 cells instead of ~17.
NARROW_BELOW = 100
NARROW_COLUMNS: tuple[tuple[str, int], ...] = (*COLUMNS[:-1], ("Source", 8))


def columns_for(width: int) -> tuple[tuple[str, int], ...]:
    return NARROW_COLUMNS if width < NARROW_BELOW else COLUMNS


def fit(text: str, width: int) -> str:
    text = clean_text(text, multiline=False)
    if len(text) > width - 1:
        return text[: max(0, width - 2)] + "… "
    return text.ljust(width)


@dataclass
class RowView:
    """What one row shows, as plain strings."""

    cells: tuple[str, ...]
    major: bool

    @property
    def text(self) -> str:
        return self.cells[-1]


class TimelineTable(ScrollView, can_focus=True):
    """Events sorted by time; the cursor row is the selected event."""

    COMPONENT_CLASSES = {"timeline-table--cursor", "timeline-table--major", "timeline-table--gap",
                         "timeline-table--day"}

    DEFAULT_CSS = """
    TimelineTable { height: 1fr; }
    TimelineTable > .timeline-table--cursor { background: $accent 40%; }
    TimelineTable:focus > .timeline-table--cursor { background: $accent; color: $text; }
    TimelineTable > .timeline-table--major { text-style: bold; }
    TimelineTable > .timeline-table--gap { color: $warning; }
    TimelineTable > .timeline-table--day { color: $accent; text-style: bold; }
    """

    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "to_row(0)", "First", show=False),
        Binding("end", "to_end", "Last", show=False),
        Binding("enter", "choose", "Edit", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class RowChosen(Message):
        """Enter or a click on the already selected row."""

    class RowHighlighted(Message):
        """The cursor moved to another row."""

    class ColumnsChanged(Message):
        """The table's width changed: its column titles may have too."""

    def __init__(self, gap_minutes: int = 30, **kwargs) -> None:
        super().__init__(**kwargs)
        self.gap = timedelta(minutes=gap_minutes)
        self.events: list[TimelineEvent] = []
        self.zone: ZoneInfo = ZoneInfo("UTC")
        self.days_differ = False  # the events are on more than one day, where the room is

    # -- data --------------------------------------------------------------------------------

    def show(self, session: Session, keep: str | None = None) -> None:
        """Take the session's events (sorted by time); keep the cursor on event ``keep``."""
        self.events = session.sorted_timeline()
        self.zone = session.zone()
        self.days_differ = bool(self.events) and (
            self.events[0].at.astimezone(self.zone).date()
            != self.events[-1].at.astimezone(self.zone).date())
        # No sideways scrolling: rows are cut to the width, so the virtual width is 0.
        self.virtual_size = Size(0, len(self.events))
        row = self.index_of(keep) if keep else None
        self.cursor_row = row if row is not None else min(self.cursor_row, self.row_count - 1)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.events)

    def index_of(self, event_id: str | None) -> int | None:
        for i, event in enumerate(self.events):
            if event.id == event_id:
                return i
        return None

    def selected(self) -> TimelineEvent | None:
        if 0 <= self.cursor_row < len(self.events):
            return self.events[self.cursor_row]
        return None

    def row(self, index: int) -> RowView:
        event = self.events[index]
        gap = ""
        if index > 0:
            since = event.at - self.events[index - 1].at
            if since > self.gap:
                gap = f"⋯ {format_duration(since)} gap"
        if self.days_differ:
            # A timeline over several days: the first event of each day names its day where
            # the gap goes (the times alone would read as one day).
            day = event.at.astimezone(self.zone).date()
            if index == 0 or day != self.events[index - 1].at.astimezone(self.zone).date():
                gap = f"▸ {day_label(day)}"
        cells = (
            event.at.astimezone(self.zone).strftime("%H:%M"),
            event.kind,
            "interp." if event.basis == "interpretation" else "fact",
            "★" if event.major else "",
            gap,
            event.source,
            event.text,
        )
        return RowView(cells, event.major)

    # -- drawing -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.size.width
        if index >= len(self.events) or index < 0:
            return Strip.blank(width, self.rich_style)
        view = self.row(index)
        base = self.rich_style
        if index == self.cursor_row:
            base = base + self.get_component_rich_style("timeline-table--cursor")
        segments: list[Segment] = []
        columns = columns_for(width)
        for (title, col_width), cell in zip(columns, view.cells):
            style = base
            if cell.startswith("▸") and title == "Gap":  # the first event of a day
                style = base + self.get_component_rich_style("timeline-table--day")
            elif cell and title == "Gap":
                style = base + self.get_component_rich_style("timeline-table--gap")
                if columns is NARROW_COLUMNS:
                    cell = cell.removesuffix(" gap")
            segments.append(Segment(fit(cell, col_width), style))
        text_style = base
        if view.major:
            text_style = base + self.get_component_rich_style("timeline-table--major")
        used = sum(w for _, w in columns)
        text = clean_text(view.text, multiline=False)
        segments.append(Segment(text[: max(0, width - used)], text_style))
        return Strip(segments).extend_cell_length(width, base).crop(0, width)

    def header_text(self) -> str:
        """The column titles, for the line above the table, at the table's width."""
        columns = columns_for(self.size.width or NARROW_BELOW)
        return "".join(fit(title, width) for title, width in columns) + "Event"

    def on_resize(self) -> None:
        self.post_message(self.ColumnsChanged())

    def watch_cursor_row(self, old: int, new: int) -> None:
        if self.events:
            clamped = max(0, min(new, len(self.events) - 1))
            if clamped != new:
                self.cursor_row = clamped
                return
            self.scroll_to_region_of(new)
        self.refresh()
        self.post_message(self.RowHighlighted())

    def scroll_to_region_of(self, row: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    # -- keys and mouse ----------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self.cursor_row = max(0, min(self.row_count - 1, self.cursor_row + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.size.height - 1))

    def action_to_row(self, row: int) -> None:
        self.cursor_row = row

    def action_to_end(self) -> None:
        self.cursor_row = max(0, self.row_count - 1)

    def action_choose(self) -> None:
        if self.events:
            self.post_message(self.RowChosen())

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < self.row_count:
            if row == self.cursor_row:
                self.post_message(self.RowChosen())
            self.cursor_row = row
