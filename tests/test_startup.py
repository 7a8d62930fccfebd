"""What keeps the console quick to start and to redraw, checked for what it must not change:
the footer still shows the right keys, the collector runs again once the screen is ready, step 1
is whole once drawn, and text that did not change is not drawn again (nor the screen laid out)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest
from textual.widgets import DataTable, Select, Static
from textual.widgets._footer import FooterKey

from pmconsole import startup
from pmconsole.screens.schedule import ScheduleStep
from pmconsole.store import load_session
from pmconsole.widgets.fields import BoundInput
from pmconsole.widgets import show_text
from pmconsole.widgets.keys_footer import KeysFooter
from snapshot_app import console, demo_copy

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


def keys_shown(footer: KeysFooter) -> dict[str, str]:
    return {key.description: key.key for key in footer.query(FooterKey)}


async def test_the_footer_is_rebuilt_only_when_the_keys_it_shows_change(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        keys = list(footer.query(FooterKey))
        assert keys_shown(footer)["Blame pause"] == "f2"
        first = app.focused
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert app.focused is not first
        assert list(footer.query(FooterKey)) == keys  # the same widgets: not rebuilt

        app.set_keymap({"pmconsole.pause": "f12"})
        await pilot.pause()
        await pilot.pause()
        assert keys_shown(footer)["Blame pause"] == "f12"


async def test_the_collector_paused_for_the_start_runs_again_once_the_screen_is_ready(demo):
    startup.pause_collector()
    try:
        assert not gc.isenabled()
        app = console(demo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_collector_someone_else_turned_off_stays_off():
    gc.disable()
    try:
        startup.pause_collector()
        startup.resume_collector()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_step_1_has_its_meeting_and_roster_once_the_first_screen_is_drawn(demo):
    session = load_session(demo)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(ScheduleStep)
        await pilot.wait_for_scheduled_animations()
        assert view.complete
        roster = view.query_one("#roster", DataTable)
        assert roster.row_count == len(session.participants)
        assert view.query_one("#facilitator", Select).value == session.meeting.facilitator
        assert view.query_one("#note_taker", Select).value == session.meeting.note_taker
        assert "after the incident ended" in str(view.query_one("#verdict", Static).render())
        planned = [f for f in view.query(BoundInput) if f.ref.field == "planned_minutes"]
        assert planned[0].value == str(session.meeting.planned_minutes)


async def test_the_first_control_has_focus_and_the_step_stays_at_its_top(demo, monkeypatch):
    focused_views = []
    monkeypatch.setattr(ScheduleStep, "_on_focus", lambda self, event: focused_views.append(self))
    app = console(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.screen.query_one(ScheduleStep)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.focused, BoundInput)
        assert app.focused.ref.field == "title"
        assert view.scroll_y == 0
    assert focused_views == []  # the step's scroll area itself never took focus


async def test_roster_keys_before_the_roster_is_drawn_change_nothing(demo, monkeypatch):
    app = console(demo)
    monkeypatch.setattr(type(app), "after_first_screen", lambda self, callback: None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.screen.query_one(ScheduleStep)
        assert not view.complete and not view.query("#roster")
        before = app.store.session.participants
        view.action_remove_person()
        view.action_toggle_involved()
        view.action_edit_person()
        await pilot.pause()
        assert app.store.session.participants == before
        assert app.screen is view.screen  # no form opened for nobody


def test_exit_when_ready_says_so_on_the_benchmarks_pipe_and_leaves(demo, tmp_path):
    read_end, write_end = os.pipe()
    env = {**os.environ, "PMCONSOLE_HEADLESS": "1", "PMCONSOLE_CONFIG": str(tmp_path / "no.toml"),
           "PMCONSOLE_READY_FD": str(write_end)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmconsole", "--exit-when-ready", "open", str(demo)],
        env=env, pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as said:
        assert said.readline() == b"ready\n"
    _, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    assert load_session(demo).meeting.current_step == 1


async def test_text_that_did_not_change_is_not_drawn_again(demo, monkeypatch):
    from textual.content import Content

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        static = app.screen.query_one("#durations", Static)
        calls = []
        original = Static.update
        monkeypatch.setattr(Static, "update", lambda self, *a, **k: calls.append((a, k)) or
                            original(self, *a, **k))
        show_text(static, static.content)
        assert calls == []
        show_text(static, "Time to detect 1 min")
        await pilot.pause()
        assert calls and str(static.render()) == "Time to detect 1 min"
        calls.clear()
        show_text(static, Content.from_markup("[bold]Time to detect 1 min"))
        assert calls, "the same words in another style are a change"


async def test_adding_an_event_lays_out_again_only_the_table_that_grew(demo, monkeypatch):
    from datetime import timedelta

    from textual.widget import Widget

    from pmconsole.model import TimelineEvent
    from pmconsole.ops import add_op
    from pmconsole.widgets.timeline_table import TimelineTable

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            await pilot.press("f4")
            await pilot.pause()
        assert app.meeting.step == 5
        await pilot.pause()
        asked = []
        original = Widget.refresh

        def refresh(self, *regions, layout=False, **kwargs):
            if layout and self.screen is app.screen and not self.id == "right":
                asked.append(self)  # the header's clock side is left out: it has its own timer
            return original(self, *regions, layout=layout, **kwargs)

        monkeypatch.setattr(Widget, "refresh", refresh)
        start = app.store.session.incident.started_at
        app.edit(add_op("timeline", TimelineEvent(at=start + timedelta(minutes=1), text="added")))
        await pilot.pause()
        await pilot.pause()
        # The table grew (its scroll size changed) and the event count in the durations line
        # changed. The detail under the table, the findings and the header's left half were
        # set to what they already showed, or are fixed in size: no layout for them.
        assert {type(w).__name__ if w.id is None else w.id for w in asked} <= {
            "timeline", "durations", "TimelineTable"}
        assert any(isinstance(w, TimelineTable) for w in asked)
