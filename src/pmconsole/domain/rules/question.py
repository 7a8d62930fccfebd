"""Step 2, the learning question: one question, measurable.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import datetime

from pmconsole.domain.method import SAFETY_STEP
from pmconsole.domain.model import Session
from pmconsole.domain.rules.base import Finding, LogFacts, rule, step_started
from pmconsole.domain.rules.phrasing import is_measurable, is_question

STEP = 2


@rule("question.one", STEP, guards_advance=True)
def question_one(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    question = session.question
    text = question.text.strip()
    if not text:
        return [
            Finding(
                "question.one", "block", STEP,
                "No learning question is set.",
                "State one concrete question, e.g. 'Recovery took 45 minutes; how do we "
                "bring it to 20?'",
            )
        ]
    findings = []
    if not is_question(text):
        several = text.count("?") > 1
        findings.append(
            Finding(
                "question.one", "block", STEP,
                "The learning question holds more than one question."
                if several
                else "The learning question is not phrased as a question.",
                "Keep exactly one question, ending with a question mark.",
            )
        )
    safety_started = step_started(session, SAFETY_STEP)
    if safety_started and (question.set_at is None or question.set_at > safety_started):
        findings.append(
            Finding(
                "question.one", "block", STEP,
                f"The learning question was not set before step {SAFETY_STEP} started.",
                f"Set the question in step {STEP}, then start step {SAFETY_STEP} again.",
            )
        )
    return findings


# How to make a learning question measurable: the rule's hint, and step 2's as it is typed.
MEASURABLE_QUESTION_HINT = (
    "Name a number, a duration or a rate: 'how do we bring recovery from 45 to 20 minutes?'"
)


@rule("question.measurable", STEP)
def question_measurable(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    text = session.question.text.strip()
    if not text or is_measurable(text):
        return []  # no question at all is question.one's to say
    return [
        Finding(
            "question.measurable", "warn", STEP,
            "The learning question names no measurable change.",
            MEASURABLE_QUESTION_HINT,
        )
    ]
