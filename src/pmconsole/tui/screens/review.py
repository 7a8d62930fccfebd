"""The two-week review of one post-mortem, held in the console (``pmconsole review FILE`` on the
command line): each action in turn, the open ones first, with its owner, due date, status and
history; the facilitator picks its status and types a note, and Enter records both in its
history through the store, as every edit (saved within a second, z undoes it, the note-taker's
pane sees it). After the last action the review is marked as held (``followup.review`` then
holds) and **w** writes the progress report beside the session, the files the command line
writes. What the review records, and in what order it walks, is ``domain/review.py``'s."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from pmconsole.domain import rules
from pmconsole.domain.actions import days_overdue
from pmconsole.domain.model import ActionItem, ActionStatus, counted
from pmconsole.domain.review import Verdict, held_day, held_op, verdict_ops
from pmconsole.domain.review import walk_order
from pmconsole.tui.in_console import InConsole
from pmconsole.tui.keys import AwaitsFocus, KeysInOrder, bound_key, key_hint
from pmconsole.tui.messages import SessionChanged
from pmconsole.tui.screens.actions import within_open_limit
from pmconsole.tui.widgets import short, show_text
from pmconsole.tui.widgets.choice import ChoiceBar
from pmconsole.tui.widgets.fields import FieldRef, PastesCleanText, SavesSoon
from pmconsole.tui.widgets.keys_footer import KeysFooter

STATUSES: tuple[str, ...] = get_args(ActionStatus)  # open, done, dropped: what an action can be


class ReviewNote(KeysInOrder, PastesCleanText, SavesSoon, Input):
    """The note the review records for the action shown: a one-line text field as the others
    (keys in the order typed, pastes cleaned). It is recorded with the status on Enter; typing
    not yet recorded is recorded when the console quits or hangs up (``App.save_typing``), so
    quitting mid-review loses nothing. Leaving it for the status does not record it."""

    def __init__(self, screen: ReviewScreen, **kwargs) -> None:
        super().__init__(**kwargs)
        self.review = screen
        self.ref = FieldRef("actions", "history")  # named "history" where quitting names it
        self._dirty = False
        # A status letter brought the focus here: a Tab typed after it, as the hint of old
        # taught ("d, Tab, the note"), stays here rather than going back to the status.
        self.after_status = False

    async def on_key(self, event: events.Key) -> None:
        # Before KeysInOrder's own handler (Textual calls the subclass's first).
        if self.screen.focused is not self:
            return
        if event.key == "tab" and self.after_status:
            event.stop()
            event.prevent_default()
        self.after_status = False

    @property
    def text_typed(self) -> str:
        return self.value

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._dirty = bool(self.value.strip())

    def on_blur(self) -> None:
        """Kept, not recorded: the status is often chosen after the note."""

    def _save(self) -> None:
        if self.review.record():
            self._dirty = False

    async def action_submit(self) -> None:
        """Enter records and goes on at once, not through a message behind the keys typed
        after it: the next action's status key must not land in this note."""
        self.review.note_entered()


class StatusChoice(KeysInOrder, ChoiceBar):
    """The status the review records, one of those an action can have. Its letters (d, o, r,
    as the command line's prompt has them) and Enter, to the note, act as they come, as Tab
    does (``KeysInOrder``): a status, a Tab and a note typed in one burst land where typed."""

    BINDINGS = [
        Binding("d", "choose('done')", "Done", id="review.done", show=False),
        Binding("o", "choose('open')", "Still open", id="review.still_open", show=False),
        Binding("r", "choose('dropped')", "Dropped", id="review.dropped", show=False),
    ]

    def action_choose(self, status: str) -> None:
        """A status letter chooses, and the note is next, as at the command line's prompt:
        what is typed after the letter is the note, never more status letters."""
        self.show_value(status)
        note = self.screen.query_one(ReviewNote)
        note.after_status = True
        self.screen.set_focus(note)  # at once: the keys typed next are the note's

    async def on_key(self, event: events.Key) -> None:
        # Then KeysInOrder's own (Textual calls each class's handler), unless taken here.
        if self.screen.focused is not self:
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.screen.focus_next()
            return
        bound = self.screen.active_bindings.get(event.key)
        if event.is_printable and bound is not None and bound.node is self and bound.enabled:
            event.stop()
            event.prevent_default()
            await self.app.run_action(bound.binding.action, self)


class ReviewScreen(InConsole, AwaitsFocus, Screen):
    """The review of the open session, action by action; an end page once past the last."""

    BINDINGS = [
        Binding("pageup", "move(-1)", "Previous", id="review.previous"),
        Binding("pagedown", "move(1)", "Skip", id="review.skip"),
        Binding("w", "write_report", "Report", id="review.report"),
        Binding("escape", "close", "Back", id="review.back"),
    ]

    AUTO_FOCUS = ""  # the status bar takes the focus when an action is shown

    DEFAULT_CSS = """
    ReviewScreen { padding: 0 1; }
    ReviewScreen #heading { text-style: bold; color: $accent; }
    ReviewScreen #where { color: $text-muted; }
    ReviewScreen #card { height: 1fr; }
    ReviewScreen #title { text-style: bold; padding: 1 0 0 0; }
    ReviewScreen #history { color: $text-muted; height: auto; }
    ReviewScreen #history-box { height: 1fr; }
    ReviewScreen .fields {
        grid-size: 2; grid-columns: 8 1fr; grid-rows: 1; grid-gutter: 1 0; height: 3;
        margin: 1 0;
    }
    ReviewScreen #note { background: $boost; }
    ReviewScreen #refusal { color: $error; text-style: bold; height: auto; }
    ReviewScreen #refusal.-none { display: none; }
    ReviewScreen #end { height: 1fr; display: none; padding: 1 0 0 0; }
    ReviewScreen.-ended #card { display: none; }
    ReviewScreen.-ended #end { display: block; }
    ReviewScreen .hint { color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        # The walk is fixed as it starts: an action recorded done stays where it was.
        self.walk = [a.id for a in walk_order(self.session)]
        self.at = 0
        # A review taken up again the same day counts the answers already given.
        self.recorded: set[str] = {a.id for a in self.session.actions if self._answered_today(a)}
        self.written: tuple = ()  # the report's files, once written

    @property
    def session(self):
        return self.app.session_store.session

    def compose(self) -> ComposeResult:
        yield Static("", id="heading", markup=False)
        yield Static("", id="where", markup=False)
        with Vertical(id="card"):
            yield Static("", id="title", markup=False)
            yield Static("", id="facts", markup=False)
            with Grid(classes="fields"):
                labels = Static("Status\n\nNote", markup=False)
                labels.styles.row_span = 2
                yield labels
                yield StatusChoice(STATUSES, "open", id="status")
                yield ReviewNote(self, id="note", placeholder="what the review says of it",
                                 compact=True)
            yield Static("", id="refusal", classes="-none", markup=False)
            with VerticalScroll(id="history-box", can_focus=False):
                yield Static("", id="history", markup=False)
            yield Static(self._card_hint(), classes="hint", markup=False)
        with Vertical(id="end"):
            yield Static("", id="summary", markup=False)
            yield Static("", id="report", markup=False)
        yield KeysFooter()

    def _card_hint(self) -> str:
        keys = " · ".join(f"{bound_key(self.app, [StatusChoice], binding_id)} {what}"
                          for binding_id, what in (("review.done", "done"),
                                                   ("review.still_open", "still open"),
                                                   ("review.dropped", "dropped")))
        return (f"{keys}, then type the note · Enter records both and goes on · "
                "Shift+Tab back to the status · Ctrl+Z undoes")

    def on_mount(self) -> None:
        super().on_mount()
        self.show_action()

    # -- what is shown -------------------------------------------------------------------------

    def current(self) -> ActionItem | None:
        if self.at >= len(self.walk):
            return None
        return next((a for a in self.session.actions if a.id == self.walk[self.at]), None)

    def show_action(self) -> None:
        """Show the action the walk is at, its status chosen as it is now, the note empty;
        past the last one, the end page."""
        session = self.session
        show_text(self.query_one("#heading", Static),
                  f"Two-week review · {session.incident.title or 'Untitled incident'}")
        self._refuse([])
        note = self.query_one("#note", ReviewNote)
        with note.prevent(Input.Changed):
            note.value = ""
        note._dirty = False
        if self.at >= len(self.walk):
            self._show_end()
            return
        self.remove_class("-ended")
        action = self.current()
        if action is None:  # deleted meanwhile, from another pane
            self.walk.pop(self.at)
            self.show_action()
            return
        status = self.query_one("#status", StatusChoice)
        status.show_value(action.status)
        self._show_card(action)
        # At once (Widget.focus waits a turn): the keys typed after an Enter in the note are
        # for this action's status.
        self.set_focus(status)

    def _show_card(self, action: ActionItem) -> None:
        session = self.session
        show_text(self.query_one("#where", Static),
                  f"Action {self.at + 1} of {len(self.walk)}, the open ones first · "
                  f"{len(session.open_actions())} open now · {len(self.recorded)} recorded")
        show_text(self.query_one("#title", Static), action.title)
        today = session.local(self.app.clock.now()).date()
        late = days_overdue(action, today)
        due = action.due.isoformat() if action.due else "not set"
        show_text(self.query_one("#facts", Static),
                  f"Owner {action.owner or 'none'} · due {due}"
                  + (f" ({counted(late, 'day')} overdue)" if late else "")
                  + f" · {action.status} now\nDone when: {action.criterion or '—'}")
        lines = [f"· {session.local(h.at):%Y-%m-%d %H:%M}  {h.status}"
                 + (f" — {h.note}" if h.note else "") for h in action.history]
        show_text(self.query_one("#history", Static),
                  "History\n" + ("\n".join(lines) if lines else "· nothing recorded yet"))

    def _show_end(self) -> None:
        from pmconsole.publish.progress import progress_counts, progress_rows, report_paths

        self.add_class("-ended")
        session = self.session
        rows = progress_rows(session, self.app.clock.now())
        held = session.followup_review_held
        show_text(self.query_one("#where", Static),
                  f"{counted(len(self.walk), 'action')} walked · {len(self.recorded)} recorded")
        show_text(self.query_one("#summary", Static),
                  (f"Review held on {held.isoformat()}. " if held else "")
                  + f"{counted(len(rows), 'action')}: {progress_counts(rows)}.")
        markdown, html = report_paths(self.app.session_store.path)
        report = self.query_one("#report", Static)
        keys = key_hint(self, ("review.report", "writes the progress report"),
                        ("review.previous", "goes back to the last action"),
                        ("review.back", "back to the console"))
        if self.written:
            show_text(report, f"The progress report is written: {self.written[0]} and "
                              f"{self.written[1].name}.\n\n{keys}")
        else:
            show_text(report, f"The progress report, beside the session: {markdown.name} and "
                              f"{html.name}.\n\n{keys}")
        self.set_focus(None)
        self.stop_awaiting()

    @on(SessionChanged)
    def _session_changed(self) -> None:
        """Another pane, the command line or an undo changed the session: show it."""
        action = self.current()
        if action is not None:
            self._show_card(action)
        elif self.at >= len(self.walk):
            self._show_end()

    def _refuse(self, blocked: list[rules.Finding]) -> bool:
        refusal = self.query_one("#refusal", Static)
        refusal.set_class(not blocked, "-none")
        show_text(refusal, "\n".join(f"■ Refused ({f.rule}): {f.message} — {f.hint}"
                                      for f in blocked))
        return bool(blocked)

    # -- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The report is written at the end (dimmed before); past the end there is no next."""
        ended = self.at >= len(self.walk)
        if action == "write_report":
            return True if ended else None
        if ended and (action, parameters) == ("move", (1,)):
            return False
        return True

    def note_entered(self) -> None:
        """Enter in the note: record the status and the note, and go on to the next action."""
        if self.record():
            self.query_one("#note", ReviewNote)._dirty = False
            self.action_move(1)

    def action_move(self, step: int) -> None:
        """To the next action (or the previous) without recording; past the last one the
        review is marked as held."""
        self.at = max(0, min(self.at + step, len(self.walk)))
        if self.at == len(self.walk):
            self._mark_held()
        self.show_action()
        self.refresh_bindings()

    def action_close(self) -> None:
        self.app.save_typing()  # a note typed and not yet recorded is recorded, as on quitting
        self.app.pop_screen()

    # -- what is recorded ----------------------------------------------------------------------

    def record(self) -> bool:
        """Record the status chosen and the note typed for the action shown, in one edit that
        z undoes. Open again only within the open limit. True when recorded."""
        action = self.current()
        if action is None:
            return False
        status: ActionStatus = self.query_one("#status", StatusChoice).value  # type: ignore[assignment]
        note = self.query_one("#note", ReviewNote).value.strip()
        if status == action.status and not note and self._answered_today(action):
            # Enter on an action answered earlier today, nothing changed: its answer (and
            # the note the report shows) stays; the walk goes on.
            return True
        reopened = status == "open" and action.status != "open"
        if reopened:
            probe = action.model_copy(update={"status": "open"})
            blocked = rules.open_limit(self.session, probe)
            if self._refuse(blocked):
                self.app.keys.refuse_burst()
                return False
        ops = verdict_ops(action, Verdict(status, note), self.app.clock.now())
        was = action.status
        with self.app.undoable(f"Recorded “{short(action.title)}”: {status}",
                               unless=lambda: self._cannot_undo(action, was)):
            done = self.app.edit(*ops, guard=within_open_limit(action) if reopened else None)
        if done:
            self.recorded.add(action.id)
        return done

    def _answered_today(self, action: ActionItem) -> bool:
        """Whether this review's day already has an answer for ``action`` in its history
        (after its first entry, the day it was agreed)."""
        day = held_day(self.session, self.app.clock.now())
        return any(self.session.local(h.at).date() == day for h in action.history[1:])

    def _cannot_undo(self, action: ActionItem, was: str) -> bool:
        """Taking a recording back opens the action again when it was open: only within the
        open limit (saying why not)."""
        now = next((a for a in self.session.actions if a.id == action.id), None)
        if now is None or was != "open" or now.status == "open":
            return False
        blocked = rules.open_limit(self.session, now)
        if blocked:
            self.notify(f"Not undone: {blocked[0].message} — {blocked[0].hint}",
                        severity="warning", markup=False)
        return bool(blocked)

    def _mark_held(self) -> None:
        """The walk is over: the review is held today (once a day is enough)."""
        now = self.app.clock.now()
        if self.session.followup_review_held == held_day(self.session, now):
            return
        with self.app.undoable("Marked the two-week review as held"):
            self.app.edit(held_op(self.session, now))

    def action_write_report(self) -> None:
        if self.at < len(self.walk):
            self.notify("The report is written at the end of the review: Page Down goes on.",
                        severity="warning", markup=False)
            return
        from pmconsole.publish.progress import report_files

        store = self.app.session_store
        self.app.save_typing()
        # Made here from the session, written in a thread: the console never waits on the disk.
        self._write(store.path.parent, report_files(store.path, store.session,
                                                    self.app.clock.now()))

    @work(thread=True, group="review-report", exit_on_error=False)
    def _write(self, folder: Path, files) -> None:
        from pmconsole.publish.progress import write_files

        try:
            write_files(files)
        except OSError as err:
            self.app.call_from_thread(self.notify, f"{folder}: {err.strerror or err}",
                                      title="Not written", severity="error", markup=False)
            return
        self.app.call_from_thread(self._written, files[0][0], files[1][0])

    def _written(self, markdown: Path, html: Path) -> None:
        self.written = (markdown, html)
        self.notify(f"{markdown} and {html.name}", title="Progress report written",
                    markup=False)
        self._show_end()
