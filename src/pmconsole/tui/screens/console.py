"""The facilitator's console: the header, the current step with its countdown and findings,
and the keys that start, move, pause and end the meeting."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Static

from pmconsole.domain import rules
from pmconsole.domain.clock import format_clock
from pmconsole.domain.meeting import start_offer
from pmconsole.tui.messages import SessionChanged
from pmconsole.domain.model import WRAP_UP
from pmconsole.tui.widgets.countdown import CountdownDisplay
from pmconsole.tui.widgets.findings import FindingsBar
from pmconsole.tui.widgets.header import MeetingHeader, step_title
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.keys import AwaitsFocus
from pmconsole.tui.screens.base import StepView
from pmconsole.tui.in_console import InConsole


def view_for(step: int) -> StepView:
    """The view of one step."""
    return view_class(step)(id=f"step-{step}")


def view_class(step: int) -> type[StepView]:
    """The class of one step's view. Not imported at start, to keep start-up short: the
    console imports them once its first screen is drawn (ConsoleScreen._import_views)."""
    if step == 1:
        from pmconsole.tui.screens.schedule import ScheduleStep as view
    elif step == 2:
        from pmconsole.tui.screens.question import QuestionStep as view
    elif step == 3:
        from pmconsole.tui.screens.safety import SafetyStep as view
    elif step == 4:
        from pmconsole.tui.screens.facts import FactsStep as view
    elif step == 5:
        from pmconsole.tui.screens.timeline import TimelineStep as view
    elif step == 6:
        from pmconsole.tui.screens.factors import FactorsStep as view
    elif step == 7:
        from pmconsole.tui.screens.actions import ActionsStep as view
    else:
        from pmconsole.tui.screens.wrapup import WrapUpStep as view
    return view


class ConsoleScreen(InConsole, AwaitsFocus, Screen):
    # No focus by selector: it could pick a control of a step hidden in the switcher (Textual's
    # focusable does not look at hidden parents). The shown step focuses its first control.
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding("f2", "pause", "Blame pause", id="pmconsole.pause", priority=True),
        Binding("f3", "previous_step", "Prev step", id="pmconsole.previous_step", priority=True),
        Binding("f4", "next_step", "Next step", id="pmconsole.next_step", priority=True),
        Binding("f5", "start_meeting", "Start clock", id="pmconsole.start_meeting",
                priority=True),
        # The same key once the meeting has started: restart its clock on step 1, or reopen
        # it after its end (asked first either way). Not on the keys line, which at 80
        # columns holds the console's keys exactly: see check_action. One id for both, so
        # that a key map moves both.
        Binding("f5", "restart_meeting", "Restart clock", id="pmconsole.start_meeting",
                priority=True, show=False),
    ]

    DEFAULT_CSS = """
    ConsoleScreen #start-offer { height: 1; padding: 0 1; background: $warning 30%;
                                 text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    # A restart of the meeting clock (or reopening an ended meeting) is confirmed by pressing
    # the start key again within this many seconds.
    CONFIRM_AGAIN = 8.0

    _confirm_asked_at: float | None = None
    _offer_shown: str | None = None

    def compose(self) -> ComposeResult:
        yield MeetingHeader()
        # Shown while the meeting is not started and its scheduled time is near.
        yield Static("", id="start-offer", markup=False)
        with Horizontal(id="step-top"):
            yield FindingsBar(id="findings")
            yield CountdownDisplay("step", id="step-timer")
        # The step the meeting is on is composed with the console, so that its first control
        # has the focus when the first screen is drawn; other steps are mounted when shown.
        step = self.meeting.step
        with ContentSwitcher(id="steps", initial=f"step-{step}"):
            yield view_for(step)
        yield KeysFooter()

    @property
    def meeting(self):
        return self.app.meeting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys line shows what the meeting's state allows: "Start clock" until the
        meeting starts, then the blame pause (there is nothing to pause before the start or
        after the end). The start key works throughout, through one of its two bindings."""
        if action == "start_meeting":
            return not self.meeting.started
        if action == "restart_meeting":
            return self.meeting.started
        if action == "pause":
            return self.meeting.in_progress or self.meeting.paused
        return True

    def on_mount(self) -> None:
        self._show_timer(self.meeting.step)
        # The method's findings for the step: just after the first screen, as the parts of
        # step 1 below it (running every rule is ~2 ms of the start).
        self.app.after_first_screen(self._show_findings)
        self.app.after_first_screen(self._import_views)
        self.refresh_header()
        self.set_interval(0.25, self.refresh_header)
        if self.meeting.paused:
            self.call_after_refresh(self._show_pause_banner)

    def _import_views(self, step: int = 1) -> None:
        """Import the other steps' views, one a turn of the event loop, once the first screen
        is drawn: a step's first visit then does not wait for its module and the widgets it
        brings (step 4's, with Textual's TextArea, ~30 ms)."""
        if step <= WRAP_UP:
            view_class(step)
            self.call_later(self._import_views, step + 1)

    def shown_view(self) -> StepView | None:
        """The view of the current step, once it is mounted."""
        found = self.query(f"#step-{self.meeting.step}")
        return found.first() if found else None  # type: ignore[return-value]

    def on_screen_resume(self) -> None:
        """Back from a form or the help with nothing focused: the shown step's first control."""
        view = self.shown_view()
        if self.focused is None and view is not None:
            self.call_after_refresh(view.take_focus)

    # -- moving through the meeting ----------------------------------------------------------

    def show_step(self, step: int) -> None:
        # Nothing has the focus until the step's first control takes it: not a control of
        # the step left, which Textual would otherwise move it to though that step is hidden.
        self.expect_focus()
        switcher = self.query_one("#steps", ContentSwitcher)
        view_id = f"step-{step}"
        found = switcher.query(f"#{view_id}")
        if not found:
            # A new view draws itself and takes focus once its controls are mounted
            # (StepView.on_mount); focusing it before that would focus the whole step.
            switcher.mount(view_for(step))
        switcher.current = view_id
        self._show_timer(step)
        # Everything the step shows is in place before the screen is laid out again: the
        # view up to date, its findings, the focus. Done after the next refresh instead, each
        # would lay out and draw the whole screen once more (benchmarks/ui_stall.py).
        if found:
            view = found.first()
            view.take_focus()
            self._redraw_view(None)
        else:
            self._show_findings()

    def _show_timer(self, step: int) -> None:
        self.query_one("#step-timer", CountdownDisplay).countdown = self.meeting.step_countdown(
            step
        )
        self.query_one("#step-timer", CountdownDisplay).label = step_title(step).split(" · ")[-1]
        self.query_one("#step-timer", CountdownDisplay).display = step < WRAP_UP

    def go_to(self, step: int) -> None:
        was_on = self.meeting.in_progress
        blocked = self.meeting.go_to(step)
        if blocked:
            self.app.keys.refuse_burst()  # typed for that step
            for finding in blocked:
                self.notify(
                    f"{finding.message} — {finding.hint}",
                    title=f"Blocked by {finding.rule}",
                    severity="error",
                    markup=False,
                )
            return
        self._moved(was_on)

    def _moved(self, was_on: bool) -> None:
        """Show the step the meeting is on; say so when the move ended the meeting."""
        self.show_step(self.meeting.step)
        self.refresh_header()
        if was_on and self.meeting.ended:
            self.refresh_bindings()
            held = format_clock(self.meeting.meeting_clock().elapsed)
            planned = self.meeting.session.meeting.planned_minutes
            self.notify(f"The meeting ended after {held} ({planned} min planned).",
                        title="Meeting clock", markup=False)

    def action_next_step(self) -> None:
        self.go_to(self.meeting.step + 1)

    def action_previous_step(self) -> None:
        self.go_to(self.meeting.step - 1)

    # -- starting and ending the meeting ------------------------------------------------------

    def _start_key(self) -> str:
        """The start key as the footer shows it (the user may have remapped it)."""
        for _node, binding, _enabled, _tooltip in self.active_bindings.values():
            if binding.action in ("start_meeting", "restart_meeting"):
                key = self.app.get_key_display(binding)
                return key.upper() if key[1:].isdigit() else key  # "F5", as on the keyboard
        return "F5"

    def action_start_meeting(self) -> None:
        """Start the meeting. Once started, the same key restarts its clock while it is on
        step 1 (asked first: press again to confirm), and reopens it after its end."""
        meeting = self.meeting
        refusal = meeting.start_refusal()
        if refusal:
            self._confirm_asked_at = None
            self.notify(refusal, title="Meeting clock", severity="warning", markup=False)
            return
        key = self._start_key()
        if meeting.started:
            now = self.app.clock.monotonic()
            asked = self._confirm_asked_at
            if asked is None or now - asked > self.CONFIRM_AGAIN:
                self._confirm_asked_at = now
                if meeting.ended:
                    question = (f"Reopen the meeting? Its clock goes on, counting the time since "
                                f"it ended. Press {key} again to confirm.")
                else:
                    question = (f"Restart the meeting clock from 00:00? Press {key} again to "
                                "confirm.")
                self.notify(question, title="Meeting clock", severity="warning",
                            timeout=self.CONFIRM_AGAIN, markup=False)
                return
        self._confirm_asked_at = None
        was = "reopened" if meeting.ended else "restarted" if meeting.started else "started"
        meeting.start()
        self.app.announce(frozenset({"meeting", "steps"}), local=True)
        self.query_one("#step-timer", CountdownDisplay).countdown = meeting.step_countdown(
            meeting.step
        )
        self.refresh_header()
        self.refresh_bindings()
        if was != "started":  # a start shows in the header; a restart or a reopening is said
            self.notify(f"The meeting {was}: its clock is running.", title="Meeting clock",
                        markup=False)

    action_restart_meeting = action_start_meeting

    def action_end_meeting(self) -> None:
        """End the meeting: it ends at the wrap-up, so this goes there."""
        if not self.meeting.in_progress:
            why = "has ended" if self.meeting.ended else "has not started"
            self.notify(f"The meeting {why}: there is nothing to end.", title="Meeting clock",
                        severity="warning", markup=False)
            return
        self.meeting.end()  # at the wrap-up, whatever step it is on
        self._moved(was_on=True)

    # -- the blame pause ---------------------------------------------------------------------

    def action_pause(self) -> None:
        if not self.meeting.paused and not self.meeting.in_progress:
            why = ("has ended" if self.meeting.ended
                   else f"has not started ({self._start_key()} starts it)")
            self.notify(f"The meeting {why}: there is nothing to pause.", title="Blame pause",
                        severity="warning", markup=False)
            return
        paused = self.meeting.toggle_pause()
        self.app.announce(frozenset({"pauses"}), local=True)
        if paused:
            self._show_pause_banner()
        self.refresh_header()

    def _show_pause_banner(self) -> None:
        from pmconsole.tui.screens.pause import PauseScreen

        self.app.push_screen(PauseScreen(), callback=lambda _: self.refresh_header())

    # -- exports -----------------------------------------------------------------------------

    def export(self, fmt: str) -> None:
        """Write one export beside the session file and say where. The file is read and
        written in a thread: the console never waits on the disk."""
        from pmconsole import exporters

        store = self.app.session_store
        self.app.save_typing()
        blocked = exporters.one_page_blocks(store.session)
        if blocked:
            first = blocked[0]
            self.notify(f"{first.message} — {first.hint}", title=f"Not exported: {first.rule}",
                        severity="error", markup=False)
            return
        self._write_export(exporters.default_output(store.path, fmt), fmt)

    @work(thread=True, group="export", exit_on_error=False)
    def _write_export(self, out: Path, fmt: str) -> None:
        from pmconsole import exporters
        from pmconsole.storage.toml_file import atomic_write

        try:
            previous = exporters.previous_export(out, fmt)  # a calendar's entries go on from it
            # The session is the event loop's own: the text is written out there, the file here.
            text = self.app.call_from_thread(self._export_text, fmt, previous)
            atomic_write(out, text.encode("utf-8"))
        except OSError as err:
            self.app.call_from_thread(
                self.notify, f"{out}: {err.strerror or err}", title="Not exported",
                severity="error", markup=False)
            return
        except Exception as err:  # noqa: BLE001 — said on screen, never silently lost in the thread
            self.app.call_from_thread(
                self.notify, f"{out}: the export failed ({type(err).__name__}: {err}); "
                f"`pmconsole export` writes it from the command line", title="Not exported",
                severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, str(out), title=f"Exported {fmt.upper()}",
                                  markup=False)

    def _export_text(self, fmt: str, previous) -> str:
        from pmconsole import exporters

        return exporters.export(self.app.session_store.session, fmt, previous=previous)

    # -- redrawing ---------------------------------------------------------------------------

    @on(SessionChanged)
    def _session_changed(self, message: SessionChanged) -> None:
        self._redraw_view(message.collections)
        self.refresh_header()

    def _redraw_view(self, changed: frozenset[str] | None) -> None:
        view = self.shown_view()
        # A view not yet ready draws itself when mounted.
        if view is not None and view.ready and (
            changed is None or not view.watches or changed & view.watches
        ):
            view.show_session(changed)
        self._show_findings()

    def _show_findings(self) -> None:
        findings = rules.findings_for_step(self.meeting.findings(), self.meeting.step)
        self.query_one("#findings", FindingsBar).show(
            findings, preparing=not self.meeting.started)

    def refresh_header(self) -> None:
        self.query_one(MeetingHeader).show_meeting(
            step=self.meeting.step, watch_role="notes", label="notes pane"
        )
        offer = start_offer(self.meeting.session, self.app.clock.now())
        if offer:
            # The key first: at 80 columns the end of the line may be cut.
            offer = f"{self._start_key()} starts the meeting ({offer}). Its clock waits."
        line = self.query_one("#start-offer", Static)
        if offer != self._offer_shown:
            self._offer_shown = offer
            line.update(offer)
            line.display = bool(offer)
        timer = self.query_one("#step-timer", CountdownDisplay)
        timer.stopped = (
            "" if self.meeting.in_progress
            else "meeting ended" if self.meeting.ended else "meeting not started"
        )
