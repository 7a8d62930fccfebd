"""Wrap-up: the findings across all steps, the follow-up review date, what comes next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from .. import rules
from .base import StepView


class WrapUpStep(StepView):
    step = 8

    def compose(self) -> ComposeResult:
        yield Static("Wrap-up", classes="section")
        yield Static("", id="wrapup", markup=False)

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        now = self.app.clock.now()  # type: ignore[attr-defined]
        findings = rules.check(session, now=now)
        review = rules.followup_review_date(session)
        taker = rules.next_note_taker(session, None)
        lines = [
            f"Follow-up review: {review.isoformat() if review else 'set a meeting date first'}",
            f"Next note-taker: {taker.name if taker else '—'}",
            f"Tags for the log: {', '.join(session.incident.tags) or '—'}",
            "",
            "Findings across the meeting:",
        ]
        for f in findings:
            lines.append(f"  {f.severity:5} step {f.step} {f.rule}: {f.message}")
        lines.append("")
        lines.append("Exports (Markdown, HTML, JSON, iCalendar, CSV) are in the command palette.")
        self.query_one("#wrapup", Static).update("\n".join(lines))
