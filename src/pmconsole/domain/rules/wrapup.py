"""The wrap-up: the follow-up review and the anonymous feedback form.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pmconsole.domain.method import FOLLOWUP, FOLLOWUP_DAYS
from pmconsole.domain.model import WRAP_UP, Session
from pmconsole.domain.rules.base import (
    Finding,
    LogFacts,
    followup_review_date,
    meeting_day,
    rule,
    today,
)

STEP = WRAP_UP


def review_outside_window(session: Session, day: date) -> Finding | None:
    """What is wrong with holding the follow-up review on ``day``, None if nothing: the method
    holds it after the meeting and within FOLLOWUP_DAYS of it. Shared by the rule, the
    wrap-up's date field and ``pmconsole followup set``, which refuse such a date."""
    meeting = meeting_day(session)
    if meeting is None:
        return Finding(
            "followup.review", "warn", STEP,
            f"The meeting has no date yet, so a follow-up review on {day.isoformat()} cannot "
            f"be placed within {FOLLOWUP_DAYS} days of it.",
            f"Schedule the meeting first (step 1); the review then defaults to {FOLLOWUP} "
            "after it.",
        )
    days = (day - meeting).days
    if 1 <= days <= FOLLOWUP_DAYS:
        return None
    when = (
        "on the day of the meeting" if days == 0
        else f"{-days} day{'s' if days != -1 else ''} before the meeting" if days < 0
        else f"{days} days after the meeting"
    )
    last = meeting + timedelta(days=FOLLOWUP_DAYS)
    return Finding(
        "followup.review", "warn", STEP,
        f"A follow-up review on {day.isoformat()} is {when}, not within the "
        f"{FOLLOWUP_DAYS} days after it.",
        f"Choose a day from {(meeting + timedelta(days=1)).isoformat()} to "
        f"{last.isoformat()}, while the actions are fresh.",
    )


@rule("followup.review", STEP)
def followup_review(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    findings = []
    if session.followup_review_at and (
        outside := review_outside_window(session, session.followup_review_at)
    ):
        findings.append(outside)  # a date set by hand in the file, or before the meeting moved
    review = followup_review_date(session)
    still_open = len(session.open_actions())
    if session.followup_review_held:  # held (`pmconsole review`): each open action was looked at
        return findings
    if review is None or today(session, now) <= review or not still_open:
        return findings
    findings.append(
        Finding(
            "followup.review", "warn", STEP,
            f"The follow-up review was due on {review.isoformat()}; {still_open} action "
            f"item{'s are' if still_open != 1 else ' is'} still open.",
            "Hold the review and publish the progress of every action.",
        )
    )
    return findings


@rule("feedback.anonymous", STEP)
def feedback_anonymous(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    if session.feedback:
        return []  # answers are in: the form was offered, and the wrap-up shows them
    if not session.meeting.feedback_offered:
        return [
            Finding(
                "feedback.anonymous", "info", STEP,
                "Offer the anonymous feedback form after the meeting.",
                "It captures concerns people did not voice in the room.",
            )
        ]
    return [
        Finding(
            "feedback.anonymous", "info", STEP,
            "The anonymous feedback form was offered; no answers yet.",
            "Ask each participant to run `pmconsole feedback FILE` before leaving.",
        )
    ]
