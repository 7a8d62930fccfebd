"""Wrap-up: the findings across all steps, the follow-up review date, tags for the log, the next
note-taker, and the exports and the anonymous feedback form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from pmconsole.domain import rules
from pmconsole.domain.method import FOLLOWUP, FOLLOWUP_DAYS
from pmconsole.domain.model import counted
from pmconsole.exporters import FORMATS
from pmconsole.tui.keys import key_hint
from pmconsole.tui.widgets.fields import BoundInput, FieldRef, format_tags, parse_day, parse_tags
from pmconsole.tui.widgets.related import RelatedList
from pmconsole.tui.widgets import show_text
from pmconsole.tui.screens.base import StepView, field_rows

MARK = {"block": "■", "warn": "▲", "info": "●"}


class WrapUpStep(StepView, can_focus=True):  # focused itself: see take_focus
    step = 8

    BINDINGS = [
        *(Binding(f.key, f"export('{f.name}')", f.label, id=f"wrapup.{f.name}", show=False)
          for f in FORMATS.values()),
        Binding("v", "app.hold_review", "Two-week review", id="wrapup.review", show=False),
    ]

    DEFAULT_CSS = """
    WrapUpStep #findings-all { height: auto; }
    WrapUpStep #review-hint { margin: 0 0 1 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Wrap-up", classes="section")
        yield from field_rows(
            ("Follow-up date", BoundInput(
                FieldRef("session", "followup_review_at"), parse=self._review_day,
                fmt=self._review_text, while_typing=False, id="review",
            )),
        )
        yield Static("", id="review-hint", classes="hint", markup=False)
        yield from field_rows(
            ("Log tags", BoundInput(FieldRef("incident", "tags"), parse=parse_tags, fmt=format_tags)),
        )
        yield Static("", id="next", markup=False)
        yield Static("Findings across the meeting", classes="section")
        yield Static("", id="findings-all", markup=False)
        yield Static("Related post-mortems: shared tags or words (Enter shows one)", classes="section")
        yield RelatedList(id="related")
        yield Static("Anonymous feedback", classes="section")
        yield Static("", id="feedback", markup=False)
        yield Static("After the meeting", classes="section")
        exports = " · ".join(f"{f.key} {f.description}" for f in FORMATS.values())
        yield Static(
            f"Export, written beside the session file: {exports} (also in Ctrl+P). In a field, "
            "Enter saves it and gives these keys back.\n"
            "Anonymous feedback: each participant runs `pmconsole feedback FILE` in a terminal "
            "before leaving.\n"
            f"Two-week review: {key_hint(self, ('wrapup.review', 'walks'))} each action for its "
            "status and a note, marks the review held and writes the progress report.",
            classes="hint",
        )

    def take_focus(self) -> None:
        # The view itself, not the tags field: the export keys work at once.
        self.focus()

    @on(Input.Submitted)
    def _back_to_the_exports(self, event: Input.Submitted) -> None:
        """Enter saves a field (the field's own handler, first) and gives the keys back to the
        exports: an "h" typed next exports, it is not typed into the tags."""
        if not event.input.has_class("-invalid"):
            self.focus()

    # -- the follow-up review ---------------------------------------------------------------
    # Unset, the review is two weeks after the meeting (rules.followup_review_date), and the
    # field shows that date: the one the exports and the calendar carry. It is shown, not
    # written, so opening the wrap-up changes nothing and the default follows the meeting if
    # the meeting moves; a date typed here is stored, and emptying the field goes back to it.

    def _review_text(self, value: Any) -> str:
        day = value or rules.followup_review_date(self.session)
        return day.isoformat() if day else ""

    def _review_day(self, text: str) -> date | None:
        day = parse_day(text)
        if day is None:
            return None  # the default again
        outside = rules.review_outside_window(self.session, day)
        if outside:
            raise ValueError(f"{outside.rule}: {outside.message} {outside.hint}")
        return day

    @on(Input.Submitted, "#review")
    def _show_review_again(self) -> None:
        # Emptied and saved, the field shows the default it now stands for (a refused date
        # stays as typed: show_value leaves a field with unsaved typing alone).
        self.query_one("#review", BoundInput).show_value(self.session)

    def _review_hint(self) -> str:
        day = rules.meeting_day(self.session)
        if day is None:
            return "Set the meeting's date (step 1) first: the review follows it."
        first, last = day + timedelta(days=1), day + timedelta(days=FOLLOWUP_DAYS)
        set_here = self.session.followup_review_at is not None
        when = "Set here" if set_here else f"{FOLLOWUP.capitalize()} after the meeting unless changed"
        return (
            f"{when}; "
            f"any day from {first.isoformat()} to {last.isoformat()}. Enter saves; empty goes "
            f"back to {FOLLOWUP}. The review publishes the progress of every action."
        )

    def action_export(self, fmt: str) -> None:
        self.app.console_screen().export(fmt)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        now = self.app.clock.now()
        taker = rules.next_note_taker(session, self.app.meeting_run.log)
        show_text(self.query_one("#review-hint", Static), self._review_hint())
        show_text(self.query_one("#next", Static),
            f"Suggested note-taker next time: {taker.name if taker else '—'}"
        )
        lines = Text()
        for f in rules.check(session, self.app.meeting_run.log, now):
            style = {"block": "bold red", "warn": "yellow", "info": "dim"}[f.severity]
            where = "wrap-up" if f.step > 7 else f"step {f.step}"
            lines.append(f"{MARK[f.severity]} {where} {f.rule}: ", style)
            lines.append(f"{f.message}\n")
        show_text(self.query_one("#findings-all", Static), lines or "Nothing to report.")
        answers = sorted(session.feedback, key=lambda f: f.id)
        ratings = [f.rating for f in answers if f.rating is not None]
        text = Text(counted(len(answers), "answer"))
        if ratings:
            text.append(f" · felt safe to speak: {sum(ratings) / len(ratings):.1f} of 5 on average")
        for answer in answers:
            for label, value in (("went well", answer.comment), ("not said", answer.unsaid)):
                if value:
                    text.append(f"\n  – {label}: ")
                    text.append(value)
        show_text(self.query_one("#feedback", Static), text)
