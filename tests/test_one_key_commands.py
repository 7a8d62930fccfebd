"""A key never changes data by accident: a refused key takes the keys typed with it down with
it, and every one-key command that changes a record says what it did and is undone with z, in
the console and in the note-taker's pane."""

from __future__ import annotations

import pytest
from textual import events
from textual.notifications import Notify
from textual.widgets import DataTable, OptionList

from pmconsole.domain.model import ContributingFactor
from pmconsole.domain.ops import add_op, del_op
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.timeline_table import TimelineTable
from snapshot_app import console, demo_copy
from typing_helpers import burst, go_to, seven_open, until

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


class Said:
    """What the app said on screen (its notices), collected as the messages go by."""

    def __init__(self) -> None:
        self.notices: list[str] = []

    def __call__(self, message) -> None:
        if isinstance(message, Notify):
            self.notices.append(str(message.notification.message))

    def last(self) -> str:
        return self.notices[-1] if self.notices else ""


async def on_the_actions(pilot) -> list[dict]:
    """Step 7, its list of actions focused; the actions as they are."""
    await go_to(pilot, start=True, step=7)
    pilot.app.screen.query_one("#actions", DataTable).focus()
    await pilot.pause()
    return dumped(pilot.app, "actions")


def dumped(app, collection: str) -> list[dict]:
    return [r.model_dump() for r in getattr(app.store.session, collection)]


async def test_keys_typed_with_a_refused_key_do_nothing(demo):
    """Seven open actions; "a" then at once "Add dashboard alarm": the a is refused, and its
    d's (done) and x's would have closed and dropped actions."""
    seven_open(demo)
    said = Said()
    app = console(demo)
    async with app.run_test(size=SIZE, message_hook=said) as pilot:
        before = await on_the_actions(pilot)
        burst(app, "aAdd dashboard alarm, fix x")
        await until(pilot, lambda: "did nothing" in said.last(), "the keys' notice")
        assert not isinstance(app.screen, RecordForm)
        assert dumped(app, "actions") == before
        assert "actions.open_limit" in str(app.screen.query_one("#refusal").render())
        assert said.last() == "The 26 keys typed right after the refused one did nothing."
        # Keys typed later, once the burst is over, act as ever.
        app.keys.burst_gap = 0
        await pilot.press("d")
        assert app.store.session.actions[0].status == "done"


async def test_keys_typed_with_a_refused_step_key_do_nothing(demo):
    """F4 refused by a rule (no learning question): the text typed with it, meant for the next
    step, does not land in this step's field."""
    from pmconsole.domain.ops import set_op

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, start=True, step=2)
        app.edit(set_op("question", "text", ""))
        await pilot.pause()
        question = app.screen.query_one("#question")
        app.post_message(events.Key("f4", None))
        burst(app, "hello")
        await pilot.pause()
        await pilot.pause()
        assert app.meeting.step == 2
        assert question.value == ""


async def undo_round(pilot, said: Said, key: str, collection: str, change) -> None:
    """``key`` changes ``collection`` as ``change`` says, says so, and z puts it back whole."""
    app = pilot.app
    before = dumped(app, collection)
    count = len(said.notices)
    await pilot.press(key)
    await pilot.pause()
    after = dumped(app, collection)
    assert after != before, f"{key} changed nothing"
    assert change(before, after), f"{key} did not do what it is for"
    assert len(said.notices) > count and said.last().endswith("z undoes it."), said.notices
    await pilot.press("z")
    await pilot.pause()
    assert sorted(dumped(app, collection), key=lambda r: r["id"]) == sorted(
        before, key=lambda r: r["id"]), f"z did not undo {key}"
    assert said.last().startswith("Undone — ")


def focus_row(app, selector: str, row: int) -> None:
    table = app.screen.query_one(selector, DataTable)
    table.focus()
    table.move_cursor(row=row)


def one_field_changed(field: str):
    def check(before, after):
        return [r[field] for r in before] != [r[field] for r in after]
    return check


def one_less(before, after):
    return len(after) == len(before) - 1


async def test_every_one_key_change_says_what_it_did_and_z_undoes_it(demo):
    said = Said()
    app = console(demo)
    async with app.run_test(size=SIZE, message_hook=said) as pilot:
        # Step 1, the roster: i (involved), x (remove).
        await go_to(pilot, start=True, step=1)
        view = app.screen.query_one("#step-1")
        await until(pilot, lambda: view.complete, "the roster")
        app.screen.query_one("#roster", DataTable).focus()
        await undo_round(pilot, said, "i", "participants", one_field_changed("involved"))
        await undo_round(pilot, said, "x", "participants", one_less)
        # Step 3, the speaker queue: n (start, then next), k (skip), d (move down), + (minutes).
        await go_to(pilot, start=True, step=3)
        app.screen.query_one("#queue", DataTable).focus()
        await undo_round(pilot, said, "n", "speaker_turns", one_field_changed("started_at"))
        await pilot.press("n")  # the first turn is on
        await undo_round(pilot, said, "n", "speaker_turns", one_field_changed("ended_at"))
        await undo_round(pilot, said, "k", "speaker_turns", one_field_changed("skipped"))
        await undo_round(pilot, said, "d", "speaker_turns", one_field_changed("order"))
        focus_row(app, "#queue", 0)  # a timed turn: the open round's minutes are shared
        await undo_round(pilot, said, "plus", "speaker_turns",
                         one_field_changed("planned_minutes"))
        # Step 4, evidence: x.
        await go_to(pilot, start=True, step=4)
        app.screen.query_one("#evidence", DataTable).focus()
        await undo_round(pilot, said, "x", "evidence", one_less)
        # Step 5, the timeline: f, m, x.
        await go_to(pilot, start=True, step=5)
        app.screen.query_one(TimelineTable).focus()
        await undo_round(pilot, said, "f", "timeline", one_field_changed("basis"))
        await undo_round(pilot, said, "m", "timeline", one_field_changed("major"))
        await undo_round(pilot, said, "x", "timeline", one_less)
        # Step 6, conditions: c (category), x (remove).
        major = next(e for e in app.store.session.timeline if e.major)
        app.edit(add_op("factors", ContributingFactor(text="One person on call",
                                                      category="staffing",
                                                      event_ids=[major.id])))
        await go_to(pilot, start=True, step=6)
        events_list = app.screen.query_one("#events", OptionList)
        events_list.highlighted = events_list.get_option_index(major.id)
        await pilot.pause()
        app.screen.query_one("#conditions", DataTable).focus()
        await undo_round(pilot, said, "c", "factors", one_field_changed("category"))
        await undo_round(pilot, said, "x", "factors", one_less)
        # Step 7, actions: d (done), d again (reopen), x (drop).
        await go_to(pilot, start=True, step=7)
        table = app.screen.query_one("#actions", DataTable)
        table.focus()
        table.move_cursor(row=0)
        await undo_round(pilot, said, "d", "actions", one_field_changed("status"))
        await pilot.press("d")
        await undo_round(pilot, said, "d", "actions", one_field_changed("status"))
        await undo_round(pilot, said, "x", "actions", one_field_changed("status"))


async def test_the_notes_pane_says_what_a_key_did_and_z_undoes_it(demo):
    said = Said()
    app = console(demo, role="notes")
    async with app.run_test(size=SIZE, message_hook=said) as pilot:
        await pilot.press("f7")
        await pilot.pause()
        app.screen.query_one(TimelineTable).focus()
        await pilot.pause()
        await undo_round(pilot, said, "f", "timeline", one_field_changed("basis"))
        await undo_round(pilot, said, "m", "timeline", one_field_changed("major"))
        await undo_round(pilot, said, "x", "timeline", one_less)


async def test_a_title_typed_a_moment_after_a_refused_key_does_nothing(demo):
    """'a', a moment's pause (0.4 s), then a title typed at a typist's pace: still the same
    burst, so its d's and x's change nothing."""
    seven_open(demo)
    said = Said()
    app = console(demo)
    async with app.run_test(size=SIZE, message_hook=said) as pilot:
        before = await on_the_actions(pilot)
        first = events.Key("a", "a")
        app.post_message(first)
        for n, char in enumerate("Add dashboard, drop x"):
            key = events.Key("space" if char == " " else char, char)
            key.time = first.time + 0.4 + 0.15 * n
            app.post_message(key)
        await until(pilot, lambda: "did nothing" in said.last(), "the keys' notice")
        assert dumped(app, "actions") == before
        assert not isinstance(app.screen, RecordForm)


async def test_ctrl_z_undoes_from_a_text_field_where_z_is_typed(demo):
    """A change offered for undo while the focus is in a field (a merge of a hand edit comes
    with its notice at any moment): z would be typed there; Ctrl+Z undoes it."""
    from pmconsole.domain.ops import set_op

    said = Said()
    app = console(demo)
    async with app.run_test(size=SIZE, message_hook=said) as pilot:
        await pilot.pause()
        title = app.focused
        before = title.value
        with app.undoable("Renamed the incident"):
            app.edit(set_op("incident", "title", "Renamed elsewhere"))
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.store.session.incident.title == before
        assert title.value == before  # nothing typed into the field


async def test_the_key_hints_show_a_remapped_key_as_remapped(demo):
    """The hints under a list are built from its bindings: a key the user remapped in the
    settings (keys = {binding id = key}) is shown, and works, as remapped."""
    from pmconsole.storage.config import Settings
    from pmconsole.tui.app import make_app
    from textual.widgets import Static

    from snapshot_app import MEETING_TIME
    from pmconsole.domain.clock import FakeClock

    app = make_app(demo, role="facilitator", clock=FakeClock(wall=MEETING_TIME), poll=False,
                   settings=Settings(keys={"actions.add": "y", "timeline.delete": "ctrl+d"}))
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        panel_keys = str(app.screen.query_one("TimelinePanel #detail", Static).render())
        assert "^d delete" in panel_keys and "x delete" not in panel_keys
        await on_the_actions(pilot)
        hints = [str(s.render()) for s in app.screen.query(".hint").results(Static)]
        assert any(h.startswith("y add · e edit · d done/reopen · x drop · z undo") for h in hints)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, RecordForm)  # the remapped key opens the form


async def test_a_key_with_nothing_to_act_on_says_so_with_the_keys_as_bound(demo):
    """x on an action dropped already, and d or x with no action at all, say why they did
    nothing, naming the keys as the user bound them; nothing changes."""
    from pmconsole.storage.config import Settings
    from pmconsole.tui.app import make_app
    from pmconsole.domain.clock import FakeClock
    from snapshot_app import MEETING_TIME

    said = Said()
    app = make_app(demo, role="facilitator", clock=FakeClock(wall=MEETING_TIME), poll=False,
                   settings=Settings(keys={"actions.add": "y", "actions.done": "o"}))
    async with app.run_test(size=SIZE, message_hook=said) as pilot:
        await on_the_actions(pilot)
        await pilot.press("x")
        await pilot.pause()
        title = app.store.session.actions[0].title
        assert app.store.session.actions[0].status == "dropped"
        before = dumped(app, "actions")
        app.keys.burst_gap = 0  # each key its own, not the refused one's burst
        await pilot.press("x")
        await until(pilot, lambda: "dropped already" in said.last(), "the notice")
        assert said.last().startswith(f"“{title[:10]}") and said.last().endswith(
            "dropped already: o opens it again.")
        assert dumped(app, "actions") == before
        for action in list(app.store.session.actions):  # no action left
            app.edit(del_op("actions", action.id))
        await pilot.pause()
        for key, what in (("o", "mark done"), ("x", "drop")):
            await pilot.press(key)
            await until(pilot, lambda: f"No action to {what}" in said.last(), "the notice")
            assert said.last() == f"No action to {what}: y agrees one."


async def test_the_help_names_the_keys_as_they_are_bound(demo):
    """The help's keys come from the bindings too: remapped, they are said as remapped."""
    from pmconsole.domain.clock import FakeClock
    from pmconsole.storage.config import Settings
    from pmconsole.tui.app import make_app
    from snapshot_app import MEETING_TIME

    app = make_app(demo, role="facilitator", clock=FakeClock(wall=MEETING_TIME), poll=False,
                   settings=Settings(keys={"pmconsole.pause": "f12", "safety.next": "j"}))
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        await pilot.press("f1")
        await pilot.pause()
        said = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "F12 blame pause" in said and "F2 blame pause" not in said
        assert "j starts the next speaker" in said and "F12 pauses the meeting" in said



async def test_the_help_opens_on_every_step_with_its_keys_as_bound(demo):
    """F1 on each step, the wrap-up's too: every «binding id» of its text is a key now."""
    from pmconsole.tui.screens.help import STEP_HELP, HelpScreen

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        for step in range(1, 9):
            await go_to(pilot, step)
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen), step
            said = " ".join(str(s.render()) for s in app.screen.query("Static"))
            assert "«" not in said and STEP_HELP[step].split("«")[0][:40] in said, step
            await pilot.press("escape")
            await pilot.pause()


async def test_keys_typed_right_after_ctrl_s_are_for_what_comes_next_not_the_saved_form(demo):
    """Two actions typed in one burst, each saved with Ctrl+S: the second's keys reached the
    first form's field before its Ctrl+S acted, and went into the first action's criterion
    (facilitator trial). Each action gets its own fields."""
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await on_the_actions(pilot)
        count = len(app.store.session.actions)
        burst(app, "a", "Burst A", "<tab>", "Lee Wong", "<tab>", "<tab>", "crit A", "<ctrl+s>",
              "a", "Burst B", "<tab>", "Lee Wong", "<tab>", "<tab>", "crit B", "<ctrl+s>")
        await until(pilot, lambda: len(app.store.session.actions) == count + 2
                    and not isinstance(app.screen, RecordForm), "both actions saved")
        added = [(a.title, a.owner, a.criterion, a.due_reason)
                 for a in app.store.session.actions[count:]]
        assert added == [("Burst A", "Lee Wong", "crit A", ""), ("Burst B", "Lee Wong", "crit B", "")]


async def test_two_events_typed_in_one_burst_keep_their_times(demo):
    """The same on the timeline: the second event's keys had gone into the first form's time,
    which was then refused, and the second event was lost."""
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5, start=True)
        count = len(app.store.session.timeline)
        burst(app, "a", "Chained one", "<tab>", "<ctrl+k>", "2026-11-23 13:50", "<ctrl+s>",
              "a", "Chained two", "<tab>", "<ctrl+k>", "2026-11-23 13:55", "<ctrl+s>")
        await until(pilot, lambda: len(app.store.session.timeline) == count + 2
                    and not isinstance(app.screen, RecordForm), "both events saved")
        added = [(f"{e.at:%H:%M}", e.text) for e in app.store.session.timeline[count:]]
        assert added == [("13:50", "Chained one"), ("13:55", "Chained two")]
