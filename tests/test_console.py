"""The facilitation console, driven by keys as a facilitator would, checked on the model."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from pmconsole.tui.app import PmConsole
from pmconsole.domain.clock import FakeClock
from pmconsole.domain.model import SENIORITY_ORDER, TimelineEvent
from pmconsole.domain.ops import add_op, set_op
from pmconsole.tui.screens.facts import FactsStep
from pmconsole.tui.widgets.fields import BoundInput
from pmconsole.tui.widgets.timeline_table import TimelineTable
from pmconsole.storage.session_store import SessionStore
from session_files import load_session
from snapshot_app import MEETING_TIME, console, demo_copy

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


async def focus_field(pilot, name: str) -> BoundInput:
    """The shown step's field for the model field ``name``, focused."""
    field = next(w for w in pilot.app.screen.query(BoundInput) if w.ref.field == name)
    field.focus()
    await pilot.pause()
    return field


def step_times(app: PmConsole) -> dict[str, tuple]:
    return {s.id: (s.started_at, s.ended_at) for s in app.store.session.steps}


async def test_f4_and_f3_move_through_the_steps_and_record_their_times(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        assert app.meeting.step == 1
        await pilot.press("f5")  # the meeting starts: from now on its steps' times are recorded
        clock.advance(120)
        await pilot.press("f4")
        assert app.store.session.meeting.current_step == 2
        times = step_times(app)
        assert times["1"][1] == clock.now()  # step 1 ended when we left it
        assert times["2"][0] == clock.now()
        await pilot.press("f3")
        assert app.store.session.meeting.current_step == 1
    # The step is in the TOML file after the move (a checkpoint at every step change).
    assert load_session(demo).meeting.current_step == 1


async def test_a_block_keeps_the_meeting_from_moving_on(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5", "f4")  # the meeting's moves are guarded once it has started
        app.edit(set_op("question", "text", ""))  # no learning question: question.one blocks
        await pilot.press("f4")
        assert app.meeting.step == 2
        assert any("question.one" in str(n.title) for n in app.told)


async def test_the_blame_pause_stops_every_timer_and_is_recorded(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        meeting = app.meeting
        await pilot.press("f5")
        clock.advance(30)
        step_left = meeting.step_countdown(1).remaining()
        meeting_run = meeting.meeting_clock().elapsed
        await pilot.press("f2")
        assert meeting.paused
        assert type(app.screen).__name__ == "PauseScreen"
        clock.advance(300)
        assert meeting.step_countdown(1).remaining() == step_left
        assert meeting.meeting_clock().elapsed == meeting_run
        await pilot.press("f2")
        assert not meeting.paused
        assert type(app.screen).__name__ == "ConsoleScreen"
        clock.advance(10)
        assert meeting.step_countdown(1).remaining() == pytest.approx(step_left - 10)
    pauses = load_session(demo).pauses
    assert len(pauses) == 1
    assert (pauses[0].ended_at - pauses[0].started_at).total_seconds() == 300
    assert set(type(pauses[0]).model_fields) == {"id", "started_at", "ended_at"}  # no names


async def test_step_3_queues_junior_people_first_with_facilitator_and_note_taker_last(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5", "f4", "f4")
        session = app.store.session
        queue = [session.participant(t.participant_id) for t in session.speaker_queue()]
        assert len(queue) == len(session.participants)
        last = {session.meeting.facilitator, session.meeting.note_taker}
        assert {p.id for p in queue[-2:]} == last
        ranks = [SENIORITY_ORDER[p.seniority] for p in queue[:-2]]
        assert ranks == sorted(ranks)
        assert session.meeting.statement_shown_at is not None
        await pilot.press("n")  # the first speaker starts
        current = app.meeting.current_turn()
        assert current is not None and current.started_at is not None
        assert current.participant_id == queue[0].id


async def test_step_4_flags_evidence_that_came_in_late(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4", "f4", "f4")
        await pilot.pause()
        table = app.screen.query_one("#evidence", DataTable)
        flags = {
            str(row.value): table.get_row(row)[0].plain for row in table.rows
        }
        late = {k for k, v in flags.items() if "LATE" in v}
        assert late == {"ev-provider"}


async def test_the_summary_counts_words_and_lines_against_the_page_limit(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4", "f4", "f4")
        await pilot.pause()
        view = app.screen.query_one(FactsStep)
        area = view.query_one("#summary")
        area.load_text("word " * 499)
        area.post_message(area.Changed(area))
        await pilot.pause()
        count = view.query_one("#page-count")
        assert "499 / 500 words" in str(count.render())
        assert not count.has_class("-over")
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press("space", "w", "o", "r", "d", "space", "m", "o", "r", "e")
        await pilot.pause()
        assert "501 / 500 words" in str(count.render())
        assert count.has_class("-over")
        await pilot.press("tab")  # leaving the field saves it at once
        await pilot.pause()
        assert app.store.session.summary.endswith("word more")


async def test_a_learning_question_survives_save_and_reopen(demo):
    app = console(demo)
    question = "Detection took 47 minutes; how do we detect this within 10 minutes?"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        field = app.screen.query_one("#question", Input)
        field.focus()
        field.value = ""
        await pilot.press(*question)
        await pilot.press("enter")
        await pilot.pause()
    reopened = SessionStore(demo)
    assert reopened.session.question.text == question
    assert reopened.session.question.set_at is not None
    assert load_session(demo).question.text == question  # and in the file, after exit


async def test_the_notes_pane_says_whose_step_its_notes_are_for_from_the_start(demo):
    notes = console(demo, role="notes")
    async with notes.run_test(size=SIZE) as pilot:
        await pilot.pause()
        title = str(notes.screen.query_one("#notes-title").render())
        assert title.startswith("Notes for Step 1") and "follows the facilitator" in title
        await pilot.press("f8")  # a half-typed note survives a quit that is not Ctrl+Q
        await pilot.press("f6")
        await pilot.press(*"typed, then the tab closed")
        notes.exit()
    assert any(n.text == "typed, then the tab closed" for n in load_session(demo).notes)


async def test_notes_typed_after_returning_to_a_step_go_at_the_end_of_its_notes(demo):
    app = console(demo, role="notes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"part one")
        app.save_typing()
    app = console(demo, role="notes")  # opened again: its notes are there from the start
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*",")
        await pilot.press("f4")  # the next step's notes (pinned)
        await pilot.pause()
        await pilot.press("f3")  # and back
        await pilot.pause()
        await pilot.press(*" and two")
        app.save_typing()
        await pilot.pause()
        assert app.screen.query_one("#notes").text == "part one, and two"
    assert any(n.text == "part one, and two" for n in load_session(demo).notes)


async def test_notes_being_typed_stay_with_their_step_until_the_note_taker_pauses(demo):
    """The facilitator moves on mid-sentence: the sentence stays whole, on its own step, and
    the notes follow once the typing pauses."""
    from pmconsole.tui.screens import notes as notes_screen

    app = console(demo, role="notes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"Facts note part one ")
        app.edit(set_op("meeting", "current_step", 2))  # the facilitator's F4, as seen here
        app.announce(frozenset({"meeting"}), local=False)
        await pilot.pause()
        await pilot.press(*"part two")
        app.save_typing()
        await pilot.pause()
        screen = app.screen
        assert screen.shown_step == 1
        assert "to the facilitator's step 2 when you pause" in str(
            screen.query_one("#notes-title").render())
        app.clock.advance(notes_screen.FOLLOW_QUIET)  # the note-taker has paused
        screen.refresh_header()
        await pilot.pause()
        assert screen.shown_step == 2
        assert "when you pause" not in str(screen.query_one("#notes-title").render())
    notes = {n.id: n.text for n in load_session(demo).notes}
    assert notes["1"] == "Facts note part one part two" and not notes.get("2")


async def test_the_notes_title_stops_waiting_when_the_facilitator_comes_back(demo):
    app = console(demo, role="notes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"mid-sentence")
        title = app.screen.query_one("#notes-title")
        for step, waiting in ((2, True), (1, False)):
            app.edit(set_op("meeting", "current_step", step))
            app.announce(frozenset({"meeting"}), local=False)
            await pilot.pause()
            assert ("when you pause" in str(title.render())) is waiting
            assert app.screen.shown_step == 1


async def test_two_panes_on_one_file_see_each_others_edits(demo):
    facilitator = console(demo, poll=True)
    notes = console(demo, role="notes", poll=True)
    async with facilitator.run_test(size=SIZE) as fp, notes.run_test(size=SIZE) as np_:
        event = TimelineEvent(at=MEETING_TIME, text="added in the facilitator's pane")
        facilitator.edit(add_op("timeline", event))

        table = notes.screen.query_one("#timeline", TimelineTable)

        async def on_screen() -> bool:
            for _ in range(100):  # the notes pane polls every 150 ms; a loaded CI machine is slow
                await np_.pause(0.05)
                if any(table.row(i).text == event.text for i in range(table.row_count)):
                    return True
            return False

        assert await on_screen()
        # And the other way: a note typed in the notes pane reaches the facilitator.
        notes.edit(set_op("notes", "text", "from the note-taker", "1"))
        for _ in range(100):
            await fp.pause(0.05)
            if any(n.text == "from the note-taker" for n in facilitator.store.session.notes):
                break
        assert any(n.text == "from the note-taker" for n in facilitator.store.session.notes)


async def test_help_opens_for_the_current_step(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")  # step 2: focus is in the question field
        await pilot.press("f1")
        assert type(app.screen).__name__ == "HelpScreen"
        assert "Step 2: Learning question" in str(app.screen.query_one(".title").render())
        await pilot.press("escape")
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("question_mark")  # the speaker table has focus: ? is help
        assert type(app.screen).__name__ == "HelpScreen"
        assert "Step 3" in str(app.screen.query_one(".title").render())


async def test_the_high_contrast_theme_is_remembered(demo, tmp_path):
    import os
    import tomllib
    from pathlib import Path

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        assert app.theme == "pmconsole-high-contrast"
    config = Path(os.environ["PMCONSOLE_CONFIG"])
    assert tomllib.loads(config.read_text())["theme"] == "pmconsole-high-contrast"


async def test_skip_records_a_skipped_turn_and_the_speaker_clock_stays_in_step_3(demo):
    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5", "f4", "f4")
        await pilot.press("n")  # the first speaker starts
        first = app.meeting.current_turn()
        await pilot.press("k")  # skipped while speaking
        turn = next(t for t in app.store.session.speaker_turns if t.id == first.id)
        assert turn.skipped and turn.ended_at is not None
        second = app.meeting.current_turn()
        assert second.started_at is not None and not second.skipped
        clock.advance(60)
        left = app.meeting.speaker_countdown().remaining()
        await pilot.press("f4")  # on to step 4 for ten minutes
        clock.advance(600)
        assert app.meeting.speaker_countdown().remaining() == left
        await pilot.press("f3")  # back in step 3, the turn's clock runs again
        clock.advance(30)
        assert app.meeting.speaker_countdown().remaining() == pytest.approx(left - 30)


async def test_planned_minutes_are_saved_on_enter_not_halfway(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # the first field takes focus when step 1 is first shown
        assert app.focused is not None
        field = await focus_field(pilot, "planned_minutes")  # then go to its end
        field.action_end()
        await pilot.press("backspace")  # "75" -> "7" on the way to "70"
        await pilot.pause(0.6)  # longer than the save delay of free text
        assert app.store.session.meeting.planned_minutes == 75
        await pilot.press("0", "enter")
        assert app.store.session.meeting.planned_minutes == 70


async def test_quitting_saves_what_was_typed_but_not_yet_saved(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        field = app.screen.query_one("#question", Input)
        field.focus()
        field.value = "How do we detect queue stalls within 5 minutes?"
        await pilot.press("ctrl+q")
    assert load_session(demo).question.text == "How do we detect queue stalls within 5 minutes?"


async def test_a_hang_up_saves_what_was_typed_and_leaves(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        field = app.screen.query_one("#question", Input)
        field.focus()
        field.value = "How do we page within 10 minutes of a stall?"
        app.hang_up()  # what SIGHUP calls when the ssh session or tmux pane closes
        await pilot.pause()
    assert load_session(demo).question.text == "How do we page within 10 minutes of a stall?"


def test_a_hang_up_ends_the_process_even_when_it_is_stuck_writing_to_the_gone_terminal(demo):
    """A real process on a pseudo-terminal that stops being read (as a closed tmux pane or a
    dropped ssh session): Textual's output blocks, then its event loop; the hang-up must still
    end the process, with what was typed in the session's log."""
    import fcntl
    import os
    import pty
    import select
    import signal
    import struct
    import subprocess
    import sys
    import termios
    import time

    from pmconsole.tui.app import HANGUP_GRACE

    master, slave = pty.openpty()

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {**os.environ, "PMCONSOLE_CONFIG": str(demo.parent / "none.toml"),
           "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "pmconsole", "open", str(demo)],
                            stdin=slave, stdout=slave, stderr=slave, env=env,
                            preexec_fn=own_terminal)
    try:
        shown = b""

        def read_until(done, seconds=20.0) -> None:
            nonlocal shown
            end = time.monotonic() + seconds
            while not done() and time.monotonic() < end:
                if select.select([master], [], [], 0.05)[0]:
                    shown += os.read(master, 65536)
            assert done(), shown[-400:]

        read_until(lambda: b"Step 1 of 7" in shown)

        def committed() -> bool:
            store = SessionStore(demo)
            try:
                return "XYZ" in store.session.incident.title
            finally:
                store.close()

        for _ in range(10):  # typed into the title once it has focus (a moment after drawing)
            os.write(master, b"XYZ")
            try:
                read_until(committed, seconds=2.0)
                break
            except AssertionError:
                continue
        assert committed()
        # Stop reading and make the console redraw the whole screen a few times: its output
        # thread blocks on the full terminal, then its event loop. Nothing outside can see
        # that moment, so the test gives it a fixed second.
        for width in range(100, 124, 2):
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, width, 0, 0))
            os.killpg(proc.pid, signal.SIGWINCH)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGHUP)
        assert proc.wait(timeout=HANGUP_GRACE + 10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)
    store = SessionStore(demo)
    try:
        assert "XYZ" in store.session.incident.title
    finally:
        store.close()


async def test_a_window_smaller_than_80x24_says_so(demo):
    app = console(demo)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert any("at least 80x24" in str(n.message) for n in app.told)
        before = app.store.session.model_dump()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        # A resize loses nothing: the same step, the same session, its first field drawn.
        assert app.meeting.step == 1 and app.store.session.model_dump() == before
        title = next(f for f in app.screen.query(BoundInput) if f.ref.field == "title")
        assert title.region.height > 0 and title.value == app.store.session.incident.title


async def test_the_related_list_shows_the_logs_answer_when_it_comes_after_the_list(demo):
    from pmconsole.tui.widgets.related import RelatedList

    app = console(demo)
    app.consult_log = lambda: None  # the log answers later, by hand
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        related = app.screen.query_one(RelatedList)
        assert "looking in the post-mortem log" in str(related.get_row_at(0)[1])
        app._log_consulted(None, [])
        await pilot.pause()
        assert "none from six months before this incident on" in str(related.get_row_at(0)[1])


async def test_the_severity_is_chosen_with_the_arrows_or_a_click_and_saved(demo):
    from pmconsole.tui.widgets.choice import ChoiceBar

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.screen.query_one("#severity", ChoiceBar)
        assert app.store.session.incident.severity == "SEV2"
        assert "SEV1" in bar.render().plain and "SEV4" in bar.render().plain  # all in sight
        bar.focus()
        await pilot.press("right")
        assert app.store.session.incident.severity == "SEV3"
        await pilot.press("left", "left", "left")
        assert app.store.session.incident.severity == "SEV4"  # round from the first to the last
        x = bar.render().plain.index("SEV1")
        await pilot.click(ChoiceBar, offset=(x, 0))
        assert app.store.session.incident.severity == "SEV1"
    assert load_session(demo).incident.severity == "SEV1"


async def test_a_severity_changed_in_the_other_pane_is_shown_and_not_sent_back(demo):
    from pmconsole.tui.widgets.choice import CHOSEN_STYLE, ChoiceBar

    def chosen(bar: ChoiceBar) -> str:
        line = bar.render()
        marked = [line.plain[span.start:span.end] for span in line.spans
                  if span.style == CHOSEN_STYLE]
        assert len(marked) == 1
        return marked[0].strip()

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bar = app.screen.query_one("#severity", ChoiceBar)
        assert chosen(bar) == "SEV2"
        posted = []
        real_post = bar.post_message
        bar.post_message = lambda message: posted.append(message) or real_post(message)
        other = SessionStore(demo, role="notes")
        other.edit(set_op("incident", "severity", "SEV1"))
        other.close()
        app.poll_store()  # what the poll timer does
        await pilot.pause()
        assert chosen(bar) == "SEV1"
        assert not any(isinstance(m, ChoiceBar.Changed) for m in posted)  # not sent back


async def test_tab_reaches_the_severity_after_the_title_and_a_refused_choice_is_undone(demo):
    from pmconsole.tui.widgets.choice import ChoiceBar

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        bar = app.screen.query_one("#severity", ChoiceBar)
        assert app.focused is bar
        assert "← →" in bar.render().plain  # the hint shows while it has the focus
        app.store.read_only = "opened read-only for this test"
        await pilot.press("right")
        assert app.store.session.incident.severity == "SEV2"
        assert bar.value == "SEV2"  # the bar shows what the session holds, not the refused one


async def test_the_step_countdown_says_running_overtime_and_paused_in_words(demo, monkeypatch):
    from pmconsole.tui.widgets.countdown import CountdownDisplay

    clock = FakeClock(wall=MEETING_TIME)
    app = console(demo, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        timer = app.screen.query_one("#step-timer", CountdownDisplay)
        timer.redraw()
        digits, caption, state = timer.shown()
        assert (digits, state) == ("03:00", "running") and caption.startswith("▼ ")
        redraws = []
        monkeypatch.setattr(timer, "refresh", lambda *a, **k: redraws.append(k))
        timer.redraw()
        assert redraws == []  # nothing changed: not drawn again
        clock.advance(1)  # 03:00 -> 02:59, as wide as before
        timer.redraw()
        assert timer.shown()[0] == "02:59"
        assert redraws == [{"layout": False}]  # drawn again, not laid out again
        await pilot.press("f2")
        timer.redraw()
        assert timer.shown()[2] == "paused" and timer.shown()[1].startswith("‖ ")
        await pilot.press("f2")
        clock.advance(249)  # 3 min budget, 4 min 10 s in
        redraws.clear()
        timer.redraw()
        assert timer.shown() == (
            "+01:10", "▲ OVERTIME on Schedule & time-box (3 min budget)", "overtime"
        )
        assert redraws == [{"layout": True}]  # the longer line under the digits needs room
        lines = timer.render().plain.split("\n")
        assert len(lines) == 4 and lines[3] == timer.shown()[1]


@pytest.mark.parametrize("words", ["so long ", "障害が長引いた理由 🔥 "])
@pytest.mark.parametrize("width", [80, 120])
async def test_the_header_cuts_a_long_question_short_and_keeps_the_clock_whole(
    demo, width, words
):
    from rich.cells import cell_len

    from pmconsole.tui.widgets.header import MeetingHeader

    app = console(demo)
    async with app.run_test(size=(width, 24)) as pilot:
        app.edit(set_op("question", "text", "Why did the queue back up\nfor " + words * 30))
        await pilot.pause()
        header = app.screen.query_one(MeetingHeader)
        header.screen.refresh_header()
        first, second = header.render().plain.split("\n")
        assert cell_len(first) == cell_len(second) == width - 2  # the header's padding
        assert first.startswith("Step 1 of 7") and first.endswith("✓ saved")
        assert second.startswith("? Why did the queue back up for " + words[:4])  # one line
        assert second.endswith("notes pane: —") and "…" in second


@pytest.mark.parametrize("width", [80, 120])
async def test_each_label_of_step_1_is_on_the_line_of_its_field(demo, width):
    from textual.widgets import Static

    app = console(demo)
    async with app.run_test(size=(width, 60)) as pilot:
        await pilot.pause()
        grids = list(app.screen.query("#step-1 .fields"))
        assert grids
        for grid in grids:
            labels = grid.query_one(".field-labels", Static)
            fields = [w for w in grid.children if w is not labels]
            names = str(labels.render()).split("\n\n")
            assert len(names) == len(fields)
            for n, field in enumerate(fields):
                assert field.region.y == labels.region.y + 2 * n, names[n]
        assert "Resolved" in str(grids[0].query_one(".field-labels", Static).render())


async def test_a_field_tells_the_app_of_its_typing_by_a_message(demo):
    """Messages up: a field whose typing waits or is refused says so with TypingChanged (the
    header redraws); it never writes the app's state, which reads each field's own."""
    from pmconsole.tui.messages import TypingChanged

    told: list[TypingChanged] = []
    app = console(demo)
    async with app.run_test(
        size=SIZE, message_hook=lambda m: told.append(m) if isinstance(m, TypingChanged) else None
    ) as pilot:
        await pilot.pause()
        field = await focus_field(pilot, "detected_at")
        field.value = "2026-11-23 14:9x"
        await pilot.press("tab")
        await pilot.pause()
        assert told and field.refused
        assert app.save_state() == "⚠ 1 FIELD NOT SAVED"
        before = len(told)
        field.focus()
        field.value = "2026-11-23 14:39"
        await pilot.press("tab")
        await pilot.pause()
        assert len(told) > before and not field.refused
        assert app.save_state() == "✓ saved"


async def test_a_field_that_cannot_be_saved_stays_marked_and_the_header_says_so(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = await focus_field(pilot, "detected_at")
        field.action_end()
        await pilot.press("x")
        await pilot.pause()
        assert app.save_state() == "✎ Enter saves"  # not "✓ saved" while it is not
        field.value = "2026-11-23 14:9x"
        await pilot.press("tab")
        await pilot.pause()
        assert field.value == "2026-11-23 14:9x" and field.has_class("-invalid")
        assert app.save_state() == "⚠ 1 FIELD NOT SAVED"
        told = [n for n in app.told if n.title == "Not saved: detected at"]
        assert told and "stays in the field" in told[-1].message
        assert field.styles.background != app.screen.query(BoundInput).first().styles.background
        field.focus()
        field.value = "2026-11-23 14:39"
        await pilot.press("tab")
        await pilot.pause()
        assert app.save_state() == "✓ saved" and not field.has_class("-invalid")
    assert load_session(demo).incident.detected_at.minute == 39


async def test_quitting_with_a_refused_field_asks_first_and_a_second_ctrl_q_quits(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = await focus_field(pilot, "timezone")
        field.value = "UTC, quick-tag"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        said = [n.message for n in app.told]
        assert any("timezone “UTC, quick-tag”" in m and "Ctrl+Q again" in m for m in said)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


async def test_quitting_with_typing_in_an_open_form_asks_first(demo):
    from pmconsole.tui.dialogs.record_form import RecordForm

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4", "f4", "f4", "f4")
        await pilot.pause()
        assert app.meeting.step == 5
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, RecordForm)
        await pilot.press("ctrl+q")  # nothing typed in it yet: quits at once
        await pilot.pause()
        assert app.return_code == 0

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm)
        await pilot.press(*"half typed")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code is None and app.screen is form
        assert any(form.form_title in n.message for n in app.told)


async def test_findings_fit_their_lines_at_80_columns_and_none_is_cut_unsaid():
    from textual.app import App

    from pmconsole.domain.rules import Finding
    from pmconsole.tui.widgets.findings import FindingsBar

    def finding(n: int) -> Finding:
        return Finding(f"rule.{n}", "info", 1, f"Finding number {n} says something plain.",
                       f"Hint {n}: what to do about it, said in a sentence of some length.")

    class Bar(App):
        def compose(self):
            yield FindingsBar()

    app = Bar()
    async with app.run_test(size=(60, 20)) as pilot:
        bar = app.query_one(FindingsBar)
        bar.show([finding(1)])
        await pilot.pause()
        text = str(bar.render())
        assert "Finding number 1" in text and "Hint 1" in text  # room: the hint is there
        bar.show([finding(n) for n in range(1, 5)])
        await pilot.pause()
        text = str(bar.render())
        assert all(f"Finding number {n}" in text for n in range(1, 5))
        assert "Hint" not in text and "F1: the hints" in text
        assert bar.size.height <= FindingsBar.MAX_LINES
        bar.show([finding(n) for n in range(1, 10)])
        await pilot.pause()
        text = str(bar.render())
        shown = sum(f"Finding number {n} " in text for n in range(1, 10))
        assert 0 < shown < 9 and f"… {9 - shown} more findings: F1 shows them all" in text
        assert bar.size.height <= FindingsBar.MAX_LINES


async def test_a_block_before_the_meeting_starts_says_it_will_block_once_it_runs(demo):
    """Preparing, the facilitator may visit any step: a block refuses nothing yet, and its
    badge says so; once the meeting runs the same finding is a block."""
    from pmconsole.tui.widgets.findings import FindingsBar
    from session_files import save_session
    from typing_helpers import go_to

    session = load_session(demo)
    session.question.text = ""  # question.one blocks leaving step 2 without one
    save_session(demo, session)
    app = console(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await go_to(pilot, 2)
        bar = app.screen.query_one("#findings", FindingsBar)
        assert str(bar.render()).startswith("■ WILL BLOCK")
        app.console_screen().action_start_meeting()
        await pilot.pause()
        assert str(bar.render()).startswith("■ BLOCK ")
