"""What every step view has: its step number, and a redraw from the model."""

from __future__ import annotations

from typing import Callable, ClassVar

from textual.app import ComposeResult
from textual.compose import compose
from textual.containers import Grid, VerticalScroll
from textual.widget import Widget
from textual.widgets import Select, Static
from textual.widgets.select import InvalidSelectValueError

from pmconsole.domain.model import Session
from pmconsole.tui.widgets.fields import BoundInput
from pmconsole.tui.in_console import InConsole


class StepView(InConsole, VerticalScroll, can_focus=False):
    """One step of the meeting. Subclasses redraw from the session in ``show_session``.

    The step's scroll area is not in the Tab order: Shift+Tab from a step's first field goes
    round to its last control (on step 1 the related post-mortems, then the roster), not to
    the area holding them; it scrolls with the focus, and Page Up/Down reach it from a field."""

    DEFAULT_CSS = """
    StepView { padding: 0 1; }
    StepView .section { text-style: bold; color: $accent; padding: 1 0 0 0; }
    StepView .hint { color: $text-muted; }
    StepView .fields {
        grid-size: 2; grid-columns: 16 1fr; grid-rows: 1; grid-gutter: 1 0;
        height: auto; margin: 0 0 1 0;
    }
    /* A label never wraps: its line must stay beside its field. */
    StepView .fields > .field-labels { text-wrap: nowrap; text-overflow: ellipsis; }
    StepView .fields > Input, StepView .fields > Select, StepView .fields > ChoiceBar {
        background: $boost;
    }
    StepView DataTable { height: auto; max-height: 16; }
    """

    step: ClassVar[int]
    # The control that takes the focus when the step is shown, when it is not the first one:
    # on a step with a list above a text to write, typing goes to the text, never to the
    # list's one-letter keys (x removes).
    FIRST_CONTROL: ClassVar[str] = ""
    ready = False  # set once composed and mounted: redraws before that find no widgets
    # Set once the parts below the first screenful are mounted too (see compose_below).
    complete = False
    # The collections whose changes this view shows; others do not make it redraw.
    watches: ClassVar[frozenset[str]] = frozenset()

    @property
    def session(self) -> Session:
        return self.app.session_store.session

    def compose_below(self) -> ComposeResult:
        """The parts of the view below its first screenful at 80×24. When the view is the
        console's first screen they are mounted just after it is drawn, so the facilitator
        sees the top of the step sooner; a view opened later has them one refresh after it."""
        return ()

    def on_mount(self) -> None:
        self.ready = True
        self.show_session(None)
        if self.display:
            self.take_focus()  # shown as it is mounted: its first control, before it is drawn
        self.app.after_first_screen(self._mount_below)

    async def _mount_below(self) -> None:
        if not self.is_attached:
            return
        below = compose(self, self.compose_below())
        if below:
            await self.mount_all(below)
            if not all(widget.is_attached for widget in below):
                return  # the console closed while they were mounted (Ctrl+Q at once)
        self.complete = True
        if below:
            self.show_session(None)
        # The view stays for as long as the console runs: once drawn, the collector need not
        # walk it again.
        self.call_after_refresh(self.app.set_aside_what_lasts)

    def take_focus(self) -> None:
        """Focus this step's first control, so its keys work as soon as it is shown. The step
        stays scrolled to its top: what the facilitator reads first comes first. Does nothing
        once the step is hidden again (F4 then F3 at once): typing is for the step shown; nor
        before the step is mounted, which takes the focus itself then (on_mount)."""
        if not (self.ready and self.display):
            return
        first = self.query(self.FIRST_CONTROL) if self.FIRST_CONTROL else ()
        if first and first.first().focusable:
            self.screen.set_focus(first.first(), scroll_visible=False)
            return
        for widget in self.query("*"):
            if widget.focusable:
                self.screen.set_focus(widget, scroll_visible=False)
                return
        from pmconsole.tui.keys import AwaitsFocus

        if isinstance(self.screen, AwaitsFocus):
            self.screen.stop_awaiting()  # nothing here takes the focus: keys act at once

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        """Redraw from the model. ``changed`` names what changed (None: everything).
        Subclasses call this first: it refreshes every bound input of the view."""
        session = self.session
        for field in self.query(BoundInput):
            field.show_value(session)
        for area in self.query("BoundTextArea"):  # by name: TextArea is imported only when used
            area.show_value(session)  # type: ignore[attr-defined]

    def edit(self, *ops, guard=None) -> bool:
        return self.app.edit(*ops, guard=guard)

    def removed(self, what: str, bring_back: Callable[[], object]) -> None:
        """Say what one key just removed, and keep how to bring it back: z does (App.did).
        What comes back goes at the end of its list."""
        self.app.did(what, bring_back)

    def refuse_key(self, why: str) -> None:
        """A key that cannot do what it is for here: say why; the keys typed right after it
        do nothing either (keys.py)."""
        self.notify(why, severity="warning", markup=False)
        self.app.keys.refuse_burst()


def field_rows(*rows: tuple[str, Widget]) -> ComposeResult:
    """Labels and their inputs, one pair to a line, in one grid. The labels are one text down
    the first column, a line apart as the grid's rows are: a widget for each label (or a
    container for each line) costs the first screen a widget per field."""
    with Grid(classes="fields"):
        labels = Static("\n\n".join(label for label, _ in rows), markup=False,
                        classes="field-labels")
        labels.styles.row_span = len(rows)
        yield labels
        for _label, widget in rows:
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
