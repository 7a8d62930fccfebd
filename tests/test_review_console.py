"""The two-week review held in the console: started from the picker or the wrap-up, each action
walked (the open ones first) for a status and a note recorded through the store, the review
marked held after the last action (`followup.review` then holds), the progress report written
beside the session; nothing typed is lost on quitting; the open limit holds."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from textual import events

from pmconsole.domain.clock import FakeClock
from pmconsole.domain.model import WRAP_UP
from pmconsole.domain.rules import LogFacts, check
from pmconsole.tui.screens.review import ReviewScreen
from session_files import load_session, save_session
from snapshot_app import console, demo_copy
from typing_helpers import burst, go_to, seven_open, until

UTC = timezone.utc
AFTER_DUE = datetime(2024, 3, 25, 12, 0, tzinfo=UTC)  # the review was due on 2024-03-20
HOSTILE = '[bold]x[/bold] <b>'


def at_review(path: Path, **kwargs):
    return console(path, clock=FakeClock(wall=AFTER_DUE), **kwargs)


async def review_started(pilot) -> ReviewScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen), "the review screen")
    await pilot.pause()
    return pilot.app.screen


async def test_v_on_the_picker_opens_the_highlighted_session_in_its_review(
        tmp_path, make_session):
    folder = tmp_path / "sessions"
    folder.mkdir()
    path = folder / "checkout.toml"
    save_session(path, make_session())
    app = at_review(None, sessions_dir=folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("v")
        screen = await review_started(pilot)
        assert app.store is not None and app.store.path == path
        assert app.console_screen() is not None  # the review is held over the console
        assert str(screen.query_one("#title").content) == (
            "Page the database on-call when replication lags")


async def test_v_on_the_wrap_up_starts_the_review_of_the_session_held(tmp_path):
    app = console(demo_copy(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, WRAP_UP, start=True)
        app.console_screen().shown_view().focus()
        await pilot.press("v")
        screen = await review_started(pilot)
        assert screen.walk == ["a-config-keys", "a-throughput-page", "a-backoff", "a-runbook"]
        # The palette offers it too, with a session open.
        assert "Two-week review" in [c.title for c in app.get_system_commands(screen)]


async def test_a_status_and_a_note_are_recorded_through_the_store_and_z_undoes(
        write_session):
    path = write_session()
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        await review_started(pilot)
        burst(app, "d", "<tab>", "merged in #412 ", HOSTILE, "<enter>")
        await until(pilot, lambda: app.screen.at == 1, "the next action")
        action = app.store.session.actions[0]
        assert action.status == "done"
        assert (action.history[-1].status, action.history[-1].note) == (
            "done", f"merged in #412 {HOSTILE}")
        assert str(app.screen.query_one("#where").content).endswith("1 recorded")
        # The next action comes with its status as it is and an empty note.
        assert app.screen.query_one("#status").value == "open"
        assert app.screen.query_one("#note").value == ""
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.store.session.actions[0].status == "open"
        assert len(app.store.session.actions[0].history) == 1
        burst(app, "<pageup>", "r", "<tab>", "not worth it", "<enter>")
        await until(pilot, lambda: app.store.session.actions[0].status == "dropped",
                    "the first action recorded again")
        assert app.screen.at == 1
        # The note typed straight after the status letter, no Tab: the letter chooses, the
        # rest is the note (its d's and r's are text, not statuses).
        burst(app, "oreordered: due after the freeze", "<enter>")
        await until(pilot, lambda: app.screen.at == 2, "the third action")
    saved = load_session(path)
    assert [(a.status, a.history[-1].note) for a in saved.actions] == [
        ("dropped", "not worth it"), ("open", "reordered: due after the freeze"), ("open", "")]


async def test_the_end_of_the_walk_holds_the_review_and_w_writes_the_report(write_session):
    path = write_session()
    due = [f for f in check(load_session(path), LogFacts(), AFTER_DUE) if f.rule == "followup.review"]
    assert due  # due five days ago, three actions open
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        await review_started(pilot)
        # One burst over three actions, as tmux or a paste over ssh delivers it.
        burst(app, "d", "<tab>", "merged", "<enter>", "<tab>", "waiting on the vendor",
              "<enter>", "<pagedown>")
        await until(pilot, lambda: app.screen.has_class("-ended"), "the end of the review")
        assert app.store.session.followup_review_held == date(2024, 3, 25)
        assert "1 done, 2 still open, 0 dropped" in str(app.screen.query_one("#summary").content)
        await pilot.press("w")
        await app.workers.wait_for_complete()  # the files are written in a thread
        await pilot.pause()
        assert any(t.title == "Progress report written" for t in app.told)
        assert "incident.review.md" in str(app.screen.query_one("#report").content)
    saved = load_session(path)
    assert saved.followup_review_held == date(2024, 3, 25)
    assert [f for f in check(saved, LogFacts(), AFTER_DUE) if f.rule == "followup.review"] == []
    markdown = (path.parent / "incident.review.md").read_text("utf-8")
    assert "Held on 2024-03-25" in markdown and "waiting on the vendor" in markdown
    assert (path.parent / "incident.review.html").exists()


async def test_quitting_mid_review_keeps_what_is_recorded_and_the_note_typed(write_session):
    path = write_session()
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        await review_started(pilot)
        burst(app, "d", "<tab>", "done and ", "<enter>")
        await until(pilot, lambda: app.screen.at == 1, "the next action")
        burst(app, "r", "<tab>", "half a note, ")
        await until(pilot, lambda: app.screen.query_one("#note").value == "half a note, ",
                    "the typing")
        app.post_message(events.Paste("pasted\x1b[31m in"))
        await until(pilot, lambda: app.screen.query_one("#note").value.endswith(" in"),
                    "the paste")
        await pilot.press("ctrl+q")
    saved = load_session(path)
    assert [(a.status, a.history[-1].note) for a in saved.actions] == [
        ("done", "done and"), ("dropped", "half a note, pasted in"), ("open", "")]
    assert saved.followup_review_held is None  # the walk did not end


async def test_reopening_past_the_open_limit_is_refused_and_records_nothing(write_session):
    path = write_session()
    session = seven_open(path)
    session.actions[0].status = "done"
    session.actions.append(session.actions[0].model_copy(update={"id": "a-late", "status": "open"}))
    save_session(path, session)  # seven open, one done
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        screen = await review_started(pilot)
        assert screen.walk[-1] == "a-1"  # the one done comes after the open ones
        screen.at = len(screen.walk) - 1
        screen.show_action()
        await pilot.pause()
        burst(app, "o", "<tab>", "again", "<enter>")
        await until(pilot, lambda: "actions.open_limit" in str(
            screen.query_one("#refusal").content), "the refusal")
        assert screen.at == len(screen.walk) - 1  # it stays on the action
        done = next(a for a in app.store.session.actions if a.id == "a-1")
        assert done.status == "done" and len(done.history) == 1


async def test_a_note_typed_in_the_same_burst_as_ctrl_q_is_recorded(write_session):
    """Ctrl+Q acts as it arrives: the status letter and the note typed before it in one burst
    were still on their way to the note, and were lost (facilitator trial)."""
    path = write_session()
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        await review_started(pilot)
        burst(app, "oJanuary is not over yet", "<ctrl+q>")
        await until(pilot, lambda: not app.is_running, "the console closed")
    saved = load_session(path)
    assert (saved.actions[0].status, saved.actions[0].history[-1].note) == (
        "open", "January is not over yet")


async def test_a_review_taken_up_again_keeps_the_answers_given_and_counts_them(write_session):
    """Quit midway, opened again the same day: Enter on an action answered already, nothing
    changed, keeps its answer (an empty second entry had replaced the note in the report),
    and the count of answers carries over (facilitator trial)."""
    path = write_session()
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        await review_started(pilot)
        burst(app, "dmerged behind a flag", "<enter>")
        await until(pilot, lambda: app.screen.at == 1, "the next action")
    app = at_review(path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_hold_review()
        screen = await review_started(pilot)
        assert str(screen.query_one("#where").content).endswith("1 recorded")
        burst(app, "<enter>", "<enter>")  # to the note, and on: nothing changed
        await until(pilot, lambda: app.screen.at == 1, "the next action")
        history = app.store.session.actions[0].history
        assert [(h.status, h.note) for h in history[1:]] == [("done", "merged behind a flag")]
