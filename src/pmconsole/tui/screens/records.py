"""Plain read-only lists of factors and actions, for step 6, step 7 and the note-taker's pane,
until their editing panels arrive."""

from __future__ import annotations

from pmconsole.domain.method import ACTIONS_AGREED, FACTORS_PER_EVENT, OPEN_LIMIT, span
from pmconsole.domain.model import Session


def factors_text(session: Session) -> str:
    lines = []
    for event in session.major_events():
        linked = [f for f in session.factors if event.id in f.event_ids]
        lines.append(
            f"★ {session.local(event.at):%H:%M} {event.text}\n"
            f"  What conditions enabled this?  ({len(linked)} of {span(FACTORS_PER_EVENT)})"
        )
        for factor in linked:
            lines.append(f"  – [{factor.category or 'no category'}] {factor.text}")
    loose = [f for f in session.factors if not f.event_ids]
    if loose:
        lines.append("Not linked to an event:")
        lines.extend(f"  – [{f.category or 'no category'}] {f.text}" for f in loose)
    return "\n".join(lines) or "No major events marked yet (m on the timeline marks one)."


def actions_text(session: Session) -> str:
    open_count = len(session.open_actions())
    lines = [f"{open_count} of {OPEN_LIMIT} open · aim for {span(ACTIONS_AGREED)} agreed actions"]
    for a in session.actions:
        due = a.due.isoformat() if a.due else "no due date"
        lines.append(f"[{a.status}] {a.title}\n    owner {a.owner or '—'} · due {due}")
        lines.append(f"    done when: {a.criterion or '—'}")
    return "\n".join(lines)
