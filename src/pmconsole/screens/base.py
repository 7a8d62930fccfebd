"""What every step view has: its step number, and a redraw from the model."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Select
from textual.widgets.select import InvalidSelectValueError

from ..model import Session
from ..widgets.fields import BoundInput, BoundTextArea


class StepView(VerticalScroll):
    """One step of the meeting. Subclasses redraw from the session in ``show_session``."""

    DEFAULT_CSS = """
    StepView { padding: 0 1; }
    StepView .section { text-style: bold; color: $accent; padding: 1 0 0 0; }
    StepView .hint { color: $text-muted; }
    StepView .row { height: 1; margin: 0 0 1 0; }
    StepView .row > Label { width: 16; }
    StepView .row > Input, StepView .row > Select { width: 1fr; background: $boost; }
    StepView DataTable { height: auto; max-height: 16; }
    """

    step: ClassVar[int]
    ready = False  # set once composed and mounted: redraws before that find no widgets
    # The collections whose changes this view shows; others do not make it redraw.
    watches: ClassVar[frozenset[str]] = frozenset()

    @property
    def session(self) -> Session:
        return self.app.store.session  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.ready = True
        self.show_session(None)
        if self.display:
            self.call_after_refresh(self.take_focus)  # the first step shown: nothing has focus

    def take_focus(self) -> None:
        """Focus this step's first control, so its keys work as soon as it is shown."""
        for widget in self.query("*"):
            if widget.focusable and widget is not self:
                widget.focus()
                return
        self.focus()

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        """Redraw from the model. ``changed`` names what changed (None: everything).
        Subclasses call this first: it refreshes every bound input of the view."""
        session = self.session
        for field in self.query(BoundInput):
            field.show_value(session)
        for area in self.query(BoundTextArea):
            area.show_value(session)

    def edit(self, *ops) -> bool:
        return self.app.edit(*ops)  # type: ignore[attr-defined]


def field_row(label: str, widget) -> ComposeResult:
    """A label and its input on one line."""
    with Horizontal(classes="row"):
        yield Label(label, markup=False)
        yield widget


def set_select(select: Select, value) -> None:
    """Show a value in a Select without it counting as the user's choice."""
    wanted = value if value is not None else Select.NULL
    if select.value != wanted:
        with select.prevent(Select.Changed):
            try:
                select.value = wanted
            except InvalidSelectValueError:
                select.value = Select.NULL  # someone no longer on the roster: no choice shown
