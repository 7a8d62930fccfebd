"""Issue 18, items 8-11, through the console: the speaker queue that fits step 3, fields that
behave the same everywhere, details legible on a projector, counts that read right."""

from __future__ import annotations

import pytest
from textual import events
from textual.geometry import Region
from textual.widgets import DataTable, Input, Static

from pmconsole.domain.model import Feedback
from pmconsole.domain.ops import set_op
from session_files import load_session, save_session
from pmconsole.tui.widgets.fields import BoundInput
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.header import MeetingHeader
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.screens.timeline_panel import TimelinePanel
from pmconsole.tui.widgets.timeline_table import TimelineTable
from snapshot_app import console, demo_copy
from test_console_part2 import notices
from typing_helpers import go_to

SIZE = (120, 40)
SMALL = (80, 24)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


def screen_text(app) -> str:
    """Every Static on the screen, as shown (wrapped lines joined back with spaces)."""
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


# -- item 8: the speaker queue fits the step ---------------------------------------------------


def six_juniors_in_a_ten_minute_step(path) -> None:
    """The demo with everyone but the facilitator and the note-taker junior, planned 60 min."""
    session = load_session(path)
    hosts = {session.meeting.facilitator, session.meeting.note_taker}
    for person in session.participants:
        if person.id not in hosts:
            person.seniority = "junior"
    session.meeting.planned_minutes = 60
    save_session(path, session)


async def test_b_rebuilds_the_queue_to_fit_step_3_and_says_what_it_did(demo):
    six_juniors_in_a_ten_minute_step(demo)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        assert app.store.session.step_budgets()[2] == 10
        await pilot.press("b")
        await pilot.pause()
        queue = app.store.session.speaker_queue()
        assert [t.open_round for t in queue] == [False, False] + [True] * 6
        assert all(t.planned_minutes == 5 for t in queue if not t.open_round)
        said = notices(app)[-1]
        assert said.startswith(
            "2 timed turns of 5 minutes for the junior people, then an open round for 6 people "
            "in the 0 minutes left (step 3 has 10 minutes)."
        )
        assert "6 turns of 5 minutes need 30 minutes; step 3 has 10: " in said
        lines = str(app.screen.query_one("#queue-time", Static).render()).splitlines()
        assert lines[0] == "2 timed turns left, 10 min · then the open round: 6 people in 0 min"
        assert lines[1].startswith("▲ 6 turns of 5 minutes need 30 minutes; step 3 has 10: ")


async def test_the_open_round_shares_one_countdown_of_the_minutes_left(demo):
    app = console(demo)  # the demo: 12 minutes, one junior guest (Lin), 7 in the open round
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")  # the meeting starts: turns are timed in it
        await go_to(pilot, 3)
        await pilot.press("b", "n")  # Lin's timed turn starts
        assert app.meeting.speaker_countdown().budget == 5 * 60
        await pilot.press("n")  # the open round starts with the next person
        turn = app.meeting.current_turn()
        assert turn.open_round and turn.started_at is not None
        assert app.meeting.speaker_countdown().budget == 7 * 60
        line = str(app.screen.query_one("#queue-time", Static).render())
        assert line == "0 timed turns left, 0 min · then the open round: 7 people in 7 min"


# -- item 9: fields behave the same everywhere -------------------------------------------------


async def test_tab_into_a_filled_time_field_on_step_1_then_typing_replaces_it(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        zone = next(w for w in app.screen.query(BoundInput) if w.ref.field == "timezone")
        zone.focus()
        await pilot.pause()
        await pilot.press("tab")  # into "Started", which holds the incident's start
        started = app.focused
        assert isinstance(started, BoundInput) and started.ref.field == "started_at"
        assert started.value == "2026-11-23 13:50"
        await pilot.press(*"2026-11-23 13:45", "enter")
        await pilot.pause()
        assert started.value == "2026-11-23 13:45"
        assert app.store.session.incident.started_at.strftime("%H:%M") == "13:45"


async def test_a_refused_save_names_the_field_and_the_reason_as_it_goes_there(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        app.screen.query_one("#actions").focus()
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm)
        form.query_one("#field-title", Input).value = "Alert on replica lag"
        await pilot.press("ctrl+s")  # no owner
        await pilot.pause()
        assert app.screen is form and app.focused is form.query_one("#field-owner")
        assert notices(app)[-1] == (
            "Owner (a name from the roster, or anyone): An owner is needed "
            "(and 1 more field to fix)"  # the success criterion
        )


async def test_a_template_is_picked_from_the_question_field_and_the_focus_stays_there(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        question = app.screen.query_one("#question", BoundInput)
        assert app.focused is question
        # The second template, chosen from the field, the keys in one burst as tmux sends them.
        for key, character in (("down", None), ("down", None), ("enter", "\r")):
            app.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        template = "Detection took 47 min; how do we detect this within 20 min?"
        assert app.store.session.question.text == template
        assert app.focused is question
        # Shift+Tab and "?" are typing in the question, never the list or the help.
        await pilot.press("shift+tab", "backspace", *" or less?")
        await pilot.pause()
        assert app.focused is question and type(app.screen).__name__ == "ConsoleScreen"
        assert question.value == template[:-1] + " or less?"


async def test_an_unmeasurable_question_gets_its_hint_on_screen(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 2)
        hint = app.screen.query_one("#measurable", Static)
        assert not hint.display  # the demo's question names its minutes
        app.edit(set_op("question", "text", "Why did the capture queue back up?"))
        await pilot.pause()
        assert hint.display
        assert str(hint.render()) == (
            "▲ Name a number, a duration or a rate: 'how do we bring recovery from 45 to 20 "
            "minutes?'"
        )


# -- item 10: legible on a projector -----------------------------------------------------------

LONG_TITLE = (
    "Fail the payment-capture worker's start-up when a renamed or unknown configuration key is "
    "set, and name the key in the error"
)
LONG_CRITERION = (
    "A staging deploy with only the old DB_POOL_MAX key set fails its canary within 5 minutes, "
    "and no renamed key is read silently in the next 3 releases"
)
LONG_EVENT = (
    "The capture worker restarted with the renamed pool key ignored, fell back to a pool of 2 "
    "connections, and the capture queue began to grow at about 400 messages a minute"
)


def drawn(widget) -> str:
    """What a widget draws in its region, its lines joined with spaces: cut text is missing."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return " ".join("".join(s.text for s in strip).strip() for strip in strips)


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_the_selected_action_is_shown_in_full_with_done_when_at_80x24(demo):
    assert len(LONG_TITLE) > 120 and len(LONG_CRITERION) > 120
    app = console(demo)
    async with app.run_test(size=SMALL) as pilot:
        await go_to(pilot, 7)
        first = app.store.session.actions[0].id
        app.edit(set_op("actions", "title", LONG_TITLE, first),
                 set_op("actions", "criterion", LONG_CRITERION, first))
        table = app.screen.query_one("#actions", DataTable)
        table.focus()
        table.move_cursor(row=1)
        await pilot.pause()
        table.move_cursor(row=0)
        await pilot.pause()
        detail = app.screen.query_one("#detail", Static)
        assert app.screen.region.contains_region(detail.region)  # on screen, not scrolled off
        shown = flat(drawn(detail))
        assert flat(LONG_TITLE) in shown
        assert f"Done when: {flat(LONG_CRITERION)}" in shown


async def test_the_selected_event_is_shown_in_full_at_80x24(demo):
    assert len(LONG_EVENT) > 120
    app = console(demo)
    async with app.run_test(size=SMALL) as pilot:
        await go_to(pilot, 5)
        table = app.screen.query_one(TimelineTable)
        first = table.selected().id
        app.edit(set_op("timeline", "text", LONG_EVENT, first))
        await pilot.pause()
        table.action_move(1)
        await pilot.pause()
        table.action_move(-1)
        await pilot.pause()
        assert table.selected().id == first
        detail = app.screen.query_one("#detail", Static)
        assert app.screen.region.contains_region(detail.region)
        assert flat(LONG_EVENT) in flat(drawn(detail))


async def test_the_notes_pane_shows_paused_and_its_keys_whole_at_80x24(demo):
    app = console(demo, role="notes")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        header = app.screen.query_one(MeetingHeader)
        for step in range(1, 9):  # the facilitator's pane connected: its longest right side
            header.show(step=step, title="", question="How do we halve recovery? " * 3,
                        clock="12:34 / 75:00", save_state="✓ saved",
                        panes="notes pane · facilitator: connected", paused=True)
            # Read at once: the pane redraws its header from the session twice a second.
            first_line = str(header.render()).splitlines()[0]
            assert "PAUSED" in first_line and "…" not in first_line, first_line
        footer = app.screen.query_one(KeysFooter)
        shown = str(footer.render())
        assert "…" not in shown
        for _key, key_shown, description, _enabled in footer.keys_shown():
            assert f"{key_shown} {description}" in shown or f"{key_shown}{description}" in shown


@pytest.mark.parametrize("step", range(1, 8))
async def test_the_console_keys_line_is_whole_at_80x24(demo, step):
    app = console(demo)
    async with app.run_test(size=SMALL) as pilot:
        await go_to(pilot, step)
        await pilot.pause()
        assert "…" not in str(app.screen.query_one(KeysFooter).render())


# -- counts read "1 turn", "1 answer" ---------------------------------------------------------


async def test_counts_of_one_read_in_the_singular(demo):
    session = load_session(demo)
    session.feedback = [Feedback(rating=4, comment="Calm and on time")]
    session.timeline = session.timeline[:1]
    save_session(demo, session)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        for turn in app.store.session.speaker_queue()[1:]:
            app.edit(set_op("speaker_turns", "skipped", True, turn.id))
        await pilot.pause()
        queue = str(app.screen.query_one("#queue-time", Static).render())
        assert queue.startswith("1 timed turn left, 5 min")
        await go_to(pilot, 5)
        durations = str(app.screen.query_one(TimelinePanel).query_one("#durations", Static).render())
        assert durations.endswith("· 1 event")
        await go_to(pilot, 8)
        answers = str(app.screen.query_one("#feedback", Static).render())
        assert answers.startswith("1 answer ·")


async def test_the_focused_field_has_a_mark_not_only_a_colour_in_both_themes(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        fields = [w for w in app.screen.query(BoundInput) if w.ref.field in ("title", "tags")]
        for theme in ("textual-dark", "pmconsole-high-contrast"):
            assert app.theme == theme
            for focused in fields:
                focused.focus()
                await pilot.pause()
                marks = {f.ref.field: f.styles.border_left[0] for f in fields}
                assert marks == {
                    f.ref.field: "outer" if f is focused else "" for f in fields
                }, theme
            await pilot.press("f10")  # the projector's theme
            await pilot.pause()


async def test_plus_on_an_open_round_turn_says_why_it_changes_nothing(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        table = app.screen.query_one("#queue", DataTable)
        table.focus()
        table.move_cursor(row=1)  # Amara Okafor, in the open round
        before = app.store.session.speaker_queue()[1]
        await pilot.press("plus")
        await pilot.pause()
        assert app.store.session.speaker_queue()[1] == before
        assert notices(app)[-1] == (
            "This turn is in the open round, which shares the 7 minutes the timed turns "
            "leave: + and - change the timed turns."
        )


def test_a_timeline_over_several_days_names_each_day_where_it_starts():
    """Times alone read as one day: when the events are on more than one day (in the
    incident's zone), the first event of each day names its day in the gap column."""
    from datetime import timedelta

    from pmconsole.domain.model import TimelineEvent
    from pmconsole.storage.locations import bundled_demo

    session = load_session(bundled_demo())
    table = TimelineTable()
    table.show(session)
    assert not table.days_differ and all(
        not table.row(i).cells[4].startswith("▸") for i in range(table.row_count))
    last = session.sorted_timeline()[-1]
    session.timeline.append(TimelineEvent(at=last.at + timedelta(hours=20), text="Next morning"))
    table.show(session)
    gaps = [table.row(i).cells[4] for i in range(table.row_count)]
    first_day = session.local(session.sorted_timeline()[0].at)
    assert gaps[0] == f"▸ {first_day:%a} {first_day.day} {first_day:%b}"
    assert gaps[-1].startswith("▸ ") and gaps[-1] != gaps[0]
    assert sum(g.startswith("▸") for g in gaps) == 2
