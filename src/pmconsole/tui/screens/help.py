"""Help for the current step: what the method asks, and the keys."""

from __future__ import annotations

import re

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pmconsole.domain.model import STEP_NAMES
from pmconsole.tui.keys import bound_key
from pmconsole.domain.method import (
    ACTIONS_AGREED, DUE_DAYS, FOLLOWUP, EVIDENCE_LEAD, FACTORS_PER_EVENT, MEETING_MINUTES,
    NEUTRAL_FACILITATOR_SESSIONS, OPEN_LIMIT, PAGE_COLUMNS, PAGE_LINES, PAGE_WORDS,
    POSTPONE_LIMIT, SPEAKER_MINUTES, TIMELINE_MINUTES, WINDOW, hours, in_words, span,
)

STEP_HELP = {
    1: f"Hold the post-mortem {WINDOW} h after the incident, never later than "
    f"{POSTPONE_LIMIT.days} days, and keep it to {span(MEETING_MINUTES)} minutes. Fill in the "
    "incident's times, the meeting time and the roster "
    "(«roster.add» add, «roster.edit» edit, «roster.remove» remove, «pmconsole.undo» undo, "
    "«roster.involved» involved). The facilitator of the team's first "
    f"{in_words(NEUTRAL_FACILITATOR_SESSIONS)} post-mortems must not have been involved.",
    2: "State one concrete question, such as 'Recovery took 45 minutes; how do we reduce it to "
    "20?'. Choose a template made from this incident's durations with ↓/↑ in the question and "
    "Enter, or type your own.",
    3: "Read the statement aloud («safety.edit» edits it): no blame, only facts and improvements. Invite "
    f"junior people to speak first for {span(SPEAKER_MINUTES)} minutes each, then open the "
    "round to everyone "
    "in the minutes left («safety.build» builds the queue that way and says whether it fits "
    "the step; «safety.next» starts the next speaker, «safety.skip» skips, "
    "«safety.up»/«safety.down» move, «safety.longer»/«safety.shorter» change minutes, Enter "
    "edits a turn, «pmconsole.undo» undoes). «pmconsole.pause» pauses the meeting if blame is "
    "heard.",
    4: f"Evidence was due {hours(EVIDENCE_LEAD)} h before the meeting; later items are flagged. "
    f"Keep the incident summary to one page: {PAGE_WORDS} words and {PAGE_LINES} lines of "
    f"{PAGE_COLUMNS} columns. The step opens in the summary; "
    "Shift+Tab reaches the evidence list («facts.add» add, «facts.edit» edit, «facts.remove» "
    "remove, «pmconsole.undo» undo, «facts.import» import a timeline file: the file is recorded as evidence too; `pmconsole import --help` lists the CSV "
    "columns).",
    5: f"Spend {span(TIMELINE_MINUTES)} minutes building the timeline minute by minute. "
    "«timeline.add» adds an event (time as 14:32 or +5m), «timeline.edit» edits, "
    "«timeline.delete» deletes («pmconsole.undo» undoes), «timeline.basis» switches "
    "fact/interpretation, «timeline.major» marks major.",
    6: "For each major event ask 'What conditions enabled this?' and list "
    f"{span(FACTORS_PER_EVENT)} systemic causes "
    "(process, tooling, staffing, communication, environment). Describe conditions, not people "
    "(«factors.add» add, «factors.edit» edit, «factors.remove» remove, «factors.category» "
    "category, «pmconsole.undo» undo).",
    7: f"Agree {span(ACTIONS_AGREED)} concrete actions, each with an owner, a due date "
    f"{span(DUE_DAYS)} days out and a measurable success criterion. Never more than "
    f"{OPEN_LIMIT} open at once («actions.add» add, «actions.edit» edit, «actions.done» done or "
    "open again, «actions.drop» drop, «pmconsole.undo» undo).",
    8: f"Export the summary and the action items, set the follow-up review (within {FOLLOWUP}), "
    "and offer the anonymous feedback form. At the review, «wrapup.review» walks each action "
    "for its status and a note and writes the progress report.",
}

NOTES_HELP = (
    "The note-taker's pane: your notes are kept per step and follow the facilitator's step "
    "(«notes.follow» pins the step you are on; «notes.previous»/«notes.next» choose another). "
    "«notes.tab_notes» notes, «notes.tab_timeline» timeline (the same keys as the "
    "facilitator: «timeline.add» add, «timeline.edit» edit, «timeline.delete» delete, "
    "«pmconsole.undo» undo, «timeline.basis» fact/interpretation, «timeline.major» major), "
    "«notes.tab_factors» factors, «notes.tab_actions» actions. Everything is saved as you type and shows in the "
    "facilitator's console within half a second."
)

FEEDBACK_HELP = (
    "The anonymous feedback form. Left and Right choose how safe it felt to speak, Enter or "
    "Space picks it; Tab moves to the next question; Ctrl+S sends. Every question can be "
    "skipped. «pmconsole.contrast» high contrast · «pmconsole.quit» closes the form."
)

KEYS = (
    "«pmconsole.help» help · «pmconsole.pause» blame pause · «pmconsole.previous_step» previous "
    "step · «pmconsole.next_step» next step · «pmconsole.start_meeting» starts the meeting "
    "(nothing runs or is recorded until then; on step 1, «pmconsole.start_meeting» twice "
    "restarts its clock) · «pmconsole.contrast» high contrast · Ctrl+P command palette (every "
    "step and export by name, start and end the meeting) · «pmconsole.quit» quit"
)

# «binding id» in the texts above: the key bound to it now (a user may remap keys).
_BOUND = re.compile(r"«([\w.]+)»")


def with_keys(text: str, app: App) -> str:
    """The help text with each «binding id» as the key that does it now, as the help says
    keys ("F2", "Ctrl+Q", "a")."""
    from pmconsole.tui.screens.actions import ActionsStep
    from pmconsole.tui.screens.console import ConsoleScreen
    from pmconsole.tui.screens.factors import FactorsStep
    from pmconsole.tui.screens.facts import FactsStep
    from pmconsole.tui.screens.notes import NotesScreen
    from pmconsole.tui.screens.safety import SafetyStep
    from pmconsole.tui.screens.schedule import ScheduleStep
    from pmconsole.tui.screens.timeline_panel import TimelinePanel
    from pmconsole.tui.screens.wrapup import WrapUpStep

    owners = (type(app), ConsoleScreen, NotesScreen, ScheduleStep, SafetyStep, FactsStep,
              TimelinePanel, FactorsStep, ActionsStep, WrapUpStep)
    return _BOUND.sub(lambda m: bound_key(app, owners, m.group(1), spoken=True), text)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    HelpScreen .title { text-style: bold; }
    """
    BINDINGS = [
        Binding("escape,f1,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, step: int, role: str = "facilitator") -> None:
        super().__init__()
        self.step = step
        self.role = role

    def compose(self) -> ComposeResult:
        if 1 <= self.step <= len(STEP_NAMES):
            title = f"Step {self.step}: {STEP_NAMES[self.step - 1]}"
        elif self.step:
            title = "Wrap-up"
        else:
            title = "pmconsole"
        with VerticalScroll():
            if self.role == "feedback":
                yield Static("Feedback keys", classes="title", markup=False)
                yield Static(with_keys(FEEDBACK_HELP, self.app), markup=False)
            elif self.role == "notes":
                yield Static("The note-taker's pane", classes="title", markup=False)
                yield Static(with_keys(NOTES_HELP, self.app), markup=False)
                yield Static("")
                yield Static(f"Now: {title}. " + with_keys(STEP_HELP.get(self.step, ""), self.app),
                             markup=False)
            else:
                yield Static(title, classes="title", markup=False)
                yield Static(with_keys(
                    STEP_HELP.get(self.step, "Choose a session, or start a new one."), self.app),
                    markup=False)
                yield Static("")
                yield from self._findings()
                yield Static(with_keys(KEYS, self.app), markup=False)
            yield Static("Escape closes this help.")

    def _findings(self) -> ComposeResult:
        """The step's findings in full: at 80 columns the console's bar may hold only some."""
        meeting = getattr(self.app, "meeting", None)
        if meeting is None or not self.step:
            return
        from pmconsole.domain.rules import findings_for_step

        findings = findings_for_step(meeting.findings(), self.step)
        if findings:
            yield Static("The method's findings now", classes="title")
            yield Static("\n".join(f"{f.severity.upper()}  {f.message} — {f.hint}"
                                    for f in findings), markup=False)
            yield Static("")

    def action_close(self) -> None:
        self.dismiss(None)
