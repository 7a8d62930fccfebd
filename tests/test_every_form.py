"""Every edit form opens on every kind of record in every state: each tick box on and off, each
choice of each choice field. A record marked interpretation, or a person marked involved, once
closed the console as its form opened; these are the records a meeting edits most."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, OptionList, Select

from pmconsole.domain.model import (
    EVENT_KINDS, FACTOR_CATEGORIES, ContributingFactor, SENIORITY_ORDER,
)
from pmconsole.domain.ops import add_op, set_op
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import TickBox, TickList
from pmconsole.tui.widgets.timeline_table import TimelineTable
from snapshot_app import console, demo_copy
from typing_helpers import go_to

SIZE = (120, 40)
EVIDENCE_KINDS = ("timeline", "log", "screenshot", "note", "link")


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


def record(app, collection: str, record_id: str):
    return next(r for r in getattr(app.store.session, collection) if r.id == record_id)


def shown_ticks(form: RecordForm) -> dict[str, bool]:
    """Each tick box of the form: whether it is drawn ticked (its mark, not its colour)."""
    ticks = {}
    for box in form.query(TickBox):
        drawn = str(box.render())
        assert ("▐X▌" in drawn) == box.value and ("▐ ▌" in drawn) == (not box.value)
        if not isinstance(box.parent, TickList):  # a choice of a list is read with its list
            ticks[(box.id or "").removeprefix("field-")] = box.value
    return ticks


async def open_close(pilot, key: str, collection: str, record_id: str) -> dict[str, object]:
    """Open the form with ``key``, read what it shows, save it unchanged, and check the
    record is as it was."""
    app = pilot.app
    before = record(app, collection, record_id).model_dump()
    await pilot.press(key)
    await pilot.pause()
    form = app.screen
    assert isinstance(form, RecordForm), f"{key} did not open a form for {before}"
    shown: dict[str, object] = dict(shown_ticks(form))
    for select in form.query(Select):
        shown[(select.id or "").removeprefix("field-")] = select.value
    for ticks in form.query(TickList):
        shown[(ticks.id or "").removeprefix("field-")] = set(ticks.selected)
    await pilot.press("ctrl+s")
    await pilot.pause()
    if isinstance(app.screen, RecordForm):
        # Only a choice the record lacks (a condition with no category) is asked for.
        errors = [str(e.render()) for e in form.query(".form-error") if not e.has_class("-none")]
        assert errors == ["choose one: " + ", ".join(FACTOR_CATEGORIES)], errors
        await pilot.press("escape")
        await pilot.pause()
    assert not isinstance(app.screen, RecordForm), "the form stayed open"
    assert record(app, collection, record_id).model_dump() == before
    return shown


async def event_form(pilot, event) -> RecordForm:
    """The edit form of ``event``, opened from the timeline with e."""
    app = pilot.app
    table = app.screen.query_one(TimelineTable)
    table.show(app.store.session, keep=event.id)
    table.focus()
    await pilot.press("e")
    await pilot.pause()
    form = app.screen
    assert isinstance(form, RecordForm)
    return form


def select_row(app, table_id: str, record_id: str) -> None:
    table = app.screen.query_one(table_id, DataTable)
    table.move_cursor(row=table.get_row_index(record_id))
    table.focus()


async def test_a_roster_person_in_every_state(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 1)
        person = app.store.session.participants[0]
        for seniority in SENIORITY_ORDER:
            for involved in (True, False):
                app.edit(set_op("participants", "seniority", seniority, person.id),
                         set_op("participants", "involved", involved, person.id))
                await pilot.pause()
                select_row(app, "#roster", person.id)
                shown = await open_close(pilot, "e", "participants", person.id)
                assert shown == {"involved": involved, "seniority": seniority}


async def test_evidence_of_every_kind(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 4)
        item = app.store.session.evidence[0]
        for kind in EVIDENCE_KINDS:
            app.edit(set_op("evidence", "kind", kind, item.id))
            await pilot.pause()
            select_row(app, "#evidence", item.id)
            assert await open_close(pilot, "e", "evidence", item.id) == {"kind": kind}


async def test_a_timeline_event_in_every_state(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        event = app.store.session.timeline[0]
        table = app.screen.query_one(TimelineTable)
        for kind in EVENT_KINDS:
            for basis in ("fact", "interpretation"):
                for major in (True, False):
                    app.edit(set_op("timeline", "kind", kind, event.id),
                             set_op("timeline", "basis", basis, event.id),
                             set_op("timeline", "major", major, event.id))
                    await pilot.pause()
                    table.show(app.store.session, keep=event.id)
                    table.focus()
                    shown = await open_close(pilot, "e", "timeline", event.id)
                    assert shown == {"kind": kind, "interpretation": basis == "interpretation",
                                     "major": major}


async def test_a_condition_in_every_category_and_none(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        major = next(e for e in app.store.session.timeline if e.major)
        factor = ContributingFactor(text="The alert went to one person", event_ids=[major.id])
        app.edit(add_op("factors", factor))
        await go_to(pilot, 6)
        events = app.screen.query_one("#events", OptionList)
        events.highlighted = events.get_option_index(major.id)
        await pilot.pause()
        for category in (*FACTOR_CATEGORIES, None):
            app.edit(set_op("factors", "category", category, factor.id))
            await pilot.pause()
            select_row(app, "#conditions", factor.id)
            shown = await open_close(pilot, "e", "factors", factor.id)
            assert shown == {"category": category if category else Select.NULL}


async def test_an_action_in_every_status_with_factors_linked_and_not(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        session = app.store.session
        action = session.actions[0]
        linked = {session.factors[0].id}
        app.edit(set_op("actions", "factor_ids", sorted(linked), action.id))
        await go_to(pilot, 7)
        for status in ("open", "done", "dropped"):
            app.edit(set_op("actions", "status", status, action.id))
            await pilot.pause()
            select_row(app, "#actions", action.id)
            shown = await open_close(pilot, "e", "actions", action.id)
            assert shown == {"factor_ids": linked}
            assert len(session.factors) > len(linked)  # boxes both on and off were drawn


async def test_a_speaker_turn_of_every_person_skipped_and_not(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 3)
        session = app.store.session
        turn = session.speaker_queue()[0]
        for person in session.participants:
            for skipped in (True, False):
                app.edit(set_op("speaker_turns", "participant_id", person.id, turn.id),
                         set_op("speaker_turns", "skipped", skipped, turn.id))
                await pilot.pause()
                select_row(app, "#queue", turn.id)
                shown = await open_close(pilot, "enter", "speaker_turns", turn.id)
                assert shown == {"skipped": skipped, "speaker": person.name}


async def test_an_edit_form_gives_back_only_what_was_changed_in_it(demo):
    """The note-taker changes an event's text while the facilitator's form on it is open; the
    facilitator changes only the time: the note-taker's words stay."""
    from textual.widgets import Input

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        event = app.store.session.timeline[0]
        at_before, text_before = event.at, event.text
        form = await event_form(pilot, event)
        app.edit(set_op("timeline", "text", text_before + " (first at 19:00 UTC)", event.id))
        form.query_one("#field-at", Input).focus()
        await pilot.pause()
        await pilot.press(*"+5m", "ctrl+s")  # the time is selected: typing replaces it
        await pilot.pause()
        saved = record(app, "timeline", event.id)
        assert saved.text == text_before + " (first at 19:00 UTC)"
        assert (saved.at - at_before).total_seconds() == 5 * 60


async def test_a_text_in_a_form_is_added_to_and_a_time_replaced(demo):
    from textual.widgets import Input

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        event = app.store.session.sorted_timeline()[0]
        form = await event_form(pilot, event)
        await pilot.press(*" too")  # the event's text has the focus: added to, not replaced
        assert form.query_one("#field-text", Input).value == event.text + " too"
        await pilot.press("tab", *"14:00")
        assert form.query_one("#field-at", Input).value == "14:00"


async def test_an_edit_of_an_event_the_other_pane_deleted_brings_it_back_with_the_edit(demo):
    """The note-taker edits an event; the facilitator deletes it meanwhile: what the
    note-taker typed is not lost."""
    from textual.widgets import Input

    from pmconsole.domain.ops import del_op

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        event = app.store.session.timeline[0]
        form = await event_form(pilot, event)
        form.query_one("#field-text", Input).value = "Reworded in the notes pane"
        app.edit(del_op("timeline", event.id))  # the other pane's x
        await pilot.press("ctrl+s")
        await pilot.pause()
        texts = [e.text for e in app.store.session.timeline]
        assert "Reworded in the notes pane" in texts
