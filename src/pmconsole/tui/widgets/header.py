"""The header that is always on screen: step N of 7, the learning question, the meeting clock
("not started" until the facilitator starts the meeting), the save state, and whether another
pane has the session open."""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.widget import Widget

from pmconsole.domain.meeting import meeting_clock
from pmconsole.domain.model import STEP_NAMES, WRAP_UP
from pmconsole.domain.text import clean_text
from pmconsole.tui.in_console import InConsole


def step_title(step: int) -> str:
    if step >= WRAP_UP:
        return "Wrap-up"
    return f"Step {step} of {len(STEP_NAMES)} · {STEP_NAMES[step - 1]}"


class MeetingHeader(InConsole, Widget):
    """Two lines: the step and the question (or title) on the left, cut short with an ellipsis
    where they would run into the right side, which holds the meeting clock, the save state and
    the other pane. One widget drawing two lines: it is on every first screen and redrawn four
    times a second."""

    DEFAULT_CSS = """
    MeetingHeader {
        height: 2; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    MeetingHeader.-paused { background: $error; }
    """

    _left: tuple[str, str] = ("", "")
    _right: tuple[str, str] = ("", "")

    def shown(self) -> tuple[tuple[str, str], tuple[str, str]]:
        """The left lines and the right lines."""
        return self._left, self._right

    def render(self) -> Content:
        width = self.content_size.width
        lines = []
        for left, right in zip(self._left, self._right):
            # Each line gives way to its own right side only: the other pane's long name on
            # the second line must not cut PAUSED on the first.
            right_width = cell_len(right)
            room = max(width - right_width - (2 if right_width else 0), 0)
            shown = Content(left).truncate(room, ellipsis=True)
            # In a window narrower than the right side, that side is cut too, never wrapped.
            right_shown = Content(right).truncate(width, ellipsis=True)
            gap = max(width - shown.cell_length - right_shown.cell_length, 0)
            lines.append((shown + " " * gap + right_shown).truncate(width, ellipsis=True))
        return Content("\n").join(lines)

    def show_meeting(self, *, step: int, watch_role: str, label: str) -> None:
        """Redraw from the app's session, store and clock; ``watch_role`` is the other pane
        whose presence is shown, ``label`` names it. The meeting clock is read from the record
        (meeting.meeting_clock), so every pane of the session shows the same time."""
        app = self.app
        store = app.session_store
        session = store.session
        connected = "connected" if watch_role in store.other_panes() else "—"
        clock = meeting_clock(session, app.clock.now())
        self.show(
            step=step,
            title=session.incident.title,
            question=session.question.text,
            clock=clock.text(session.meeting.planned_minutes),
            save_state=app.save_state(),
            panes=f"{label}: {connected}",
            paused=clock.state == "paused",
        )

    def show(
        self,
        *,
        step: int,
        title: str,
        question: str,
        clock: str,
        save_state: str,
        panes: str,
        paused: bool,
    ) -> None:
        # PAUSED first, so that however narrow the window, the room sees it.
        first = ("‖ PAUSED · " if paused else "") + step_title(step)
        second = f"? {question}" if question.strip() else title
        # One line each: a line break in a title or question must not push the header down.
        left = (first, clean_text(second, multiline=False))
        right = (f"{clock}  {save_state}", panes)
        if (left, right) != (self._left, self._right):
            self._left, self._right = left, right
            self.refresh()
        self.set_class(paused, "-paused")
