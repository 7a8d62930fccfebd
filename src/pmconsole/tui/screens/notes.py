"""The note-taker's pane: the same session as the facilitator's console, live. Free notes per
step, the timeline, the factors and the actions; it follows the facilitator's step unless
pinned."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from pmconsole.tui.messages import SessionChanged
from pmconsole.domain.model import WRAP_UP
from pmconsole.tui.widgets import show_text
from pmconsole.tui.widgets.fields import FieldRef
from pmconsole.tui.widgets.header import MeetingHeader, step_title
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.widgets.text_field import BoundTextArea
from pmconsole.tui.screens.timeline_panel import TimelinePanel
from pmconsole.tui.keys import AwaitsFocus
from pmconsole.tui.screens.records import actions_text, factors_text
from pmconsole.tui.in_console import InConsole

# When the facilitator moves on, notes being typed stay with their step until the note-taker
# has not typed for this long: a sentence is not split between two steps.
FOLLOW_QUIET = 3.0


class NotesScreen(InConsole, AwaitsFocus, Screen):
    # No focus by selector: Textual's first focusable is the tabs, which ignore typing (a
    # note-taker's first words were lost), and "#notes" would be focused on its hidden tab
    # when back from the help. The notes take the focus when mounted; back from the help or a
    # form with nothing focused, the first control shown does (on_screen_resume).
    AUTO_FOCUS = ""

    # The tabs are named with their keys ("Timeline F7"), so the keys line leaves F6-F9 out: with
    # them it did not fit 80 columns, and what it cut was the step keys.
    BINDINGS = [
        Binding("f6", "tab('notes')", "Notes", id="notes.tab_notes", priority=True, show=False),
        Binding("f7", "tab('timeline')", "Timeline", id="notes.tab_timeline", priority=True,
                show=False),
        Binding("f8", "tab('factors')", "Factors", id="notes.tab_factors", priority=True,
                show=False),
        Binding("f9", "tab('actions')", "Actions", id="notes.tab_actions", priority=True,
                show=False),
        Binding("f5", "toggle_follow", "Follow", id="notes.follow", priority=True),
        Binding("f3", "shown_step(-1)", "◀ step", id="notes.previous", priority=True),
        Binding("f4", "shown_step(1)", "step ▶", id="notes.next", priority=True),
    ]

    DEFAULT_CSS = """
    NotesScreen #tabs { height: 1fr; }
    NotesScreen TabPane { height: 1fr; padding: 0; }
    NotesScreen #notes { height: 1fr; }
    NotesScreen #notes-title { text-style: bold; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.follow = True
        self.shown_step = self.session.meeting.current_step

    @property
    def session(self):
        return self.app.store.session

    def compose(self) -> ComposeResult:
        yield MeetingHeader()
        with TabbedContent(id="tabs"):
            with TabPane("Notes F6", id="tab-notes"):
                yield Static("", id="notes-title", markup=False)
                yield BoundTextArea(FieldRef("notes", "text", str(self.shown_step)),
                                    grows_at_end=True, id="notes")
            with TabPane("Timeline F7", id="tab-timeline"):
                yield TimelinePanel(gap_minutes=self.app.settings.gap_minutes)
            with TabPane("Factors F8", id="tab-factors"):
                yield Static("", id="factors", markup=False)
            with TabPane("Actions F9", id="tab-actions"):
                yield Static("", id="actions", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._title()
        self.redraw(None)
        self.set_focus(self.query_one("#notes", BoundTextArea))
        self.set_interval(0.5, self.refresh_header)

    def on_screen_resume(self) -> None:
        if self.focused is None and not self.awaiting_focus:
            self.focus_next()

    @on(SessionChanged)
    def _changed(self, message: SessionChanged) -> None:
        self.redraw(message.collections)

    def _follow_facilitator(self) -> None:
        """Show the notes of the facilitator's step, but not in the middle of a sentence: a
        note being typed stays with its step until the note-taker pauses (FOLLOW_QUIET)."""
        step = self.session.meeting.current_step
        if not self.follow or step == self.shown_step:
            self._title()  # no longer waiting (the facilitator may have come back)
            return
        notes = self.query_one("#notes", BoundTextArea)
        clock = self.app.clock
        if notes.has_focus and clock.monotonic() - notes.typed_at < FOLLOW_QUIET:
            self._title(waiting_for=step)
            return
        self._show_step(step)

    def redraw(self, changed: frozenset[str] | None) -> None:
        session = self.session
        self._follow_facilitator()
        notes = self.query_one("#notes", BoundTextArea)
        notes.show_value(session)
        if changed is None or "timeline" in changed or "incident" in changed:
            self.query_one(TimelinePanel).show_session()
        if changed is None or changed & {"factors", "timeline"}:
            show_text(self.query_one("#factors", Static), factors_text(session))
        if changed is None or "actions" in changed:
            show_text(self.query_one("#actions", Static), actions_text(session))
        self.refresh_header()

    def _show_step(self, step: int) -> None:
        self.shown_step = max(1, min(WRAP_UP, step))
        self.query_one("#notes", BoundTextArea).retarget(
            FieldRef("notes", "text", str(self.shown_step)), self.session
        )
        self._title()

    def _title(self, waiting_for: int | None = None) -> None:
        if waiting_for is not None:
            how = f"to the facilitator's step {waiting_for} when you pause"
        else:
            how = "follows the facilitator, F5 pins" if self.follow else "pinned, F5 follows"
        show_text(self.query_one("#notes-title", Static),
            f"Notes for {step_title(self.shown_step)} — {how}"
        )

    def action_tab(self, name: str) -> None:
        self.query_one("#tabs", TabbedContent).active = f"tab-{name}"
        focus = {"notes": "#notes", "timeline": "#timeline"}.get(name)
        if focus:
            self.query_one(focus).focus()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self._show_step(self.session.meeting.current_step)
        self._title()

    def action_shown_step(self, delta: int) -> None:
        self.follow = False
        self._show_step(self.shown_step + delta)
        self.action_tab("notes")  # the step's notes are what changed: show them

    def refresh_header(self) -> None:
        self._follow_facilitator()  # a switch held back while typing happens once it pauses
        self.query_one(MeetingHeader).show_meeting(
            step=self.session.meeting.current_step,
            watch_role="facilitator",
            label="notes pane · facilitator",
        )
