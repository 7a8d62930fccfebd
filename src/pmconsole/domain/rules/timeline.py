"""Step 5, the timeline: its time-box, and facts that read like interpretations.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import functools
from datetime import datetime

from pmconsole.domain.method import TIMELINE_MINUTES, TIMELINE_STEP
from pmconsole.domain.model import BY_TIME, Session
from pmconsole.domain.rules.base import Finding, LogFacts, quote, rule
from pmconsole.domain.rules.phrasing import INTERPRETIVE

STEP = TIMELINE_STEP


def _minutes_spent(session: Session, step: int) -> int | None:
    """The whole minutes a step got, from its recorded start to its end, blame pauses left out
    (its countdown stops for them); None while it has not ended."""
    record = next((s for s in session.steps if s.id == str(step)), None)
    if record is None or record.started_at is None or record.ended_at is None:
        return None
    start, end = record.started_at, record.ended_at
    paused = 0.0
    for pause in session.pauses:
        overlap = (min(pause.ended_at or end, end) - max(pause.started_at, start)).total_seconds()
        paused += max(0.0, overlap)
    return int(((end - start).total_seconds() - paused) // 60)


@rule("timeline.timebox", STEP, guards_advance=True)
def timeline_timebox(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    minutes = session.step_budgets()[TIMELINE_STEP - 1]
    low, high = TIMELINE_MINUTES
    findings = []
    if not low <= minutes <= high:
        findings.append(
            Finding(
                "timeline.timebox", "block", STEP,
                f"The timeline has {minutes} minutes, outside {low}–{high}.",
                f"Give the timeline reconstruction {low}–{high} minutes.",
            )
        )
    # Once the timeline has ended, judge the time it got; while it runs its countdown already
    # shows any overtime.
    spent = _minutes_spent(session, TIMELINE_STEP)
    if spent is not None and not low <= spent <= high:
        findings.append(
            Finding(
                "timeline.timebox", "warn", STEP,
                f"The timeline got {spent} minutes, "
                + (f"less than {low}." if spent < low else f"more than {high}."),
                f"A rushed timeline misses what happened: check it for gaps, and give it "
                f"{low}–{high} minutes next time."
                if spent < low
                else f"The conditions and actions now have less time: keep to their budgets, "
                f"and plan the timeline's {low}–{high} minutes next time.",
            )
        )
    return findings


@functools.lru_cache(maxsize=20_000)
def _interpretive_word(text: str) -> str:
    """The first interpretive word in an event's text ("" if none). Remembered by text: the
    rules run after every edit, and most events have not changed."""
    match = INTERPRETIVE.search(text)
    return match.group() if match else ""


@rule("timeline.basis", STEP)
def timeline_basis(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    # Every event carries a basis, so the check is whether one marked "fact" reads like an
    # interpretation: a word like "probably" or "because" is a guess about why, not an
    # observation.
    # The events are looked at in file order and only the few found are put in time order:
    # sorting thousands of events after every edit would cost more than the check.
    found = [e for e in session.timeline if e.basis == "fact" and _interpretive_word(e.text)]
    return [
        Finding(
            "timeline.basis", "warn", STEP,
            f"An event marked as fact reads like an interpretation "
            f"('{_interpretive_word(event.text)}'): {quote(event.text)}.",
            "Mark it as interpretation, or split it into what was seen and what was thought.",
            event.id,
        )
        for event in sorted(found, key=BY_TIME)
    ]
