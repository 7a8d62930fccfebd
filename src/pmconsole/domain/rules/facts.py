"""Step 4, facts shared beforehand: evidence in time, a one-page summary.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import datetime

from pmconsole.domain.method import EVIDENCE_LEAD, PAGE_COLUMNS, PAGE_LINES, PAGE_WORDS, hours
from pmconsole.domain.model import Evidence, Session
from pmconsole.domain.rules.base import Finding, LogFacts, quote, rule
from pmconsole.domain.rules.phrasing import page_usage

_LEAD_HOURS = hours(EVIDENCE_LEAD)


def evidence_late(session: Session, item: Evidence) -> bool:
    """Whether a piece of evidence came in later than the method asks (before the meeting by
    EVIDENCE_LEAD); never while the meeting has no time."""
    at = session.meeting.scheduled_at
    return at is not None and item.submitted_at > at - EVIDENCE_LEAD


STEP = 4


@rule("facts.deadline", STEP)
def facts_deadline(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    return [
        Finding(
            "facts.deadline", "warn", STEP,
            f"Evidence {quote(item.reference)} came in "
            + ("after the meeting." if item.submitted_at > session.meeting.scheduled_at  # type: ignore[operator]
               else f"less than {_LEAD_HOURS} h before the meeting."),
            f"Ask for evidence {_LEAD_HOURS} hours ahead so everyone can read it; mention it "
            "came late.",
            item.id,
        )
        for item in session.evidence
        if evidence_late(session, item)
    ]


@rule("facts.one_page", STEP)
def facts_one_page(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    words, lines = page_usage(session.summary)
    if words <= PAGE_WORDS and lines <= PAGE_LINES:
        return []
    return [
        Finding(
            "facts.one_page", "block", STEP,
            f"The incident summary is {words} words and {lines} lines; one page is at most "
            f"{PAGE_WORDS} words and {PAGE_LINES} lines of {PAGE_COLUMNS} columns.",
            "Shorten the summary to one page; link the details instead.",
        )
    ]
