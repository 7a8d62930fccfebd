"""The session picker: recent sessions in the sessions folder, and a new one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from pmconsole.domain.model import STEP_NAMES, WRAP_UP, Incident, Meeting, Session
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import SessionFileError, create_session
from pmconsole.tui.widgets import plain_cells, redraw_when_measured
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import FormField, required
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.keys import key_hint
from pmconsole.tui.in_console import InConsole


def _reached(step: int) -> str:
    return "wrap-up" if step >= WRAP_UP else f"{step}/{len(STEP_NAMES)}"


COLUMNS = ("Title", "Incident", "Severity", "Step", "File")
TITLE_MIN = 16  # below this a title says too little: the table scrolls sideways instead
FILE_MAX = 28


def column_widths(rows: list[tuple], width: int) -> list[int]:
    """Widths that show every column in ``width`` cells: each column as wide as its longest
    cell where they all fit; where not, the file name gives way down to FILE_MAX and then the
    title, cut with an ellipsis (at least TITLE_MIN). DataTable puts two cells of padding
    beside each column."""
    widest = [max([len(COLUMNS[i]), *(len(str(row[i])) for row in rows)]) for i in range(5)]
    room = width - sum(widest[1:4]) - 2 * len(COLUMNS)  # for the title and the file name
    if widest[0] + widest[4] > room:
        widest[4] = min(widest[4], max(FILE_MAX, room - widest[0]))
        widest[0] = max(TITLE_MIN, min(widest[0], room - widest[4]))
    return widest



def name_for(title: str, now: datetime) -> str:
    """A session's file name from the month and the incident's title: 2026-11-checkout-outage."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = "-".join(words)[:48].strip("-") or "post-mortem"
    return f"{now:%Y-%m}-{slug}.toml"

class PickerScreen(InConsole, Screen):
    BINDINGS = [
        Binding("n", "new_session", "New session", id="picker.new"),
        Binding("l", "search_log", "Search the log", id="picker.log"),
        Binding("r", "app.review_actions", "Actions in the log", id="picker.review"),
        Binding("v", "review_selected", "Two-week review", id="picker.hold_review", show=False),
        Binding("enter", "open_selected", "Open", id="picker.open", show=False),
    ]

    _rows: list[tuple] = []  # the sessions found, as drawn (replaced, never changed in place)
    _drawn_for: int | None = None  # the width they were drawn for

    DEFAULT_CSS = """
    PickerScreen #where { color: $text-muted; padding: 0 1; }
    PickerScreen #title { text-style: bold; padding: 1 1 0 1; }
    PickerScreen DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("pmconsole — blameless post-mortems", id="title")
        yield Static("", id="where", markup=False)
        table: DataTable = DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield KeysFooter()

    @property
    def folder(self) -> Path:
        return self.app.sessions_dir

    def on_mount(self) -> None:
        keys = key_hint(self, ("picker.new", "new"), ("picker.log", "search the log"),
                        ("picker.review", "every action in the log"),
                        ("picker.hold_review", "holds its two-week review"))
        self.query_one("#where", Static).update(f"Sessions in {self.folder} · Enter opens · {keys}")
        self.load_sessions()

    @work(thread=True, exclusive=True, exit_on_error=False, group="picker")
    def load_sessions(self) -> None:
        rows = []
        files = sorted(self.folder.glob("*.toml"), key=lambda p: p.stat().st_mtime, reverse=True)
        for path in files:
            try:
                s = read_snapshot(path)
            except SessionFileError as err:
                rows.append((f"unreadable: {err.message}", "", "", "", path.name, str(path)))
                continue
            rows.append(
                (
                    s.incident.title,
                    s.local(s.incident.started_at).strftime("%Y-%m-%d"),
                    s.incident.severity,
                    _reached(s.meeting.current_step),
                    path.name,
                    str(path),
                )
            )
        self.app.call_from_thread(self._fill, rows)

    def _fill(self, rows: list[tuple]) -> None:
        self._rows = rows
        table = self.query_one("#sessions", DataTable)
        self._draw_rows(table)
        if not rows:
            self.query_one("#where", Static).update(
                f"No sessions in {self.folder} yet · n starts a new one"
            )
        table.focus()

    def on_resize(self, event) -> None:
        # Only a change of width changes the columns.
        if self._rows and event.size.width != self._drawn_for:
            self._draw_rows(self.query_one("#sessions", DataTable))

    def _draw_rows(self, table: DataTable) -> None:
        """The rows, in columns that fit the screen's width, the cursor kept on its row."""
        rows = self._rows
        width = self._drawn_for = self.size.width
        if len(rows) >= table.size.height:  # the rows and the header do not fit: a scrollbar
            width -= table.scrollbar_size_vertical
        widths = column_widths([cells for *cells, _key in rows], width)
        row = table.cursor_row
        table.clear(columns=True)
        for label, cells in zip(COLUMNS, widths):
            table.add_column(label, width=cells)
        for *cells, key in rows:
            shown = plain_cells(*cells)
            for text in shown:
                text.no_wrap, text.overflow = True, "ellipsis"
            table.add_row(*shown, key=key)
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))
        redraw_when_measured(table)

    @on(DataTable.RowSelected, "#sessions")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self._open(Path(str(event.row_key.value)))

    def action_open_selected(self) -> None:
        path = self._selected()
        if path is not None:
            self._open(path)

    def _selected(self) -> Path | None:
        table = self.query_one("#sessions", DataTable)
        if not table.row_count:
            return None
        return Path(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def _open(self, path: Path) -> bool:
        try:
            read_snapshot(path)
        except SessionFileError as err:
            self.notify(str(err), severity="error", markup=False)
            return False
        self.app.pop_screen()
        self.app.open_session(path)
        return True

    def action_review_selected(self) -> None:
        """Open the session highlighted, and hold its two-week review over its console."""
        path = self._selected()
        if path is None:
            self.notify("No session to review here yet.", markup=False)
            return
        app = self.app
        if self._open(path):
            app.action_hold_review()

    def action_search_log(self) -> None:
        from pmconsole.tui.screens.log import LogScreen

        self.app.push_screen(LogScreen(can_open=True))

    def action_new_session(self) -> None:
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)

        def parse_time(text: str) -> datetime:
            try:
                value = datetime.fromisoformat(text.strip())
            except ValueError:
                raise ValueError("write a time like 2026-11-23 14:32 (UTC) or with +01:00") from None
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

        def file_name(text: str) -> str:
            name = text.strip()
            if not name:
                return ""  # made from the date and the title when the form is saved
            if "/" in name or name.startswith("."):
                raise ValueError("a plain file name, without folders")
            return name if name.endswith(".toml") else name + ".toml"

        made: list[Path] = []  # the file the form's check created

        def check(values) -> list[tuple[str, str]]:
            """Build the session and write its file; what stops either is shown beside the
            field it is about (a time out of range, a name too long, a full disk), and the
            form stays open with everything typed."""
            try:
                incident = Incident(
                    title=values["title"],
                    started_at=values["started"],
                    resolved_at=values["ended"],
                )
            except ValidationError as err:
                fields = {"started_at": "started", "resolved_at": "ended"}
                return [
                    (fields.get(str(e["loc"][0]) if e["loc"] else "", "title"),
                     str(e["msg"]).removeprefix("Value error, "))
                    for e in err.errors()
                ]
            session = Session(
                incident=incident,
                meeting=Meeting(
                    scheduled_at=now,
                    planned_minutes=self.app.settings.planned_minutes,
                    statement=self.app.settings.statement,
                ),
            )
            path = self.folder / (values["file"] or name_for(values["title"], now))
            try:
                create_session(path, session)
            except SessionFileError as err:
                return [("file", err.message)]  # the name is in the field above it
            made.append(path)
            return []

        def created(values):
            if values and made:
                self._open(made[-1])

        self.app.push_screen(
            RecordForm(
                "New post-mortem",
                [
                    FormField("title", "Incident title", parse=required("A title")),
                    FormField("file", "File name (empty: made from the month and the title)",
                              parse=file_name),
                    FormField("started", "Incident started (UTC)",
                              (now - timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
                              parse=parse_time, replaces=True),
                    FormField("ended", "Incident ended (UTC)",
                              (now - timedelta(days=2, hours=-2)).strftime("%Y-%m-%d %H:%M"),
                              parse=parse_time, replaces=True),
                ],
                check=check,
            ),
            created,
        )


