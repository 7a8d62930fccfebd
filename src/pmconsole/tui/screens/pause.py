"""The blame pause: the whole screen says the meeting is paused, until it is resumed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from pmconsole.tui.in_console import InConsole

BANNER = "MEETING PAUSED"
REASON = (
    "We heard blame. Let's reset to facts and systems:\n"
    "what conditions made this possible, not who did it."
)


class PauseScreen(InConsole, ModalScreen[None]):
    DEFAULT_CSS = """
    PauseScreen { align: center middle; background: $background 85%; }
    PauseScreen > Vertical {
        width: 90%; height: auto; border: double $error; background: $error 20%;
        padding: 1 2; align-horizontal: center;
    }
    PauseScreen .banner { text-style: bold; color: $text; width: 100%; text-align: center; }
    PauseScreen .reason { width: 100%; text-align: center; padding: 1 0; }
    PauseScreen .keys { width: 100%; text-align: center; color: $text-muted; }
    """

    BINDINGS = [Binding("f2", "resume", "Resume", id="pmconsole.resume", priority=True)]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_big(BANNER), classes="banner", markup=False)
            yield Static(REASON, classes="reason", markup=False)
            yield Static("All timers are stopped. F2 resumes the meeting.", classes="keys")

    def action_resume(self) -> None:
        meeting = self.app.meeting
        if meeting is not None and meeting.paused:
            meeting.toggle_pause()
            self.app.announce(frozenset({"pauses"}), local=True)
        self.dismiss(None)


def _big(text: str) -> str:
    """Letters spaced out, three lines tall with a rule above and below: readable on a
    shared screen without a font of our own."""
    spaced = "  ".join(text)
    rule = "━" * len(spaced)
    return f"{rule}\n{spaced}\n{rule}"
