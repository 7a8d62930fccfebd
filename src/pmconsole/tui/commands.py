"""The commands of the command palette (Ctrl+P): those of Textual, the screens over the log,
and, with a session open, the steps of the meeting, its clock, the blame pause and every export
format."""

from __future__ import annotations

from typing import Iterable

from textual.app import SystemCommand
from textual.screen import Screen

from pmconsole.domain.model import STEP_NAMES, WRAP_UP



class PaletteCommands:
    """A mixin of PmConsole: what the palette offers."""

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Search the post-mortem log", "Past post-mortems by words and tags",
            self.action_search_log,
        )
        yield SystemCommand(
            "Actions in the log", "Open and overdue actions across all post-mortems",
            self.action_review_actions,
        )
        yield SystemCommand(
            "Trends across post-mortems", "Detection and recovery times, actions on time, "
            "conditions by category", self.action_show_trends,
        )
        if self.meeting is None:
            return
        console = self.console_screen()
        if console is None:
            return
        for number, name in enumerate(STEP_NAMES, start=1):
            yield SystemCommand(
                f"Step {number}: {name}",
                f"Go to step {number} of the meeting",
                lambda n=number: console.go_to(n),
            )
        yield SystemCommand(
            "Start the meeting",
            "Start the meeting clock now (again on step 1, asked first)",
            console.action_start_meeting,
        )
        yield SystemCommand(
            "End the meeting", "Stop the meeting clock and go to the wrap-up",
            console.action_end_meeting,
        )
        yield SystemCommand("Wrap-up", "Go to the wrap-up", lambda: console.go_to(WRAP_UP))
        yield SystemCommand(
            "Two-week review", "Walk this post-mortem's actions: a status and a note for "
            "each, the review held, the progress report written", self.action_hold_review,
        )
        yield SystemCommand(
            "Blame pause", "Pause (or resume) the whole meeting", console.action_pause
        )
        from pmconsole.exporters import FORMATS

        for form in FORMATS.values():
            yield SystemCommand(
                f"Export {form.name.upper()}", form.description[:1].upper() + form.description[1:],
                lambda f=form.name: console.export(f),
            )
