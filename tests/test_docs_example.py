"""The documented file format cannot drift from the code, and the bundled demo stays usable.

docs/session-format.md ends with a complete example session in a ```toml block; it must load, and
pmconsole must write it back byte for byte. sessions/demo.toml is what `make demo` shows.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from pmconsole.domain.model import SCHEMA_VERSION, budgets_for
from pmconsole.storage.toml_file import dump_session, parse_session
from session_files import load_session

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "session-format.md"
DEMO = ROOT / "sessions" / "demo.toml"


def example_block() -> str:
    text = DOC.read_text(encoding="utf-8")
    heading = text.index("\n## A complete example")
    match = re.search(r"^```toml\n(.*?)^```$", text[heading:], re.MULTILINE | re.DOTALL)
    assert match, "no ```toml block under 'A complete example'"
    return match.group(1)


def test_doc_example_loads_and_round_trips() -> None:
    block = example_block()
    session = parse_session(block.encode("utf-8"), DOC)
    assert session.schema_version == SCHEMA_VERSION
    assert dump_session(session).decode("utf-8") == block


def test_doc_example_shows_every_list() -> None:
    session = parse_session(example_block().encode("utf-8"), DOC)
    for name in (
        "participants", "steps", "speaker_turns", "pauses", "evidence",
        "timeline", "factors", "actions", "feedback", "notes",
    ):
        assert getattr(session, name), f"the example has no {name}"
    assert any(a.history for a in session.actions)


def test_demo_round_trips() -> None:
    data = DEMO.read_bytes()
    session = load_session(DEMO)
    assert dump_session(session) == data


def test_demo_is_a_full_session() -> None:
    session = load_session(DEMO)
    assert len(session.timeline) >= 25
    assert len(session.participants) >= 6
    assert len({p.seniority for p in session.participants}) >= 3
    assert len(session.actions) == 4
    facilitator = session.participant(session.meeting.facilitator)
    assert facilitator is not None and not facilitator.involved
    note_taker = session.participant(session.meeting.note_taker)
    assert note_taker is not None and note_taker.id != facilitator.id


def test_demo_fits_the_method() -> None:
    session = load_session(DEMO)
    meeting_at = session.meeting.scheduled_at
    assert meeting_at is not None
    delay = meeting_at - session.incident.resolved_at
    assert timedelta(hours=48) <= delay <= timedelta(hours=72)
    assert not session.meeting.step_budgets
    assert 15 <= budgets_for(session.meeting.planned_minutes)[4] <= 25
    # Exactly one piece of evidence came in late, so the facts step has something to flag.
    late = [e for e in session.evidence if e.submitted_at > meeting_at - timedelta(hours=24)]
    assert len(late) == 1
    events = {e.id for e in session.timeline}
    factors = {f.id for f in session.factors}
    for major in session.major_events():
        linked = [f for f in session.factors if major.id in f.event_ids]
        assert 3 <= len(linked) <= 5, major.text
    for factor in session.factors:
        assert factor.category is not None
        assert set(factor.event_ids) <= events
    meeting_day = session.local(meeting_at).date()
    for action in session.actions:
        assert action.owner and action.criterion and action.due
        assert 7 <= (action.due - meeting_day).days <= 21
        assert set(action.factor_ids) <= factors


def test_demo_has_no_blocking_findings_at_meeting_time() -> None:
    from pmconsole.domain import rules

    session = load_session(DEMO)
    findings = rules.check(session, now=session.meeting.scheduled_at)
    assert not [f for f in findings if f.severity == "block"]
    # The one late piece of evidence is the demo's deliberate warning.
    assert [f.rule for f in findings if f.severity == "warn"] == ["facts.deadline"]
