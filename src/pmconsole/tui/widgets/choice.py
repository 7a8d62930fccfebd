"""One of a few fixed choices, all of them on one line: the incident's severity.

With four choices a drop-down hides three of them behind a key press; here they are all in
sight, the chosen one marked. Left and right change the choice, a click picks one. It is one
widget drawing one line of text, where Textual's Select is five, which the first screen of a
post-mortem notices."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

CHOSEN_STYLE = "bold reverse"
HINT = "  ← → to change"


class ChoiceBar(Widget, can_focus=True):
    """Shows ``choices`` with ``value`` marked; posts ``ChoiceBar.Changed`` when the user
    picks another. ``show_value`` sets it from the model without a message."""

    DEFAULT_CSS = """
    ChoiceBar { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    ChoiceBar:focus { background-tint: $foreground 5%; }
    """

    BINDINGS = [
        Binding("left", "move(-1)", "Previous choice", show=False),
        Binding("right", "move(1)", "Next choice", show=False),
    ]

    class Changed(Message):
        """The user picked ``value``."""

        def __init__(self, choice_bar: ChoiceBar, value: str) -> None:
            super().__init__()
            self.choice_bar = choice_bar
            self.value = value

        @property
        def control(self) -> ChoiceBar:
            return self.choice_bar

    def __init__(self, choices: tuple[str, ...], value: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self.value = value

    def show_value(self, value: str) -> None:
        """Mark ``value`` as the choice, as the session says (no Changed message)."""
        if value != self.value:
            self.value = value
            self.refresh()

    def _pick(self, value: str) -> None:
        if value != self.value:
            self.value = value
            self.refresh()
            self.post_message(self.Changed(self, value))

    def action_move(self, step: int) -> None:
        if self.value in self.choices:
            at = self.choices.index(self.value)
        else:  # nothing chosen yet: right starts at the first, left at the last
            at = -1 if step > 0 else 0
        self._pick(self.choices[(at + step) % len(self.choices)])

    def _spans(self) -> list[tuple[int, int, str]]:
        """Where each choice is drawn: start, end, choice."""
        spans, x = [], 0
        for choice in self.choices:
            spans.append((x, x + len(choice) + 2, choice))
            x += len(choice) + 3
        return spans

    def render(self) -> Content:
        parts = [
            Content(f" {choice} ").stylize(CHOSEN_STYLE) if choice == self.value
            else Content(f" {choice} ")
            for choice in self.choices
        ]
        line = Content(" ").join(parts)
        if self.has_focus:
            line += Content(HINT).stylize("dim")
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, choice in self._spans():
            if start <= event.x < end:
                self._pick(choice)
                return

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
