"""The App: screens, theme, key map, command palette, and the link to the store. Kept thin: what a
step shows lives in tui/screens/, how the meeting runs in domain/meeting.py, the data in
storage/session_store.py."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.theme import Theme

from pmconsole.storage import locations
from pmconsole.domain.clock import Clock, SystemClock
from pmconsole.storage.config import Settings, load_settings, save_setting
from pmconsole.tui.messages import SessionChanged, StorageNews, TypingChanged
from pmconsole.domain.text import clean_text
from pmconsole.domain.ops import Op, OpError, set_op
from pmconsole.tui.commands import PaletteCommands
from pmconsole.tui.keys import KeyRouter
from pmconsole.tui.outside_changes import ChangesFromOutside
from pmconsole.tui.past_postmortems import PastPostMortems
from pmconsole.tui.quitting import SavedBeforeQuitting
from pmconsole.tui.undo import OneUndo
from pmconsole.tui.sync import StorageSync
from pmconsole.startup import (
    announce_ready, give_back, resume_collector, set_aside_what_lasts,
)
from pmconsole.storage.notices import ReadOnlySession, SyncResult
from pmconsole.storage.session_store import CHECKPOINT_EVERY, SessionStore
from pmconsole.tui.widgets.fields import FieldRef, SavesSoon

if TYPE_CHECKING:
    from pmconsole.domain.meeting import MeetingRun

STARTED = time.perf_counter()
POLL_SECONDS = 0.15
# After a hang-up, how long the app may take to save and leave before the process ends anyway.
HANGUP_GRACE = 3.0

HIGH_CONTRAST = Theme(
    name="pmconsole-high-contrast",
    primary="#ffff00",
    secondary="#00ffff",
    accent="#ffff00",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1a1a1a",
    success="#00ff00",
    warning="#ffaf00",
    error="#ff3030",
    dark=True,
)


class PmConsole(
    OneUndo, SavedBeforeQuitting, ChangesFromOutside, PastPostMortems, PaletteCommands, App[int]
):
    CSS_PATH = "pmconsole.tcss"
    TITLE = "pmconsole"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1", "help", "Help", id="pmconsole.help"),
        # Outside text fields; in one, "?" is typed (Input consumes printable keys first).
        Binding("question_mark", "help", "Help", id="pmconsole.help_key", show=False),
        Binding("f10", "toggle_contrast", "Contrast", id="pmconsole.contrast"),
        Binding("ctrl+q", "quit", "Quit", id="pmconsole.quit", priority=True),
        # Outside text fields, as "?": in one, "z" is typed, and Ctrl+Z undoes from a one-line
        # field too (a text area keeps Ctrl+Z for its own typing).
        Binding("z,ctrl+z", "undo", "Undo", id="pmconsole.undo", show=False),
    ]

    def __init__(
        self,
        store: SessionStore | None,
        *,
        role: str = "facilitator",
        sessions_dir: Path | None = None,
        settings: Settings | None = None,
        settings_problem: str = "",
        clock: Clock | None = None,
        exit_when_ready: bool = False,
        poll: bool = True,
    ) -> None:
        super().__init__()
        self.store = store
        self.role = role
        self.sessions_dir = sessions_dir or locations.sessions_dir()
        self.settings = settings or Settings()
        self.settings_problem = settings_problem
        self.clock = clock or SystemClock()
        self.exit_when_ready = exit_when_ready
        # The feedback form reaches nothing else: no palette of steps, log search or exports.
        self.use_command_palette = role != "feedback"
        self._poll_enabled = poll
        self.related = None  # post-mortems from the log like this one; None until looked up
        self._ready_done = False
        self._told_small = False  # the "window too small" notice is shown once per shrinking
        self._after_first_screen: list[Callable[[], object]] = []
        self._quit_warned_at: float | None = None
        self.keys = KeyRouter(self)
        self._undo: list[tuple[str, Callable[[], object]]] = []  # see did()
        self._versions_to_choose: list[Any] = []  # merges the facilitator is to decide on
        self._asking_version = False
        self.meeting = None
        self.sync: StorageSync | None = None  # the storage thread, while a session is open
        if store is not None:
            from pmconsole.domain.meeting import MeetingRun

            self.meeting = MeetingRun(
                store, self.clock, speaker_minutes=self.settings.speaker_minutes
            )

    # -- start and stop --------------------------------------------------------------------

    def on_mount(self) -> None:
        self._watch_hangup()
        self.register_theme(HIGH_CONTRAST)
        try:
            self.theme = self.settings.theme
        except Exception:  # a configured theme that does not exist: fall back, say so
            self.notify(f"Unknown theme {self.settings.theme!r}; using the default.", markup=False)
            self.theme = "textual-dark"
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        if self.settings_problem:
            self.notify(self.settings_problem, severity="warning", markup=False)
        if self.store is None:
            from pmconsole.tui.screens.picker import PickerScreen

            self.push_screen(PickerScreen())
        else:
            self.open_session_screens()
        if self._poll_enabled:
            self.set_interval(POLL_SECONDS, self.poll_store)

    def open_session_screens(self) -> None:
        assert self.store is not None
        for notice in self.store.notices:
            self.tell(notice)
        if self._poll_enabled and not self.store.read_only:
            self.sync = StorageSync(self, self.store, POLL_SECONDS)
            # Its replica reads the whole file again: not while the first screen is drawn.
            self.after_first_screen(self.sync.start)
            if self.meeting is not None:
                self.meeting.checkpoint = self.sync.checkpoint_soon
        if self.role == "notes":
            from pmconsole.tui.screens.notes import NotesScreen

            self.push_screen(NotesScreen())
        elif self.role == "feedback":
            from pmconsole.tui.screens.feedback import FeedbackScreen

            self.push_screen(FeedbackScreen())
        else:
            from pmconsole.tui.screens.console import ConsoleScreen

            assert self.meeting is not None
            self.meeting.open_console()
            self.push_screen(ConsoleScreen())
            if self.is_running and self._ready_done:
                self.consult_log()  # opened from the picker: the first screen is long drawn

    def open_session(self, path: Path) -> None:
        """Open a session from the picker."""
        from pmconsole.domain.meeting import MeetingRun

        self.store = SessionStore(path, role=self.role)
        self.meeting = MeetingRun(
            self.store, self.clock, speaker_minutes=self.settings.speaker_minutes
        )
        self.open_session_screens()

    def after_first_screen(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the first screen is drawn: at once if it already is."""
        if self._ready_done:
            self.call_after_refresh(callback)
        else:
            self._after_first_screen.append(callback)

    def set_aside_what_lasts(self) -> None:
        """What the console built to keep while it runs (a step's view, drawn) is left out of
        the collector's full collections from now on, as start-up's is (startup.py)."""
        set_aside_what_lasts()

    def on_ready(self) -> None:
        self.log.info(f"pmconsole ready in {time.perf_counter() - STARTED:.3f} s")
        self._ready_done = True
        resume_collector()
        if self.exit_when_ready:
            # The benchmark's measure ends with the first screen, before what follows it.
            self.call_after_refresh(self._ready_then_exit)
            return
        for callback in self._after_first_screen:
            self.call_after_refresh(callback)
        self._after_first_screen.clear()
        if self.store is not None and self.role == "facilitator":
            # The log is a help for the rules and for related incidents, not for the first
            # screen: look it up once that screen is on, so it never slows the start.
            self.consult_log()

    def _ready_then_exit(self) -> None:
        announce_ready()
        self.exit(0)

    def _watch_hangup(self) -> None:
        """A closed ssh session or tmux pane sends SIGHUP, a shutdown or `kill` SIGTERM: save
        what is typed, then leave.

        The handler is Python's own, not the event loop's. When the terminal is already gone,
        Textual's output thread dies on its first write, and the loop then waits for ever to
        queue the next frame (seen after `tmux kill-server`, with the input thread spinning
        on the closed terminal): a loop handler would never run. Python's runs even then; it
        asks the loop to save and leave, and if the loop cannot within HANGUP_GRACE seconds,
        the process ends anyway. What was committed is in the session's operation log by
        then; only typing of the last moment, not yet committed, can be lost that way."""
        import asyncio
        import signal
        import threading

        if self.is_headless or threading.current_thread() is not threading.main_thread():
            return  # tests and benchmarks: no terminal to lose
        loop = asyncio.get_running_loop()

        def hung_up(signum, frame) -> None:
            leave = threading.Timer(HANGUP_GRACE, os._exit, args=(0,))
            leave.daemon = True
            leave.start()
            loop.call_soon_threadsafe(self.hang_up)

        for name in ("SIGHUP", "SIGTERM"):
            try:
                signal.signal(getattr(signal, name), hung_up)
            except (AttributeError, ValueError):
                pass  # no such signal here (not a POSIX system)

    def hang_up(self) -> None:
        self.save_typing()
        if self.sync is not None:
            self.sync.stop()
        if self.store is not None:
            self.store.close()  # checkpoint: the file is complete before the process goes
        self.exit(0)

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        if self.keys.came_back(event):
            # Given to a control by keys.py and come back unused: as Textual handles a key come
            # back up from the focused control (its bindings, on_key), not as a new one.
            await MessagePump.on_event(self, event)
            return
        if self.keys.arrived(event):
            return  # typed right after a refused key: not used (keys.py)
        await super().on_event(event)
        if not event.is_forwarded:  # a priority binding took it, before any control
            self.keys.acted_at_once(event)

    def on_key(self, event: events.Key) -> None:
        """A key no control used, before its binding is looked up: keys.py says where it
        goes instead, or whether it is not used."""
        if self.keys.route_unused(event):
            event.stop()
            event.prevent_default()

    def on_resize(self, event) -> None:
        """Below 80x24 the steps cannot be laid out: say so rather than show a broken screen."""
        small = event.size.width < 80 or event.size.height < 24
        self.screen.set_class(small, "-too-small")
        if small and not self._told_small:
            self._told_small = True
            self.notify(
                f"The window is {event.size.width}x{event.size.height}: make it at least 80x24 "
                "to see every part of the meeting. Nothing is lost meanwhile.",
                title="Window too small",
                severity="warning",
                markup=False,
            )
        elif not small:
            self._told_small = False

    def on_exit_app(self) -> None:
        """Every way out passes here, Ctrl+Q included (a browser tab closed, `serve` stopping, an
        idle connection closed): what is typed is saved before the screens go."""
        self.save_typing()

    def save_typing(self) -> None:
        """Save what is typed in any field but not yet saved: quitting never loses it."""
        from pmconsole.tui.widgets.fields import SavesSoon

        for screen in self.screen_stack:
            for widget in screen.query("*"):
                if isinstance(widget, SavesSoon):
                    widget.commit()

    def on_unmount(self) -> None:
        give_back()  # what was set aside while the console ran (startup.py)
        if self.sync is not None:
            self.sync.stop()
        if self.store is not None:
            self.store.close()

    # -- the store -------------------------------------------------------------------------

    @property
    def session_store(self) -> SessionStore:
        """The open session's store, for the screens and widgets that show a session: they
        run only once one is open (the picker and the log screen do not use this)."""
        if self.store is None:
            raise RuntimeError("no session is open")
        return self.store

    @property
    def meeting_run(self) -> MeetingRun:
        """The open session's meeting (steps, timers, guards), as ``session_store``."""
        if self.meeting is None:
            raise RuntimeError("no session is open")
        return self.meeting

    def edit(self, *ops: Op, guard: Callable[[Any], None] | None = None) -> bool:
        """Ask the store for a change; every view redraws from the model after it. ``guard``
        (see SessionStore.edit) refuses it with an OpError, checked inside the commit."""
        if self.store is None:
            return False
        try:
            self.store.edit(*ops, guard=guard)
        except ReadOnlySession as err:
            self.notify(f"Read-only: {err}", severity="error", markup=False)
            return False
        except OpError as err:
            self.notify(f"Not saved: {err}", severity="warning", markup=False)
            return False
        self.announce(frozenset(op["c"] for op in ops), local=True)
        if self.role == "facilitator" and any(
            op.get("c") == "incident" and op.get("f") in ("tags", "title") for op in ops
        ):
            self.consult_log()  # new tags or title: other post-mortems may now be related
        return True

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        """Every notice, from any screen or widget, through the one cleaner of user text:
        notices quote file names, errors and typed values, which do not all pass through the
        session model."""
        super().notify(clean_text(message), title=clean_text(title, multiline=False), **kwargs)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        """Every key's action, the meeting's controls included: on a session open read-only
        (a newer pmconsole's file, one that cannot be read), an edit it would make is refused
        and said, never a crash."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except ReadOnlySession as err:
            self.notify(f"Read-only: {err}", severity="error", markup=False)
            return True

    def edit_field(self, ref: FieldRef, value: Any, *also: Op) -> bool:
        return self.edit(set_op(ref.collection, ref.field, value, ref.record_id), *also)

    def announce(self, collections: frozenset[str], *, local: bool) -> None:
        for screen in self.screen_stack:
            screen.post_message(SessionChanged(collections, local))

    def poll_store(self) -> None:
        """Bring in what the disk has. With the storage thread running, it does (and posts
        StorageNews); here only edits the disk would not take are tried again. Without it
        (polling off: tests, benchmarks) one round is done here, on this thread."""
        store = self.store
        if store is None:
            return
        if self.sync is not None:
            if store.edits_since_checkpoint >= CHECKPOINT_EVERY:
                store.edits_since_checkpoint = 0
                self.sync.checkpoint_soon()
            if not store.pending:
                return
            # The disk's trouble: the edits wait in this store, and are retried from here.
        was_read_only = store.read_only
        self._took(store.poll(), was_read_only)
        if self.sync is None:
            store.maybe_checkpoint()

    def on_storage_news(self, news: StorageNews) -> None:
        if self.sync is None or self.store is None:
            return
        was_read_only = self.store.read_only
        self._took(self.sync.apply(news), was_read_only)

    def _took(self, result: SyncResult, was_read_only: str) -> None:
        """Show and redraw what one round of reading the disk brought in."""
        assert self.store is not None
        if was_read_only and not self.store.read_only:
            self.save_typing()  # typing refused while read-only is saved now
        changed = list(result.ops)
        for notice in result.notices:
            self.tell(notice)
            changed += notice.ops  # a file changed on disk, merged
        if changed:
            self.announce(frozenset(op.get("c", "") for op in changed), local=False)

    def on_typing_changed(self, _: TypingChanged) -> None:
        """A field's typing is now waiting to be saved, saved or refused: the header says so
        at once."""
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_header", None)
            if refresh is not None and screen.is_mounted:
                refresh()

    def _typing_fields(self) -> list[SavesSoon]:
        """The fields holding typing that is not in the store: each field knows its own."""
        return [widget for screen in self.screen_stack for widget in screen.walk_children()
                if isinstance(widget, SavesSoon) and widget.unsaved]

    # -- actions ---------------------------------------------------------------------------

    def action_help(self) -> None:
        from pmconsole.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            step = self.store.session.meeting.current_step if self.store else 0
            self.push_screen(HelpScreen(step, self.role))

    def action_toggle_contrast(self) -> None:
        self.theme = (
            "textual-dark" if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name
        )
        if os.environ.get("PMCONSOLE_SERVED"):
            return  # a browser tab of `pmconsole serve`: the host's settings are not its own
        try:
            save_setting(locations.config_file(), "theme", self.theme)
        except Exception as err:  # remembering the theme is a nicety; say why it failed
            self.notify(f"Theme not remembered: {err}", severity="warning", markup=False)

    def console_screen(self):
        from pmconsole.tui.screens.console import ConsoleScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                return screen
        return None


def make_app(
    path: Path | None,
    *,
    role: str = "facilitator",
    sessions_dir: Path | None = None,
    exit_when_ready: bool = False,
    clock: Clock | None = None,
    settings: Settings | None = None,
    poll: bool = True,
) -> PmConsole:
    """The one way the console is built: by the command line, the tests and the benchmarks."""
    problem = ""
    if settings is None:
        settings, problem = load_settings(locations.config_file())
    store = SessionStore(path, role=role) if path is not None else None
    return PmConsole(
        store,
        role=role,
        sessions_dir=sessions_dir,
        settings=settings,
        settings_problem=problem,
        clock=clock,
        exit_when_ready=exit_when_ready,
        poll=poll,
    )
