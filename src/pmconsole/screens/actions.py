"""Step 7, Actions: 3-5 concrete actions, never more than seven open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from .base import StepView
from .records import actions_text


class ActionsStep(StepView):
    step = 7
    watches = frozenset({"actions"})

    def compose(self) -> ComposeResult:
        yield Static("Action items", classes="section")
        yield Static("", id="actions", markup=False)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        self.query_one("#actions", Static).update(actions_text(self.session))
