"""The meeting clock follows the meeting: the facilitator starts it, the blame pause stops it,
the wrap-up ends it, a reopened console goes on from the recorded start, and every pane of the
session shows the same time. Driven by keys and the command palette, on a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmconsole.domain.clock import FakeClock
from pmconsole.domain.model import WRAP_UP
from session_files import load_session
from pmconsole.tui.widgets.countdown import CountdownDisplay
from pmconsole.tui.widgets.header import MeetingHeader
from snapshot_app import MEETING_TIME, console, demo_copy

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


def clock_text(app) -> str:
    """The meeting clock as the pane's header shows it now ("12:05 / 75:00")."""
    screen = app.console_screen() or app.screen  # the console under the pause banner
    screen.refresh_header()
    right = screen.query_one(MeetingHeader).shown()[1][0]
    return right.split("  ")[0]


def said(app) -> list[str]:
    """What the app says in notifications from now on."""
    messages: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        messages.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return messages


async def run_command(pilot, name: str) -> None:
    """Run a command of the palette by its name, as a facilitator would: Ctrl+P, type, Enter."""
    from textual.command import CommandList

    await pilot.press("ctrl+p")
    await pilot.press(*name)
    for _ in range(100):  # the palette searches in the background
        await pilot.pause(0.02)
        found = pilot.app.screen.query(CommandList)
        if found and found.first().highlighted_option is not None:
            if name in str(found.first().highlighted_option.prompt):
                break
    else:
        raise AssertionError(f"the palette did not offer {name!r} first")
    await pilot.press("enter")
    await pilot.pause()


async def test_opening_the_console_starts_no_clock_and_changes_nothing_in_the_file(demo):
    before = demo.read_bytes()
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        clock.advance(600)
        assert clock_text(app) == "not started / 75:00"
        timer = app.screen.query_one("#step-timer", CountdownDisplay)
        timer.redraw()
        digits, caption, _ = timer.shown()
        assert digits == "03:00" and "not started" in caption  # the step's timer waits too
        assert app.store.session.meeting.started_at is None and not app.store.session.steps
    assert demo.read_bytes() == before


async def test_preparing_the_day_before_records_nothing_and_is_not_refused(demo):
    clock = FakeClock(wall=MEETING_TIME - timedelta(days=1))
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#start-offer").display  # a day early: no offer
        await pilot.press("f2")  # no meeting to pause
        await pilot.press("f4", "f4", "f4", "f4")  # to the timeline, to prepare it
        assert app.meeting.step == 5
        await pilot.press("f3", "f3", "f3", "f3")
        assert clock_text(app) == "not started / 75:00"
    session = load_session(demo)
    assert session.meeting.current_step == 1
    assert session.meeting.started_at is None and session.meeting.ended_at is None
    assert not session.steps and not session.pauses
    assert session.meeting.statement_shown_at is None and session.question.set_at is None


async def test_f5_starts_the_meeting_offered_on_the_first_screen_at_its_time(demo):
    clock = FakeClock(wall=MEETING_TIME)  # five minutes after the scheduled 09:00
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        clock_text(app)
        offer = app.screen.query_one("#start-offer")
        assert offer.display
        assert "scheduled for 09:00, 5 min ago" in str(offer.render())
        assert str(offer.render()).startswith("F5 starts the meeting")
        assert ("f5", "f5", "Start clock", True) in app.screen.query_one(
            "KeysFooter").keys_shown()
        clock.advance(30)
        await pilot.press("f5")
        started = clock.now()
        assert app.store.session.meeting.started_at == started
        assert {s.id: s.started_at for s in app.store.session.steps} == {"1": started}
        clock.advance(65)
        assert clock_text(app) == "01:05 / 75:00"
        assert not offer.display
        timer = app.screen.query_one("#step-timer", CountdownDisplay)
        timer.redraw()
        assert timer.shown()[0] == "01:55"  # 3 min budget, 65 s in
    assert load_session(demo).meeting.started_at == started


async def test_the_palette_starts_and_ends_the_meeting(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await run_command(pilot, "Start the meeting")
        started = clock.now()
        assert app.store.session.meeting.started_at == started
        clock.advance(240)
        await pilot.press("f4")  # step 2
        clock.advance(60)
        # The room's time is up: the meeting ends though steps 3-7 were not run.
        await run_command(pilot, "End the meeting")
        assert app.meeting.step == WRAP_UP
        assert app.store.session.meeting.ended_at == clock.now()
        clock.advance(600)
        assert clock_text(app) == "ended 05:00 / 75:00"


async def test_the_blame_pause_is_left_out_of_the_meeting_clock(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        clock.advance(120)  # the room gathers: the clock waits for the facilitator
        await pilot.press("f5")
        clock.advance(60)
        await pilot.press("f2")
        assert app.meeting.paused
        clock.advance(300)
        assert clock_text(app) == "01:00 / 75:00"
        await pilot.press("f2")
        clock.advance(30)
        assert clock_text(app) == "01:30 / 75:00"
    pauses = load_session(demo).pauses
    assert len(pauses) == 1 and (pauses[0].ended_at - pauses[0].started_at).total_seconds() == 300


async def test_the_wrap_up_ends_the_meeting_and_stops_its_clock(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        for _ in range(7):
            clock.advance(60)
            await pilot.press("f4")
        assert app.meeting.step == WRAP_UP
        ended = clock.now()
        assert app.store.session.meeting.ended_at == ended
        assert {s.id: s.ended_at for s in app.store.session.steps}["7"] == ended
        clock.advance(3600)
        assert clock_text(app) == "ended 07:00 / 75:00"
        await pilot.press("f3")  # back to fix an action after the meeting: it stays ended
        clock.advance(60)
        assert clock_text(app) == "ended 07:00 / 75:00"
        assert {s.id: s.ended_at for s in app.store.session.steps}["7"] == ended
    assert load_session(demo).meeting.ended_at == ended


async def test_a_console_reopened_after_a_crash_shows_the_time_since_the_start(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        clock.advance(300)  # the console was open before the meeting began
        await pilot.press("f5")
        started = clock.now()
        clock.advance(120)
        await pilot.press("f4")  # step 2, two minutes in
    # The console is gone (a crash, a closed terminal); the meeting in the room goes on.
    clock.advance(600)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert clock_text(app) == "12:00 / 75:00"
        timer = app.screen.query_one("#step-timer", CountdownDisplay)
        timer.redraw()
        assert timer.shown()[0] == "+05:00"  # step 2 has 5 minutes and ran 10
        assert app.store.session.meeting.started_at == started  # never started again
        clock.advance(60)
        assert clock_text(app) == "13:00 / 75:00"


async def test_the_console_and_the_notes_pane_show_the_same_meeting_clock(demo):
    clock = FakeClock(wall=MEETING_TIME)
    facilitator = console(demo, clock=clock)
    notes = console(demo, role="notes", clock=clock)
    async with facilitator.run_test(size=SIZE) as fp, notes.run_test(size=SIZE) as np_:

        async def both() -> tuple[str, str]:
            await fp.pause()
            notes.poll_store()  # what the notes pane's polling would take in
            await np_.pause()
            return clock_text(facilitator), clock_text(notes)

        assert await both() == ("not started / 75:00",) * 2
        clock.advance(45)
        await fp.press("f5")
        clock.advance(100)
        assert await both() == ("01:40 / 75:00",) * 2
        await fp.press("f2")
        clock.advance(200)
        assert await both() == ("01:40 / 75:00",) * 2
        await fp.press("f2")
        for _ in range(7):
            clock.advance(60)
            await fp.press("f4")
        clock.advance(900)  # after the wrap-up
        assert await both() == ("ended 08:40 / 75:00",) * 2


async def test_the_clock_restarts_on_step_1_when_confirmed_and_not_after_step_2(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = said(app)
        await pilot.press("f5")
        first = clock.now()
        clock.advance(90)  # a false start: the room is not ready
        await pilot.press("f5")
        assert any("Restart the meeting clock" in m and "F5 again" in m for m in messages)
        assert app.store.session.meeting.started_at == first  # asked, not done
        clock.advance(2)
        await pilot.press("f5")
        again = clock.now()
        assert app.store.session.meeting.started_at == again
        assert {s.id: s.started_at for s in app.store.session.steps} == {"1": again}
        assert clock_text(app) == "00:00 / 75:00"
        clock.advance(60)
        await pilot.press("f4", "f3")  # step 2 began, back on step 1
        messages.clear()
        await pilot.press("f5")
        await pilot.press("f5")
        assert app.store.session.meeting.started_at == again  # refused, twice
        assert messages and all("only on step 1" in m for m in messages)
        assert clock_text(app) == "01:00 / 75:00"


def test_the_summary_gives_the_length_the_meeting_clock_showed_at_the_end(make_session):
    from pmconsole import exporters
    from pmconsole.domain.model import Pause

    session = make_session()
    start = session.meeting.scheduled_at + timedelta(minutes=4)
    session.meeting.started_at = start
    session.meeting.ended_at = start + timedelta(minutes=71)
    session.pauses = [Pause(started_at=start + timedelta(minutes=30),
                            ended_at=start + timedelta(minutes=33))]
    summary = exporters.export(session, "md")
    assert "75 min planned, 68 min held" in summary  # 71 minutes less a 3-minute pause


async def test_a_meeting_ended_by_mistake_is_reopened_with_f5_twice(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        for _ in range(6):
            clock.advance(60)
            await pilot.press("f4")
        clock.advance(60)
        await pilot.press("f4")  # one F4 too many: the wrap-up, the meeting ended at 07:00
        clock.advance(20)
        await pilot.press("f3")  # back on step 7: still ended, nothing recorded
        assert clock_text(app) == "ended 07:00 / 75:00"
        await pilot.press("f5", "f5")
        assert app.store.session.meeting.ended_at is None
        steps = {s.id: s for s in app.store.session.steps}
        assert steps["7"].ended_at is None and steps["8"].ended_at == clock.now()
        clock.advance(40)
        assert clock_text(app) == "08:00 / 75:00"  # the 20 s at the wrap-up counted
        timer = app.screen.query_one("#step-timer", CountdownDisplay)
        timer.redraw()
        assert timer.shown()[2] == "running"


async def test_speakers_turns_wait_for_the_meeting_to_start(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = said(app)
        await pilot.press("f4", "f4")  # preparing step 3
        await pilot.press("n")
        assert not any(t.started_at for t in app.store.session.speaker_turns)
        assert any("has not started" in m for m in messages)


async def test_a_turn_s_clock_stops_with_the_meeting_and_when_step_3_is_left(demo):
    """A turn still running when the meeting left step 3, and when it ended: a console opened
    later counts it to that moment, not to now (it showed overtime for a turn of one minute)."""
    from pmconsole.domain.ops import set_op

    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5", "f4", "f4")
        assert app.meeting.step == 3
        await pilot.press("n")  # the first turn starts
        clock.advance(60)
        await pilot.press("f4")  # step 4: the turn's clock stops here
        clock.advance(600)
    reopened = console(demo, clock=clock)
    async with reopened.run_test(size=(120, 40)):
        assert reopened.meeting.speaker_countdown().run_time() == pytest.approx(60)
        reopened.edit(set_op("meeting", "ended_at", clock.now()))
    clock.advance(3600)
    later = console(demo, clock=clock)
    async with later.run_test(size=(120, 40)):
        assert later.meeting.speaker_countdown().run_time() == pytest.approx(60)
