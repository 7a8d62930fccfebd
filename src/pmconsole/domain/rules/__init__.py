"""The method's rules: pure functions from a session (plus the log and the time) to findings.

Each rule of SPEC section 2 is one function, registered with ``@rule(id, step)`` in the module
of its step (schedule, question, safety, facts, timeline, factors, actions, wrapup); importing
this package imports them all, so ``RULES`` holds every one. A rule reads the session, the
facts the post-mortem log knows (``LogFacts``) and the ``now`` it is given, and returns
``Finding`` objects; it never changes anything, never reads a file and never reads the clock,
so the console, ``pmconsole check``, the exporters and the tests all get the same answer. Only
the entry points fall back on the wall clock when their caller gives no time: ``check`` without
``now``, and ``check_new_action`` with neither a scheduled meeting nor a meeting day.

The method's numbers live in ``pmconsole.domain.method``. Messages are plain sentences. They
may quote user text, as plain text: whoever shows them must show them literally (the UI
renders them without markup).

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from pmconsole.domain.model import Session
# Each step's module registers its rules as it is imported.
from pmconsole.domain.rules import (  # noqa: F401
    actions, factors, facts, question, safety, schedule, timeline, wrapup,
)
from pmconsole.domain.rules.actions import check_new_action, open_limit
from pmconsole.domain.rules.base import (
    ADVANCE_GUARDS,
    RULE_STEPS,
    RULES,
    SEVERITIES,
    Finding,
    LogFacts,
    PastSession,
    Rule,
    followup_review_date,
    meeting_day,
    rule,
    sort_key,
)
from pmconsole.domain.rules.facts import evidence_late, facts_one_page
from pmconsole.domain.rules.phrasing import (
    blame_phrases,
    is_measurable,
    is_question,
    page_usage,
    reframe_hint,
)
from pmconsole.domain.rules.question import MEASURABLE_QUESTION_HINT
from pmconsole.domain.rules.safety import (
    SpeakerPlan,
    open_round_minutes,
    speaker_plan,
    speaking_order,
)
from pmconsole.domain.rules.schedule import meeting_timing, next_note_taker, since_incident
from pmconsole.domain.rules.wrapup import review_outside_window

__all__ = [
    "ADVANCE_GUARDS", "MEASURABLE_QUESTION_HINT", "RULES", "RULE_STEPS",
    "SEVERITIES", "Finding", "LogFacts", "PastSession", "Rule", "SpeakerPlan",
    "blame_phrases", "blocks", "check", "check_new_action", "evidence_late",
    "facts_one_page", "findings_for_step", "followup_review_date", "is_measurable",
    "is_question", "meeting_day", "meeting_timing", "next_note_taker", "open_limit", "open_round_minutes",
    "page_usage", "reframe_hint", "review_outside_window", "rule", "since_incident",
    "speaker_plan", "speaking_order",
]


def check(
    session: Session, log: LogFacts | None = None, now: datetime | None = None
) -> list[Finding]:
    """Every finding of every rule, by step, then block before warn before info, then rule."""
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    log = log or LogFacts()
    findings = [f for rule in RULES.values() for f in rule(session, log, now)]
    # sorted() is stable: one rule's findings keep their own order (timeline, roster, ...).
    return sorted(findings, key=sort_key)


def blocks(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "block"]


def findings_for_step(findings: Iterable[Finding], step: int) -> list[Finding]:
    return [f for f in findings if f.step == step]
