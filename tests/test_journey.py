"""A whole meeting, as a new facilitator runs it: a new session from the picker to the exports,
every step, forms opened on records in their states, keys sent in bursts (several keys in one
press, as tmux, ssh or a quick typist sends them) at every point where a key is refused, and the
model checked after each.

The pieces are tested elsewhere, one by one; this is the one place that checks they make a
meeting. When a change breaks the meeting, it breaks here."""

from __future__ import annotations

from datetime import timedelta

from textual.notifications import Notify
from textual.widgets import DataTable, Input, OptionList

from pmconsole.domain.clock import FakeClock
from session_files import load_session
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import TickBox
from pmconsole.tui.widgets.timeline_table import TimelineTable
from snapshot_app import MEETING_TIME, console
from typing_helpers import burst, until

SIZE = (120, 40)


async def form_saved(pilot) -> None:
    """The form open now is saved (its typing landed), and closed."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, RecordForm), "the form")
    form = app.screen
    await pilot.press("ctrl+s")
    await pilot.pause()
    errors = [str(e.render()) for e in form.query(".form-error") if not e.has_class("-none")]
    typed = {w.id: w.value for w in form.query(Input)}
    await until(pilot, lambda: app.screen is not form, f"the form to close: {errors} {typed}")


async def next_step(pilot, step: int) -> None:
    app = pilot.app
    await pilot.press("f4")
    blocks = [f.message for f in app.meeting.blocked_move(step)]
    await until(pilot, lambda: app.meeting.step == step, f"step {step}: {blocks}")
    view = app.screen.query_one(f"#step-{step}")
    await until(pilot, lambda: view.complete and app.focused is not None, f"step {step} shown")


def focus_list(app, selector: str, row: int = 0):
    table = app.screen.query_one(selector)
    table.focus()
    if isinstance(table, DataTable):
        table.move_cursor(row=row)
    return table


async def test_a_whole_meeting_from_the_picker_to_the_exports(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    clock = FakeClock(wall=MEETING_TIME)
    app = console(None, sessions_dir=folder, clock=clock)
    said: list[str] = []

    def hear(message) -> None:
        if isinstance(message, Notify):
            said.append(str(message.notification.message))

    async with app.run_test(size=SIZE, message_hook=hear) as pilot:
        # -- the picker: a new session, its title typed at once after n ----------------------
        await pilot.pause()
        burst(app, "nDatabase failover stalled checkout", "<ctrl+s>")
        await until(pilot, lambda: app.store is not None, "the new session to open")
        path = app.store.path
        session = app.store.session
        assert session.incident.title == "Database failover stalled checkout"
        assert app.meeting.step == 1
        # The meeting starts when the room does: F5.
        await pilot.press("f5")
        await until(pilot, lambda: app.store.session.meeting.started_at == clock.now(),
                    "the meeting to start")

        # -- step 1: the roster, each person through the form, typed in one burst -------------
        view = app.screen.query_one("#step-1")
        await until(pilot, lambda: view.complete, "the roster")
        people = [("Ana Lima", "junior"), ("Bo Chen", "junior"), ("Cy Park", "mid"),
                  ("Dee Rao", "senior"), ("Eli Fox", "lead"), ("Fay Moss", "mid")]
        for name, _ in people:
            focus_list(app, "#roster")
            burst(app, "a", name)
            await form_saved(pilot)
        assert [p.name for p in app.store.session.participants] == [n for n, _ in people]
        # Seniority and "involved" through the edit form: a ticked box opens as ticked.
        for row, (name, seniority) in enumerate(people):
            focus_list(app, "#roster", row)
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, RecordForm), "the person form")
            form = app.screen
            form.query_one("#field-seniority").value = seniority
            form.query_one("#field-involved", TickBox).value = name in ("Bo Chen", "Dee Rao")
            await form_saved(pilot)
            focus_list(app, "#roster", row)
            await pilot.press("e")  # and again: the form of a person marked involved opens
            await until(pilot, lambda: isinstance(app.screen, RecordForm), "the form again")
            assert app.screen.query_one("#field-involved", TickBox).value == (
                name in ("Bo Chen", "Dee Rao"))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, RecordForm), "closed")
        session = app.store.session
        assert [p.seniority for p in session.participants] == [s for _, s in people]
        assert [p.name for p in session.participants if p.involved] == ["Bo Chen", "Dee Rao"]
        by_name = {p.name: p.id for p in session.participants}
        view.query_one("#facilitator").value = by_name["Eli Fox"]
        view.query_one("#note_taker").value = by_name["Fay Moss"]
        await pilot.pause()
        assert app.store.session.meeting.facilitator == by_name["Eli Fox"]

        # -- step 2: the learning question --------------------------------------------------
        await next_step(pilot, 2)
        question = app.screen.query_one("#question", Input)
        await until(pilot, lambda: app.focused is question, "the question to have the focus")
        question.value = ""
        burst(app, "Recovery took 50 minutes; how do we bring it to 15?", "<enter>")
        await until(pilot, lambda: app.store.session.question.text.endswith("to 15?"),
                    "the question saved")

        # -- step 3: the speaker queue, junior first; n, k, and z --------------------------
        await next_step(pilot, 3)
        session = app.store.session
        queue = [session.participant(t.participant_id).name for t in session.speaker_queue()]
        assert queue[:2] == ["Ana Lima", "Bo Chen"]
        assert set(queue[-2:]) == {"Eli Fox", "Fay Moss"}
        focus_list(app, "#queue")
        await pilot.press("n")  # Ana starts
        clock.advance(300)
        await pilot.press("n")  # Ana's turn ends, Bo's starts
        turns = app.store.session.speaker_queue()
        assert turns[0].ended_at is not None and turns[1].started_at is not None
        await pilot.press("k")  # Bo skipped
        assert app.store.session.speaker_queue()[1].skipped
        await pilot.press("z")  # no: Bo speaks after all
        assert not app.store.session.speaker_queue()[1].skipped

        # -- step 4: evidence through its form; the summary typed as the step opens ---------
        await next_step(pilot, 4)
        summary = app.screen.query_one("#summary")
        await until(pilot, lambda: app.focused is summary, "the summary to have the focus")
        burst(app, "The primary database failed over; checkout stalled for 50 minutes.")
        await until(pilot, lambda: "stalled" in summary.text, "the summary typed")
        focus_list(app, "#evidence")
        burst(app, "a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm), "the evidence form")
        app.screen.query_one("#field-reference", Input).value = "db-failover.log"
        await form_saved(pilot)
        assert [e.reference for e in app.store.session.evidence] == ["db-failover.log"]

        # -- step 5: the timeline, events typed in bursts, ticked, and edited ---------------
        await next_step(pilot, 5)
        started = app.store.session.incident.started_at
        for offset, text in ((0, "Replication lag alert fired"), (5, "Failover started"),
                             (20, "Checkout errors peaked"), (50, "Checkout recovered")):
            app.screen.query_one(TimelineTable).focus()
            at = (started + timedelta(minutes=offset)).astimezone(app.store.session.zone())
            burst(app, "a", text, "<tab>", f"{at:%Y-%m-%d %H:%M}")
            await form_saved(pilot)
        timeline = app.store.session.sorted_timeline()
        assert [e.text for e in timeline] == ["Replication lag alert fired", "Failover started",
                                              "Checkout errors peaked", "Checkout recovered"]
        table = app.screen.query_one(TimelineTable)
        table.focus()
        table.show(app.store.session, keep=timeline[1].id)
        await pilot.press("m", "f")  # major, and an interpretation
        event = app.store.live.get("timeline", timeline[1].id)
        assert event.major and event.basis == "interpretation"
        await pilot.press("e")  # the form of a ticked event opens, ticked
        await until(pilot, lambda: isinstance(app.screen, RecordForm), "the event form")
        assert app.screen.query_one("#field-major", TickBox).value
        assert app.screen.query_one("#field-interpretation", TickBox).value
        await form_saved(pilot)
        assert app.store.live.get("timeline", timeline[1].id).major

        # -- step 6: three conditions for the major event ---------------------------------
        await next_step(pilot, 6)
        events_list = app.screen.query_one("#events", OptionList)
        assert events_list.option_count == 1
        for text in ("Failover runbook had no owner", "Lag alert went to one person",
                     "Replica had no load test"):
            focus_list(app, "#conditions")
            burst(app, "a", text)
            await form_saved(pilot)
        assert len(app.store.session.factors) == 3

        # -- step 7: seven actions; at the limit, a burst changes nothing ------------------
        await next_step(pilot, 7)
        for n in range(7):
            focus_list(app, "#actions")
            burst(app, "a", f"Action {n}", "<tab>", "Eli Fox", "<tab>", "<tab>",
                  "Failover done in under 10 minutes")
            await form_saved(pilot)
        assert len(app.store.session.open_actions()) == 7
        before = [a.model_dump() for a in app.store.session.actions]
        focus_list(app, "#actions")
        burst(app, "aAdd dashboard alarm, drop x")
        await until(pilot, lambda: any("did nothing" in n for n in said), "the burst's end")
        assert not isinstance(app.screen, RecordForm)
        assert [a.model_dump() for a in app.store.session.actions] == before

        # -- the wrap-up: the exports -----------------------------------------------------
        await next_step(pilot, 8)
        await pilot.press("m", "h", "j", "i", "c")
        await app.workers.wait_for_complete()  # the exports are written in a thread
    stem = path.with_suffix("")
    for suffix in (".summary.md", ".html", ".json", ".ics", ".actions.csv"):
        assert stem.with_name(stem.name + suffix).exists(), suffix
    saved = load_session(path)
    assert saved.question.text.endswith("to 15?")
    assert len(saved.actions) == 7 and len(saved.timeline) == 4
