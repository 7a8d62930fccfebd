"""What every step view has: its step number, and a redraw from the model."""

from __future__ import annotations

from typing import Callable, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.compose import compose
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Select, Static
from textual.widgets.select import InvalidSelectValueError

from ..model import Session
from ..widgets.fields import BoundInput


# Keys kept for a control about to take the focus; more than this is not typing.
TYPEAHEAD_LIMIT = 1000
# How long keys wait for that control at most. It takes ~0.3 s at start; should it never come,
# the keys are then handled as if nothing were waiting, and the keyboard is never held.
FOCUS_WAIT = 2.0


class KeepsEarlyTyping(Screen):
    """A screen whose control takes the focus a moment after it is shown: the console's step
    once mounted, the notes pane's text once composed. Keys that reach the screen while nothing
    has the focus and that control has not yet taken it are kept, and given to the control once
    it has, in the order typed: text, Backspace, Enter, Tab alike. Without this, what a
    note-taker or facilitator typed right after starting (about 0.3 s) reached no control and
    was lost.

    The keys bound with priority (the step keys, the blame pause, Quit) never wait: Textual
    acts on them before the screen sees them. The kept keys reach the control as one burst;
    a one-line field (KeysInOrder) acts on Backspace and Tab in it in the order typed, a text
    box (the summary, the notes) as Textual does: Backspace after the text behind it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._focus_pending = True  # a new screen: its control has not taken the focus yet
        self._typed_early: list[tuple[str, str | None]] = []
        self._wait_timer: Timer | None = None

    def on_mount(self) -> None:
        if self._focus_pending and self._wait_timer is None:
            self._wait_timer = self.set_timer(FOCUS_WAIT, self.stop_waiting)

    def expect_focus(self) -> None:
        """A control is about to take the focus (a step is being shown): until it does,
        nothing has it, and keys wait for it."""
        self._focus_pending = True
        self.set_focus(None)
        self._stop_timer()  # a wait already under way starts again; what it kept stays
        self._wait_timer = self.set_timer(FOCUS_WAIT, self.stop_waiting)

    def _stop_timer(self) -> None:
        if self._wait_timer is not None:
            self._wait_timer.stop()
            self._wait_timer = None

    def _end_waiting(self) -> list[events.Key]:
        """Stop waiting for a control: the keys kept meanwhile, to be given to someone."""
        self._focus_pending = False
        self._stop_timer()
        typed, self._typed_early = self._typed_early, []
        return [events.Key(key, character) for key, character in typed]

    def stop_waiting(self) -> None:
        """No control is taking the focus after all: the kept keys act as if nothing had
        waited (bindings, help, …)."""
        if self._focus_pending:
            for key in self._end_waiting():  # from the top, as if just typed
                self.app.post_message(key)

    def _forward_event(self, event: events.Event) -> None:
        # Textual gives the screen a key when nothing has the focus, once its priority bindings
        # have passed on it. Kept here, at that moment in the app's own order of events, a key
        # can never fall between this screen and a control that has just taken the focus.
        if not (isinstance(event, events.Key) and self.keep(event)):
            super()._forward_event(event)

    def keep(self, event: events.Key) -> bool:
        """Keep a key for the control about to take the focus; False when none is awaited.
        The app gives this too a key that went to the control focused a moment before (the
        list whose "a" opened this form) and that it did not use."""
        if not (self._focus_pending and self.focused is None):
            return False
        if len(self._typed_early) < TYPEAHEAD_LIMIT:
            key, character = event.key, event.character
            if key == "ctrl+j":
                # Typed before the console set the terminal up, Enter reaches it as the
                # terminal had turned it: a line feed.
                key, character = "enter", "\r"
            self._typed_early.append((key, character))
        return True

    def set_focus(self, widget: Widget | None, *args, **kwargs) -> None:
        super().set_focus(widget, *args, **kwargs)
        if widget is None or self.focused is not widget or not self._focus_pending:
            return
        # Textual has just posted the control its Focus event. The kept keys follow it, given
        # as Textual gives a key to the focused control (what the control does not use goes on
        # to the bindings: Tab moves on); a key the app has not yet handled comes after them.
        for key in self._end_waiting():
            widget._forward_event(key)


class StepView(VerticalScroll, can_focus=False):
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

    BINDINGS = [
        Binding("z", "bring_back", "Bring back", id="step.bring_back", show=False),
    ]

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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._removed: list[Callable[[], object]] = []  # see removed()

    @property
    def session(self) -> Session:
        return self.app.store.session  # type: ignore[attr-defined]

    def compose_below(self) -> ComposeResult:
        """The parts of the view below its first screenful at 80×24. When the view is the
        console's first screen they are mounted just after it is drawn, so the facilitator
        sees the top of the step sooner; a view opened later has them one refresh after it."""
        return ()

    def on_mount(self) -> None:
        self.ready = True
        self.show_session(None)
        if self.display:
            self.call_after_refresh(self.take_focus)  # shown as it is mounted: its first control
        self.app.after_first_screen(self._mount_below)  # type: ignore[attr-defined]

    async def _mount_below(self) -> None:
        if not self.is_attached:
            return
        below = compose(self, self.compose_below())
        if not below:
            self.complete = True
            return
        await self.mount_all(below)
        self.complete = True
        self.show_session(None)

    def take_focus(self) -> None:
        """Focus this step's first control, so its keys work as soon as it is shown. The step
        stays scrolled to its top: what the facilitator reads first comes first. Does nothing
        once the step is hidden again (F4 then F3 at once): typing is for the step shown; nor
        before the step is mounted, which takes the focus itself then (on_mount)."""
        if not (self.ready and self.display):
            return
        first = self.query(self.FIRST_CONTROL) if self.FIRST_CONTROL else ()
        if first and first.first().focusable:
            first.first().focus(scroll_visible=False)
            return
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus(scroll_visible=False)
                return
        if isinstance(self.screen, KeepsEarlyTyping):
            self.screen.stop_waiting()  # nothing here takes the focus: keys act at once

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        """Redraw from the model. ``changed`` names what changed (None: everything).
        Subclasses call this first: it refreshes every bound input of the view."""
        session = self.session
        for field in self.query(BoundInput):
            field.show_value(session)
        for area in self.query("BoundTextArea"):  # by name: TextArea is imported only when used
            area.show_value(session)  # type: ignore[attr-defined]

    def edit(self, *ops) -> bool:
        return self.app.edit(*ops)  # type: ignore[attr-defined]

    def removed(self, what: str, bring_back: Callable[[], object]) -> None:
        """Say what one key just removed, and keep how to bring it back: z on this step does,
        the last removed first, while the console is open. What comes back goes at the end
        of its list."""
        self._removed.append(bring_back)
        self.notify(f"{what}; z brings it back.", markup=False)

    def action_bring_back(self) -> None:
        if self._removed:
            self._removed.pop()()
        else:
            self.notify("Nothing removed here to bring back.", markup=False)


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
