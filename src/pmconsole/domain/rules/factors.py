"""Step 6, contributing conditions: enough per major event (FACTORS_PER_EVENT), systemic,
not about people.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import datetime

from pmconsole.domain.method import FACTORS_PER_EVENT, in_words
from pmconsole.domain.model import Session
from pmconsole.domain.rules.base import Finding, LogFacts, quote, rule
from pmconsole.domain.rules.phrasing import blame_phrases, reframe_hint

STEP = 6


@rule("factors.per_event", STEP)
def factors_per_event(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    low, high = FACTORS_PER_EVENT
    findings = []
    for event in session.major_events():
        count = sum(1 for f in session.factors if event.id in f.event_ids)
        if not low <= count <= high:
            findings.append(
                Finding(
                    "factors.per_event", "warn", STEP,
                    f"The major event {quote(event.text)} has {count} contributing "
                    f"condition{'s' if count != 1 else ''}, not {low}–{high}.",
                    f"Ask 'What conditions enabled this?' and keep the {in_words(low)} to "
                    f"{in_words(high)} that "
                    "matter most.",
                    event.id,
                )
            )
    return findings


@rule("factors.systemic", STEP)
def factors_systemic(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    names = [p.name for p in session.participants]
    findings = []
    for factor in session.factors:
        if factor.category is None:
            findings.append(
                Finding(
                    "factors.systemic", "warn", STEP,
                    f"The condition {quote(factor.text)} has no category.",
                    "Say which kind of condition it is: process, tooling, staffing, "
                    "communication or environment.",
                    factor.id,
                )
            )
        found = blame_phrases(factor.text, names)
        if found:
            findings.append(
                Finding(
                    "factors.systemic", "warn", STEP,
                    f"The condition {quote(factor.text)} points at a person "
                    f"({', '.join(found)}).",
                    reframe_hint(factor.text),
                    factor.id,
                )
            )
    return findings


# -- step 7: actions --------------------------------------------------------------------------
# Each per-action check is a small function, shared by its rule and by check_new_action.
