"""The header that is always on screen: step N of 7, the learning question, the meeting clock,
the save state, and whether another pane has the session open."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ..clock import format_clock
from ..model import STEP_NAMES, WRAP_UP
from . import show_text


def step_title(step: int) -> str:
    if step >= WRAP_UP:
        return "Wrap-up"
    return f"Step {step} of {len(STEP_NAMES)} · {STEP_NAMES[step - 1]}"


class MeetingHeader(Horizontal):
    DEFAULT_CSS = """
    MeetingHeader { height: 2; background: $panel; padding: 0 1; }
    MeetingHeader > #left { width: 1fr; height: 2; }
    MeetingHeader > #right { width: auto; height: 2; text-align: right; }
    MeetingHeader.-paused { background: $error; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="left", markup=False)
        yield Static("", id="right", markup=False)

    def show_meeting(self, *, step: int, elapsed: float, watch_role: str, label: str) -> None:
        """Redraw from the app's session and store; ``watch_role`` is the other pane whose
        presence is shown, ``label`` names it."""
        app = self.app
        store = app.store  # type: ignore[attr-defined]
        session = store.session
        connected = "connected" if watch_role in store.other_panes() else "—"
        self.show(
            step=step,
            title=session.incident.title,
            question=session.question.text,
            elapsed=elapsed,
            planned_minutes=session.meeting.planned_minutes,
            save_state=app.save_state(),  # type: ignore[attr-defined]
            panes=f"{label}: {connected}",
            paused=app.meeting.paused if app.meeting else False,  # type: ignore[attr-defined]
        )

    def show(
        self,
        *,
        step: int,
        title: str,
        question: str,
        elapsed: float,
        planned_minutes: int,
        save_state: str,
        panes: str,
        paused: bool,
    ) -> None:
        first = step_title(step) + ("   ‖ PAUSED" if paused else "")
        second = f"? {question}" if question.strip() else title
        show_text(self.query_one("#left", Static), f"{first}\n{second}", layout=False)
        clock = f"{format_clock(elapsed).lstrip('+')} / {planned_minutes:02d}:00"
        show_text(self.query_one("#right", Static), f"{clock}  {save_state}\n{panes}")
        self.set_class(paused, "-paused")
