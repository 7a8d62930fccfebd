"""User text is never markup: hostile strings in every field show literally and trigger nothing."""

from __future__ import annotations

import html
import re

import pytest

from pmconsole.domain.model import ContributingFactor, Evidence, Participant, TimelineEvent
from session_files import load_session, save_session
from snapshot_app import MEETING_TIME, console, demo_copy

HOSTILE = ["[bold]B1[/bold]", "[@click=app.quit]Q1[/]", "[/]", "[link=file:///etc/passwd]L1[/link]"]


def screen_text(app) -> str:
    svg = app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", svg)
    return html.unescape(text).replace("\xa0", " ")


@pytest.fixture
def hostile_demo(tmp_path):
    path = demo_copy(tmp_path)
    session = load_session(path)
    s = " ".join(HOSTILE)
    session.incident.title = f"T {s}"
    session.incident.tags = ["[bold]tag[/]", "[/]"]
    session.question.text = f"Q {HOSTILE[0]} {HOSTILE[1]}?"
    session.meeting.statement = f"S {s}"
    session.summary = f"Summary {s}"
    session.participants.insert(0, Participant(id="p-hostile", name="[bold]Eve[/]", seniority="junior"))
    session.evidence.insert(0, Evidence(reference=f"R {HOSTILE[1]}", submitted_by="[/]",
                                         submitted_at=MEETING_TIME))
    session.timeline.insert(0, TimelineEvent(at=session.incident.started_at, text=f"E {s}",
                                             source="[/][b]src", major=True))
    session.factors.insert(0, ContributingFactor(text=f"F {s}", category="tooling",
                                                 event_ids=[session.timeline[0].id]))
    session.actions[0].title = f"A {HOSTILE[1]}"
    session.actions[0].owner = "[bold]Own[/]"
    session.actions[0].criterion = f"C {HOSTILE[2]} 5 min"
    save_session(path, session)
    return path


def assert_literal(text: str, *needles: str) -> None:
    for needle in needles:
        assert needle in text, f"{needle!r} not shown literally"


async def test_every_step_shows_user_text_literally(hostile_demo):
    app = console(hostile_demo)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        # Step 1: title, tags, roster; the header shows the question.
        assert_literal(text, f"T {' '.join(HOSTILE)}", "[bold]tag[/], [/]", "[bold]Eve[/]",
                       f"Q {HOSTILE[0]} {HOSTILE[1]}?")
        await pilot.press("f4", "f4")
        await pilot.pause()
        text = screen_text(app)
        assert_literal(text, f"S {' '.join(HOSTILE)}", "[bold]Eve[/]")  # statement, queue
        await pilot.press("f4")
        await pilot.pause()
        text = screen_text(app)
        assert_literal(text, f"R {HOSTILE[1]}", f"Summary {' '.join(HOSTILE)}")
        await pilot.press("f4")
        await pilot.pause()
        text = screen_text(app)
        assert_literal(text, f"E {' '.join(HOSTILE)}", "[/][b]src")
        # Clicking where the hostile text is does not quit the app.
        await pilot.click("#timeline", offset=(40, 1))
        await pilot.pause()
        assert app.is_running
        await pilot.press("escape")  # the click opened the event's form
        await pilot.press("f4")
        await pilot.pause()
        # Choose the hostile event: its text heads the conditions, in full.
        events = app.screen.query_one("#events")
        majors = [e.id for e in app.store.session.major_events()]
        events.highlighted = majors.index(app.store.session.factors[0].event_ids[0])
        await pilot.pause()
        assert_literal(screen_text(app), f"E {' '.join(HOSTILE)}", f"F {' '.join(HOSTILE)}")
        await pilot.press("f4")
        await pilot.pause()
        assert_literal(screen_text(app), f"A {HOSTILE[1]}", "[bold]Own[/]", f"C {HOSTILE[2]} 5 min")
        assert app.is_running


async def test_the_notes_pane_shows_user_text_literally(hostile_demo):
    app = console(hostile_demo, role="notes")
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert_literal(screen_text(app), f"Q {HOSTILE[0]} {HOSTILE[1]}?")
        await pilot.press("f7")  # the Timeline tab
        await pilot.pause()
        assert_literal(screen_text(app), f"E {' '.join(HOSTILE)}")
        assert app.is_running
