"""Step 6, Contributing factors: for each major event, the conditions that enabled it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from .base import StepView
from .records import factors_text


class FactorsStep(StepView):
    step = 6
    watches = frozenset({"factors", "timeline", "participants"})

    def compose(self) -> ComposeResult:
        yield Static("Conditions, not culprits", classes="section")
        yield Static("", id="factors", markup=False)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        self.query_one("#factors", Static).update(factors_text(self.session))
