"""The post-mortem log in the console: search by words and tags, and a past post-mortem's
factors and actions one key away."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Static

from pmconsole.storage.log_index import Hit, LogQueryError, PostMortemLog, index_path_for
from pmconsole.domain.model import counted
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import SessionFileError
from pmconsole.tui.widgets import plain_cells, redraw_when_measured
from pmconsole.tui.widgets.fields import CleanInput
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.screens.records import actions_text
from pmconsole.tui.in_console import InConsole


def past_text(path: Path) -> Text:
    """A past post-mortem in brief: question, factors by category, actions."""
    try:
        session = read_snapshot(path)
    except SessionFileError as err:
        return Text(str(err))
    out = Text()
    out.append(session.incident.title + "\n", "bold")
    out.append(f"{session.local(session.incident.started_at):%Y-%m-%d} · "
               f"{session.incident.severity} · {', '.join(session.incident.tags)}\n\n")
    if session.question.text:
        out.append("Question: ", "bold")
        out.append(session.question.text + "\n\n")
    out.append("Contributing factors\n", "bold")
    for factor in session.factors:
        out.append(f"  [{factor.category or '—'}] ", "dim")
        out.append(factor.text + "\n")
    out.append("\nActions\n", "bold")
    out.append(actions_text(session) + "\n")
    return out


class PastPostMortem(ModalScreen[None]):
    DEFAULT_CSS = """
    PastPostMortem { align: center middle; }
    PastPostMortem VerticalScroll {
        width: 100; max-width: 100%; height: 90%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q", "close", "Close", id="past.close")]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(f"Reading {self.path.name} …", id="past", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="past")
    def _read(self) -> None:
        """The file is read in a thread: the console never waits on the disk."""
        text = past_text(self.path)
        self.app.call_from_thread(self.query_one("#past", Static).update, text)

    def action_close(self) -> None:
        self.dismiss(None)


def fill_hits(table: DataTable, hits: list[Hit]) -> None:
    table.clear()
    for hit in hits:
        if hit.error:
            table.add_row(*plain_cells("", "unreadable", hit.error, ""), key=hit.path)
        else:
            table.add_row(
                *plain_cells(hit.started_at[:10], hit.severity, hit.title, " ".join(hit.tags)),
                key=hit.path,
            )


class LogScreen(InConsole, Screen):
    """Search past post-mortems; Enter shows one."""

    index: PostMortemLog | None = None  # opened by the first search, kept while the screen is

    BINDINGS = [
        Binding("escape", "close", "Back", id="log.close"),
        Binding("o", "open_session", "Open", id="log.open"),
    ]
    DEFAULT_CSS = """
    LogScreen #filters { height: 1; margin: 1 1 0 1; }
    LogScreen #filters Input { width: 1fr; background: $boost; }
    LogScreen #status { color: $text-muted; padding: 0 1; }
    LogScreen #snippet { color: $text-muted; padding: 0 1; height: 2; }
    LogScreen DataTable { height: 1fr; }
    """

    def __init__(self, *, can_open: bool = False) -> None:
        super().__init__()
        self.can_open = can_open
        self.hits: list[Hit] = []
        self._searching = threading.Lock()
        self._closed = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield CleanInput(placeholder="words, \"a phrase\", OR, NOT, prefix*", id="query",
                        compact=True)
            yield CleanInput(placeholder="tags, comma-separated", id="tags", compact=True)
        yield Static("Indexing the post-mortem log…", id="status", markup=False)
        table: DataTable = DataTable(id="hits", cursor_type="row", zebra_stripes=True)
        table.add_columns("Incident", "Severity", "Title", "Tags")
        yield table
        yield Static("", id="snippet", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self._search()

    @on(Input.Changed)
    def _typed(self) -> None:
        self._search()

    def _search(self) -> None:
        """Search for what the two fields say now (read here: the search runs in a thread)."""
        query = self.query_one("#query", Input).value
        tags = tuple(t.strip() for t in self.query_one("#tags", Input).value.split(",")
                     if t.strip())
        self.run_search(query, tags)

    @on(Input.Submitted)
    def _to_results(self) -> None:
        self.query_one("#hits", DataTable).focus()

    @work(thread=True, exclusive=True, exit_on_error=False, group="log-search")
    def run_search(self, query: str, tags: tuple[str, ...]) -> None:
        # One search at a time on the one index: a search a newer letter cancelled still runs
        # to its end in its thread, and its results are not shown.
        with self._searching:
            if self._closed:
                return
            try:
                if self.index is None:
                    self.index = PostMortemLog(self.app.sessions_dir)
                # Each letter typed searches again; the files are checked at most once a second.
                report = self.index.update(max_age=1.0)
                hits = self.index.search(query, tags=tags)
                status = f"{sum(not h.error for h in hits)} post-mortems"
                if report.indexed:
                    status += f" · {report.indexed} indexed just now"
            except LogQueryError as err:
                hits, status = [], str(err)
            except (OSError, sqlite3.Error) as err:
                reason = getattr(err, "strerror", None) or str(err)
                hits, status = [], (f"{index_path_for(self.app.sessions_dir)}: the post-mortem "
                                    f"log's index cannot be read or written: {reason}")
        if self._closed:  # the screen went while this ran, and could not close the index
            with self._searching:
                self._close_index()
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, hits, status)

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "log-search")
        # Closed here, or by the search still running (a cold build can take seconds): the
        # console never waits for it.
        self._closed = True
        if self._searching.acquire(blocking=False):
            try:
                self._close_index()
            finally:
                self._searching.release()

    def _close_index(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def _show(self, hits: list[Hit], status: str) -> None:
        self.hits = hits
        self.query_one("#status", Static).update(status)
        fill_hits(self.query_one("#hits", DataTable), hits)
        redraw_when_measured(self.query_one("#hits", DataTable))

    @on(DataTable.RowHighlighted, "#hits")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        hit = next((h for h in self.hits if h.path == event.row_key.value), None)
        self.query_one("#snippet", Static).update(hit.snippet if hit else "")

    @on(DataTable.RowSelected, "#hits")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(PastPostMortem(Path(str(event.row_key.value))))

    def action_open_session(self) -> None:
        table = self.query_one("#hits", DataTable)
        if not self.can_open or not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.app.pop_screen()  # this screen
        self.app.pop_screen()  # the picker
        self.app.open_session(Path(str(key)))

    def action_close(self) -> None:
        self.app.pop_screen()


class ActionsReviewScreen(InConsole, Screen):
    """Every action in the log, for the follow-up review across post-mortems:, overdue first; o shows only open,
    d only overdue."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="review.close"),
        Binding("o", "only('open')", "Open only", id="review.open"),
        Binding("d", "only('overdue')", "Overdue only", id="review.overdue"),
        Binding("a", "only('all')", "All", id="review.all"),
    ]
    DEFAULT_CSS = """
    ActionsReviewScreen #status { padding: 0 1; text-style: bold; }
    ActionsReviewScreen DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.only = "open"

    def compose(self) -> ComposeResult:
        yield Static("Actions in the log: looking at the post-mortem log…", id="status",
                     markup=False)
        table: DataTable = DataTable(id="review", cursor_type="row", zebra_stripes=True)
        table.add_columns("Due", "Overdue", "Status", "Owner", "Action", "Post-mortem")
        yield table
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    def action_only(self, which: str) -> None:
        self.only = which
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="review")
    def load(self) -> None:
        log = PostMortemLog(self.app.sessions_dir)
        try:
            log.update()
            rows = log.actions(self.app.clock.now())
        finally:
            log.close()
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        if self.only == "open":
            rows = [r for r in rows if r.status == "open"]
        elif self.only == "overdue":
            rows = [r for r in rows if r.days_overdue > 0]
        rows = sorted(rows, key=lambda r: (-r.days_overdue, r.due or "9999"))
        overdue = sum(r.days_overdue > 0 for r in rows)
        self.query_one("#status", Static).update(
            f"Actions in the log ({self.only}): {counted(len(rows), 'action')}, {overdue} overdue "
            "· o open · d overdue · a all · Escape back"
        )
        table = self.query_one("#review", DataTable)
        table.clear()
        for r in rows:
            late = counted(r.days_overdue, "day") if r.days_overdue else ""
            table.add_row(*plain_cells(r.due or "—", late, r.status, r.owner, r.title,
                                       r.session_title))
        redraw_when_measured(table)

    def action_close(self) -> None:
        self.app.pop_screen()
