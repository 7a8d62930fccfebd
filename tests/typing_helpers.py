"""How tests type and set a session up as a facilitator would: keys in bursts, seven open
actions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual import events

from pmconsole.domain.model import ActionItem
from session_files import load_session, save_session


async def go_to(pilot, step: int, *, start: bool = False) -> None:
    """Move the meeting to ``step`` one step at a time, as F4 does (each step's records, its
    guards, step 3's queue), without drawing the steps between: walking with the keys is the
    journey's test (test_journey.py), and drawing each step made most tests several times
    slower. ``start``: the meeting started first, as F5 does. Returns once the step's view is
    complete (the parts below its first screenful are there)."""
    app = pilot.app
    screen = app.console_screen()
    if start and not app.meeting.started:
        screen.action_start_meeting()
    while app.meeting.step < step:
        before = app.meeting.step
        screen.go_to(before + 1)
        assert app.meeting.step == before + 1, "the meeting did not move on"
    await pilot.pause()
    view = app.screen.query_one(f"#step-{step}")
    await until(pilot, lambda: view.complete, f"step {step} complete")


async def answer(pilot, key: str) -> None:
    """Answer a question that appeared on its own (an import to confirm, a merge to decide),
    as a person does: after reading it, not in its first moment (dialogs/read_first.py)."""
    from pmconsole.tui.dialogs.read_first import READ_FIRST

    await pilot.pause(READ_FIRST)
    await pilot.press(key)


def burst(app, *keys: str) -> None:
    """Keys as a terminal delivers a burst (tmux send-keys, a paste over ssh): all queued
    before the first is handled. A key is a character, or a name in angle brackets (<tab>,
    <ctrl+s>, <f4>)."""
    for part in keys:
        if part.startswith("<") and part.endswith(">"):
            app.post_message(events.Key(part[1:-1], None))
            continue
        for char in part:
            app.post_message(events.Key("space" if char == " " else char, char))


async def until(pilot, condition, what: str) -> None:
    """Wait for ``condition`` as the app runs, ten seconds at most."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never came: {what}")


def seven_open(path: Path):
    """The session at ``path`` with seven open actions, the method's limit."""
    session = load_session(path)
    day = session.meeting.scheduled_at.date()
    while len(session.open_actions()) < 7:
        n = len(session.actions)
        session.actions.append(ActionItem(id=f"a-extra-{n}", title=f"Extra action {n}",
                                          owner="Lin Chen", due=day + timedelta(days=14),
                                          criterion="Alert fires within 5 minutes"))
    save_session(path, session)
    return session
