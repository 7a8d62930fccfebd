"""Step 5, Timeline: the structured reconstruction, 15-25 minutes, minute by minute."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from pmconsole.tui.screens.timeline_panel import TimelinePanel
from pmconsole.tui.screens.base import StepView


class TimelineStep(StepView):
    step = 5
    watches = frozenset({"timeline", "incident"})

    DEFAULT_CSS = """
    TimelineStep { overflow-y: hidden; }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            "Mark alerts, actions and decisions; keep observed facts apart from interpretations.",
            classes="hint",
        )
        yield TimelinePanel(gap_minutes=self.app.settings.gap_minutes)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        self.query_one(TimelinePanel).show_session()
