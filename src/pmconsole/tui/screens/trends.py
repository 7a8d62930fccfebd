"""The Trends screen: is the team getting better? The figures of `pmconsole log stats`
(domain/trends.py) drawn for a team that would rather look than read, and written out below.

Plots come from textual-plotext (Textualize's widget for plotext). This module is imported only
when the screen is opened from the command palette: the plotting library costs ~55 ms, which
the console's start must not pay. The log is read in a worker thread, never on the UI thread.
"""

from __future__ import annotations

from datetime import datetime, timezone

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from pmconsole.domain.model import SEVERITY_LEVELS
from pmconsole.domain.text import clean_text
from pmconsole.domain.trends import DURATIONS, Trends, describe, trends
from pmconsole.storage.log_sessions import read_log
from pmconsole.storage.toml_file import SessionFileError
from pmconsole.tui.in_console import InConsole
from pmconsole.tui.widgets.keys_footer import KeysFooter

PLOTS = ("by-month", "durations", "actions", "conditions")


class TrendsScreen(InConsole, Screen):
    """Trends across every post-mortem of the sessions folder."""

    BINDINGS = [Binding("escape", "close", "Back", id="trends.close")]
    DEFAULT_CSS = """
    TrendsScreen #status { color: $text-muted; padding: 0 1; }
    TrendsScreen Grid { grid-size: 2; grid-rows: 14; height: auto; }
    TrendsScreen PlotextPlot { height: 14; }
    TrendsScreen #figures { padding: 1 1; }
    """

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__()
        self.now = now  # None: the time the log is read
        self.figures: Trends | None = None

    def compose(self) -> ComposeResult:
        yield Static("Reading the post-mortem log…", id="status", markup=False)
        with VerticalScroll():
            with Grid():
                for name in PLOTS:
                    yield PlotextPlot(id=name)
            yield Static("", id="figures", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="trends")
    def load(self) -> None:
        now = self.now or datetime.now(timezone.utc)
        try:
            contents = read_log(self.app.sessions_dir)
        except SessionFileError as err:
            self.app.call_from_thread(self._failed, str(err))
            return
        figures = trends((s.session for s in contents.sessions), now,
                         [(str(p), e) for p, e in contents.unreadable])
        self.app.call_from_thread(self._show, figures)

    def _failed(self, reason: str) -> None:
        self.query_one("#status", Static).update(reason)

    def _show(self, t: Trends) -> None:
        self.figures = t
        unreadable = f" · {len(t.unreadable)} unreadable, not counted" if t.unreadable else ""
        self.query_one("#status", Static).update(f"{t.incidents} post-mortems{unreadable}")
        months = list(t.by_month)

        def draw(name: str, title: str, paint) -> None:
            widget = self.query_one(f"#{name}", PlotextPlot)
            plt = widget.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            if months:
                paint(plt)
            widget.refresh()

        draw("by-month", "Incidents per month by severity", lambda plt: plt.stacked_bar(
            months, [[t.by_month[m][s] for m in months] for s in SEVERITY_LEVELS],
            labels=list(SEVERITY_LEVELS)))
        draw("durations", "Median minutes from the start", lambda plt: plt.multiple_bar(
            months, [[t.durations_by_month[m][d].median or 0 for m in months] for d in DURATIONS],
            labels=[f"to {d}" for d in DURATIONS]))
        a = t.actions
        draw("actions", "Actions", lambda plt: plt.bar(
            ["on time", "late", "open", "overdue", "dropped"],
            [a.done_on_time, a.done_late, a.open, a.overdue, a.dropped]))
        draw("conditions", "Conditions by category", lambda plt: plt.bar(
            list(t.conditions), list(t.conditions.values()), orientation="horizontal", width=0.5))
        # File names in the unreadable list may carry terminal sequences: cleaned as typed text.
        self.query_one("#figures", Static).update(clean_text("\n".join(describe(t))))

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "trends")

    def action_close(self) -> None:
        self.app.pop_screen()
