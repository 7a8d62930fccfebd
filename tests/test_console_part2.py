"""Steps 5-7 and the wrap-up, driven by keys: timeline, contributing factors, actions."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from textual import events
from textual.widgets import DataTable, Input

from pmconsole.domain import rules
from pmconsole.domain.ops import set_op
from session_files import load_session, save_session
from pmconsole.tui.dialogs.import_preview import ImportPreview
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.keys_footer import KeysFooter
from pmconsole.tui.widgets.timeline_table import TimelineTable
from pmconsole.tui.screens.timeline_panel import TimelinePanel, event_time_parser
from snapshot_app import console, demo_copy
from typing_helpers import answer, go_to, seven_open, until

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


async def on_the_first_action(pilot) -> None:
    """Step 7, its list of actions focused on the first row."""
    await go_to(pilot, 7)
    table = pilot.app.screen.query_one("#actions", DataTable)
    table.focus()
    table.move_cursor(row=0)


def table_texts(app) -> list[str]:
    table = app.screen.query_one("#timeline", TimelineTable)
    return [table.row(i).text for i in range(table.row_count)]


async def fill(pilot, **values: str) -> None:
    form = pilot.app.screen
    assert isinstance(form, RecordForm)
    for name, value in values.items():
        form.query_one(f"#field-{name}", Input).value = value
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_add_edit_delete_and_undo_an_event(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        panel = app.screen.query_one(TimelinePanel)
        before = len(app.store.session.timeline)
        selected = panel.selected()
        # Two keys before typing: a opens the form with the text field focused.
        await pilot.press("a")
        await pilot.press(*"Queue depth alert re-fires")
        await pilot.press("enter")
        await pilot.pause()
        timeline = app.store.session.timeline
        assert len(timeline) == before + 1
        added = next(e for e in timeline if e.text == "Queue depth alert re-fires")
        assert added.at == selected.at  # the time defaults to the selected event's
        assert panel.selected_id() == added.id
        # Edit in place: a new time, typed as +5m.
        await pilot.press("e")
        await fill(pilot, at="+5m", text="Queue depth alert re-fires (edited)")
        edited = app.store.live.get("timeline", added.id)
        assert edited.at == selected.at + timedelta(minutes=5)
        assert edited.text.endswith("(edited)")
        # The table stays sorted by time after the edit.
        times = [e.at for e in app.store.session.sorted_timeline()]
        assert times == sorted(times)
        assert table_texts(app) == [e.text for e in app.store.session.sorted_timeline()]
        # Toggle fact/interpretation and major with one key each.
        await pilot.press("f", "m")
        edited = app.store.live.get("timeline", added.id)
        assert (edited.basis, edited.major) == ("interpretation", True)
        # Delete, then undo.
        await pilot.press("x")
        assert app.store.live.get("timeline", added.id) is None
        await pilot.press("z")
        assert app.store.live.get("timeline", added.id) is not None


async def test_durations_are_derived_from_the_incident_times(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        text = str(app.screen.query_one("#durations").render())
        assert "Time to detect 47 min" in text
        assert "to mitigate 2 h 20 min" in text and "to resolve 3 h 50 min" in text


def test_event_times_can_be_typed_as_clock_or_offset():
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    default = datetime(2026, 11, 23, 13, 50, tzinfo=timezone.utc)  # 14:50 in Berlin
    parse = event_time_parser(default, zone)
    assert parse("") == default
    assert parse("+5m") == default + timedelta(minutes=5)
    assert parse("-1h") == default - timedelta(hours=1)
    assert parse("15:02") == datetime(2026, 11, 23, 14, 2, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        parse("25:00")
    with pytest.raises(ValueError):
        parse("soon")


async def test_the_blame_hint_appears_as_a_condition_is_typed(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 6)
        view = app.screen.query_one("#step-6")
        event_id = view._event_id()
        count = sum(event_id in f.event_ids for f in app.store.session.factors)
        await pilot.press("a")
        form = app.screen
        await pilot.press(*"Lin should have seen it")
        await pilot.pause()
        hint = str(form.query_one("#hint-text").render())
        assert "should have" in hint and "Lin" in hint
        field = form.query_one("#field-text", Input)
        field.value = "The latency alert goes to a channel nobody is paged from"
        await pilot.pause()
        assert str(form.query_one("#hint-text").render()) == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        factors = [f for f in app.store.session.factors if event_id in f.event_ids]
        assert len(factors) == count + 1
        assert f"{count + 1} conditions (aim 3–5)" in str(view.query_one("#question").render())


async def test_the_eighth_open_action_is_refused_and_closing_one_lets_it_in(demo):
    seven_open(demo)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        before = [a.model_dump() for a in app.store.session.actions]
        # With seven open, the form does not even open: the reason is on screen instead.
        await pilot.press("a")
        assert not isinstance(app.screen, RecordForm)
        refusal = app.screen.query_one("#refusal")
        assert not refusal.has_class("-none")
        assert "actions.open_limit" in str(refusal.render())
        assert [a.model_dump() for a in app.store.session.actions] == before  # the 7 intact
        # Close one (d on the first row), and the 8th goes in. A person reads the refusal
        # first: the d is not one of the keys typed with the refused a (that is for
        # test_keys_after_a_refused_key_do_nothing).
        app.keys.burst_gap = 0
        await pilot.press("d")
        assert app.store.session.actions[0].status == "done"
        await pilot.press("a")
        await fill(pilot, title="Rate-limit dashboard", owner="Lin Chen",
                   criterion="Dashboard shows 429 rate within 1 minute")
        assert refusal.has_class("-none")
        assert any(a.title == "Rate-limit dashboard" for a in app.store.session.actions)
        assert len(app.store.session.open_actions()) == 7
        # Reopening the closed one would make eight: refused.
        table = app.screen.query_one("#actions", DataTable)
        table.move_cursor(row=0)
        await pilot.press("d")
        assert app.store.session.actions[0].status == "done"
        assert "actions.open_limit" in str(refusal.render())


async def test_a_due_date_outside_the_window_keeps_the_form_open_until_a_reason_is_given(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        count = len(app.store.session.actions)
        late = (app.store.session.meeting.scheduled_at.date() + timedelta(days=30)).isoformat()
        fields = dict(title="Rewrite the retry library", owner="Jonas Weber", due=late,
                      criterion="p95 retry delay under 2 s in the load test")
        await pilot.press("a")
        await fill(pilot, **fields)
        form = app.screen
        assert isinstance(form, RecordForm)  # still open: nothing typed is lost
        assert "actions.due_window" in str(form.query_one("#error-due").render())
        assert form.query_one("#field-title", Input).value == "Rewrite the retry library"
        assert app.focused is form.query_one("#field-due")
        assert len(app.store.session.actions) == count
        await fill(pilot, due_reason="Needs the Q1 library upgrade first")
        assert len(app.store.session.actions) == count + 1
        assert app.store.session.actions[-1].due_reason.startswith("Needs the Q1")


async def test_the_condition_shown_in_full_is_one_of_the_event_chosen(demo):
    """Moving to an event with no conditions yet clears the full text of the last one's."""
    from textual.widgets import OptionList, Static

    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        late = max(e.at for e in app.store.session.timeline) + timedelta(minutes=5)
        app.edit(add_op("timeline", TimelineEvent(at=late, text="Queue drained", major=True)))
        await go_to(pilot, 6)
        await pilot.pause()
        view = app.screen.query_one("#step-6")
        events = view.query_one("#events", OptionList)
        detail = view.query_one("#detail", Static)
        events.highlighted = 0
        await pilot.pause()
        assert str(detail.render()) == view._factors()[0].text
        events.highlighted = events.option_count - 1  # the new event: no conditions yet
        await pilot.pause()
        assert view._factors() == [] and str(detail.render()) == ""


async def test_an_untouched_form_is_not_typing_though_it_links_a_removed_condition(demo):
    """An action can still name a condition removed since: the form cannot show it as chosen,
    and that is not typing that quitting would lose."""
    session = load_session(demo)
    session.actions[0].factor_ids = [*session.actions[0].factor_ids, "f-removed"]
    save_session(demo, session)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await on_the_first_action(pilot)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm) and not form.has_typing()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0


async def test_a_form_field_s_error_goes_once_the_field_is_changed(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm)
        await pilot.press("ctrl+s")  # nothing typed: every required field says so
        await pilot.pause()
        error = form.query_one("#error-owner")
        assert "owner" in str(error.render()).lower() and error.display
        title_error = form.query_one("#error-title")
        assert title_error.display
        form.query_one("#field-owner", Input).value = "Lin Chen"
        await pilot.pause()
        assert not error.display  # the owner is given: its error goes
        assert title_error.display  # the title's, not changed, stays


async def test_the_wrap_up_shows_the_follow_up_review_and_the_findings(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 8)
        assert app.screen.query_one("#review", Input).value == "2026-12-10"
        text = str(app.screen.query_one("#next").render())
        assert "Suggested note-taker next time:" in text
        findings = str(app.screen.query_one("#findings-all").render())
        assert "facts.deadline" in findings


async def type_into(pilot, field: Input, text: str) -> None:
    """Focus the field, clear it with keys and type ``text``, then Enter, as a person does."""
    field.focus()
    await pilot.pause()
    await pilot.press("end", *["backspace"] * len(field.value), *text, "enter")
    await pilot.pause()


async def test_the_follow_up_review_date_is_set_in_the_wrap_up_within_the_rule_s_window(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 8)
        field = app.screen.query_one("#review", Input)
        # The default, two weeks after the meeting of Thu 26 Nov, is shown in the field: the
        # date the exports and the calendar carry. Shown, not written: opening changes nothing.
        assert field.value == "2026-12-10"
        assert app.store.session.followup_review_at is None
        assert "2026-11-27 to 2026-12-10" in str(app.screen.query_one("#review-hint").render())
        # Outside the window: refused with the rule's reason, nothing stored, the field marked.
        await type_into(pilot, field, "2026-12-31")
        assert app.store.session.followup_review_at is None
        assert field.has_class("-invalid")
        refusal = list(app.told)[-1]
        assert "followup.review" in str(refusal.message)
        assert "35 days after the meeting" in str(refusal.message)
        assert str(refusal.title) == "Not saved: followup review at"  # the field, named
        # Inside it: stored, the mark gone.
        await type_into(pilot, field, "2026-12-08")
        assert app.store.session.followup_review_at == date(2026, 12, 8)
        assert not field.has_class("-invalid")
        # Cleared: back to the default, shown again.
        await type_into(pilot, field, "")
        assert app.store.session.followup_review_at is None
        assert field.value == "2026-12-10"
    assert load_session(demo).followup_review_at is None


async def test_exports_from_the_console_are_written_beside_the_session(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.console_screen()
        for fmt in ("md", "html", "json", "ics", "csv"):
            screen.export(fmt)
        await app.workers.wait_for_complete()  # the files are written in a thread
    names = sorted(p.name for p in demo.parent.iterdir() if p.name.startswith("demo."))
    assert {"demo.summary.md", "demo.html", "demo.json", "demo.ics", "demo.actions.csv"} <= set(names)
    assert "Recovery took" in (demo.parent / "demo.summary.md").read_text()


async def test_an_export_over_one_page_is_refused_with_the_reason(demo):
    session = load_session(demo)
    session.summary = "word " * 600
    save_session(demo, session)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        app.console_screen().export("md")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("facts.one_page" in str(n.title) for n in app.told)
    assert not (demo.parent / "demo.summary.md").exists()


async def test_the_wrap_up_exports_with_one_key(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 8)
        await pilot.pause()
        await pilot.press("m", "c")
        await app.workers.wait_for_complete()
    assert (demo.parent / "demo.summary.md").exists()
    assert (demo.parent / "demo.actions.csv").read_text().startswith("Title,")


async def test_ctrl_s_right_after_typing_saves_what_was_typed(demo):
    """A fast typist (or a paste) and Ctrl+S at once: the save waits for the keys before it."""
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("a")
        await pilot.pause()
        # The keys arrive together, as a terminal delivers a paste or fast typing: posted at
        # once rather than one by one as pilot.press does.
        for character in "Rollback verified by on-call":
            app.post_message(events.Key(character, character))
        app.post_message(events.Key("ctrl+s", None))
        for _ in range(3):
            await pilot.pause()
        assert not isinstance(app.screen, RecordForm), "the form is still open"
        assert any(e.text == "Rollback verified by on-call" for e in app.store.session.timeline)


# -- the session picker ---------------------------------------------------------------------------


def test_the_picker_columns_fit_the_width_the_title_giving_way():
    from pmconsole.tui.screens.picker import FILE_MAX, TITLE_MIN, column_widths

    rows = [("A very long incident title " * 4, "2026-11-23", "SEV2", "1/7", "x" * 40)]
    widths = column_widths(rows, 80)
    assert sum(widths) + 2 * len(widths) == 80
    assert widths[1:] == [10, 8, 4, FILE_MAX] and widths[0] >= TITLE_MIN
    assert column_widths(rows, 40)[0] == TITLE_MIN  # narrower than that: the table scrolls
    assert column_widths([("Short", "2026-11-23", "SEV2", "1/7", "a.toml")], 120)[0] == 5
    # Room to spare: a long file name is shown whole (copies of a session share a title).
    named = [("Twenty characters ok", "2026-11-23", "SEV2", "1/7", "f" * 40)]
    assert column_widths(named, 130)[4] == 40


@pytest.mark.parametrize("width", [80, 120])
async def test_every_picker_column_is_on_screen_and_a_long_title_is_cut(tmp_path, width):
    folder = tmp_path / "sessions"
    folder.mkdir()
    path = demo_copy(folder, "a-rather-long-session-file-name-for-the-checkout.toml")
    session = load_session(path)
    session.incident.title = "Checkout " * 20
    save_session(path, session)
    app = console(None, sessions_dir=folder)
    async with app.run_test(size=(width, 24)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        for _ in range(50):
            if table.row_count:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        assert table.virtual_size.width <= width
        shown = table.get_row_at(0)[0]
        assert shown.plain.startswith("Checkout") and shown.overflow == "ellipsis"
        title_width = table.ordered_columns[0].width
        await pilot.resize_terminal(width + 20, 24)
        await pilot.pause()
        assert table.virtual_size.width <= width + 20
        assert table.ordered_columns[0].width == title_width + 20  # the title has the room


async def import_from_step_4(pilot, source) -> None:
    """On step 4, i and the source's path, as a facilitator imports: back once the import has
    been read and its preview is shown (nothing is written before it is answered)."""
    pilot.app.screen.query_one("#evidence", DataTable).focus()
    await pilot.press("i")
    await pilot.pause()
    await fill(pilot, source=str(source))
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_new_session_from_the_picker_needs_no_file_name(tmp_path):
    from datetime import datetime, timezone

    from pmconsole.tui.screens.picker import name_for

    folder = tmp_path / "sessions"
    folder.mkdir()
    app = console(None, sessions_dir=folder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Checkout outage: DB failover!", "ctrl+s")
        await pilot.pause()
        made = sorted(p.name for p in folder.glob("*.toml"))
        month = datetime.now(timezone.utc).strftime("%Y-%m")
        assert made == [f"{month}-checkout-outage-db-failover.toml"]
        assert load_session(folder / made[0]).incident.title == "Checkout outage: DB failover!"
    assert name_for("", datetime(2026, 11, 26, tzinfo=timezone.utc)) == "2026-11-post-mortem.toml"


@pytest.mark.parametrize("width, event_cells", [(80, 25), (120, 45)])
async def test_the_event_text_has_most_of_a_narrow_timeline(demo, width, event_cells):
    app = console(demo)
    async with app.run_test(size=(width, 24)) as pilot:
        await go_to(pilot, 5)
        await pilot.pause()
        table = app.screen.query_one(TimelineTable)
        header = str(app.screen.query_one("#columns").render())
        first = table.events[0].text
        shown = "".join(s.text for s in table.render_line(0)._segments)
        start = header.index("Event")
        assert shown[start:].rstrip().startswith(first[:event_cells])
        await pilot.resize_terminal(width + 30, 24)
        await pilot.pause()
        await pilot.pause()
        wider = str(app.screen.query_one("#columns").render())
        assert wider == table.header_text()  # the titles follow the columns' widths
        if width < 100:
            assert wider.index("Event") > start  # wide enough now for the wide columns


IMPORT_CSV = Path(__file__).resolve().parent / "data" / "import" / "timeline.csv"


@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_an_import_from_step_4_is_recorded_as_evidence_and_its_message_leaves_the_keys(
    demo, size
):
    app = console(demo)
    async with app.run_test(size=size, notifications=True) as pilot:
        await go_to(pilot, 4)
        session = app.store.session
        evidence, events = len(session.evidence), len(session.timeline)
        await import_from_step_4(pilot, IMPORT_CSV)
        await answer(pilot, "y")  # the preview's question
        await pilot.pause()
        session = app.store.session
        taken = len(session.timeline) - events
        assert taken > 0
        # Who brought it (the facilitator, who ran the import), when (now), what (the file
        # and how many events): an evidence item like any other.
        assert len(session.evidence) == evidence + 1
        item = session.evidence[-1]
        assert (item.kind, item.submitted_by, item.submitted_at) == (
            "timeline", "Hana Sato", app.clock.now())
        assert item.reference == f"timeline.csv: {taken} events imported"
        # So facts.deadline judges it as it judges the rest: five minutes before the meeting
        # is late, and the list says so.
        assert any(f.rule == "facts.deadline" and f.subject == item.id
                   for f in rules.check(session, now=app.clock.now()))
        table = app.screen.query_one("#evidence", DataTable)
        assert "LATE" in table.get_row(item.id)[0].plain
        # The message says what was imported, and the keys line stays in sight below it.
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        toasts = list(app.screen.query("Toast"))
        assert any("events taken" in str(t.render()) for t in toasts)
        assert footer.region.y == size[1] - 1 and footer.region.height == 1
        for toast in toasts:
            assert not toast.region.overlaps(footer.region), (toast.region, footer.region)


async def test_the_rows_an_import_skipped_are_listed_on_step_4_and_its_notice_stays_short(
    demo, tmp_path
):
    source = tmp_path / "mixed.csv"
    source.write_text(
        "time,text\n2026-11-23T13:45:00Z,Canary pods reported healthy\n"
        + "".join(f"not a time {n},bad row {n}\n" for n in range(7))
    )
    app = console(demo)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await go_to(pilot, 4)
        await import_from_step_4(pilot, source)
        await answer(pilot, "y")  # the preview's question
        await pilot.pause()
        report = str(app.screen.query_one("#import-report").render())
        assert "Skipped in mixed.csv:" in report
        assert "line 3: time 'not a time 0'" in report and "… and 2 more skipped rows" in report
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        (toast,) = app.screen.query("Toast")
        assert "7 rows skipped" in str(toast.render())
        assert toast.region.height <= 8 and not toast.region.overlaps(footer.region)


async def test_an_import_from_step_4_shows_what_it_would_add_and_writes_only_when_confirmed(
    demo, tmp_path
):
    source = tmp_path / "mixed.csv"
    source.write_text(
        "time,text\n"
        "2026-11-23T13:45:00Z,Canary pods reported healthy\n"
        "2026-11-23T13:45:00Z,Canary pods reported healthy\n"
        "not a time,bad row\n"
    )
    app = console(demo)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await go_to(pilot, 4)
        before = app.store.session.model_copy(deep=True)
        for reply in ("n", "y"):
            await import_from_step_4(pilot, source)
            # Nothing written yet: the events it would add, the rows it would skip with the
            # reason, and the duplicates are shown first.
            assert isinstance(app.screen, ImportPreview)
            assert app.store.session.timeline == before.timeline
            preview = str(app.screen.query_one("#preview").render())
            assert "1 event taken, 1 row skipped, 1 already there" in preview
            assert "observation  —: Canary pods reported healthy" in preview
            assert "line 4: time 'not a time' is not a date and time" in preview
            await answer(pilot, reply)
            await pilot.pause()
            assert not isinstance(app.screen, ImportPreview)
            if reply == "n":
                session = app.store.session
                assert (session.timeline, session.evidence) == (before.timeline, before.evidence)
        session = app.store.session
        assert [e.text for e in session.timeline if e not in before.timeline] == [
            "Canary pods reported healthy"]
        assert len(session.evidence) == len(before.evidence) + 1


# -- one key removes, z brings it back ---------------------------------------------------------------


def notices(app) -> list[str]:
    return [str(n.message) for n in app.told]


async def test_removed_evidence_comes_back_with_z_and_typing_on_step_4_goes_to_the_summary(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 4)
        await pilot.pause()
        # A sentence typed as the step opens goes to the summary, not to the list's keys.
        summary = app.store.session.summary
        evidence = [e.model_dump() for e in app.store.session.evidence]
        assert app.focused is app.screen.query_one("#summary")
        await pilot.press(*"Ax ")
        await pilot.pause()
        assert app.screen.query_one("#summary").text == "Ax " + summary
        assert [e.model_dump() for e in app.store.session.evidence] == evidence
        # From the list, x removes the selected item and z brings it back, whole.
        app.screen.query_one("#evidence", DataTable).focus()
        await pilot.press("x")
        await pilot.pause()
        assert [e.model_dump() for e in app.store.session.evidence] == evidence[1:]
        assert any("z undoes it" in n for n in notices(app))
        await pilot.press("z")
        await pilot.pause()
        assert sorted(e.model_dump()["id"] for e in app.store.session.evidence) == sorted(
            e["id"] for e in evidence)
        assert evidence[0] in [e.model_dump() for e in app.store.session.evidence]
        # Nothing more to bring back: z says so and changes nothing.
        await pilot.press("z")
        await pilot.pause()
        assert len(app.store.session.evidence) == len(evidence)
        assert "Nothing to undo." in notices(app)


async def remove_the_facilitator(pilot) -> str:
    """x on the facilitator's row of the roster; the facilitator's id."""
    app = pilot.app
    facilitator = app.store.session.meeting.facilitator
    ids = [p.id for p in app.store.session.participants]
    roster = app.screen.query_one("#roster", DataTable)
    roster.focus()
    roster.move_cursor(row=ids.index(facilitator))
    await pilot.press("x")
    await pilot.pause()
    assert app.store.session.meeting.facilitator is None
    return facilitator


async def test_a_removed_facilitator_comes_back_to_the_roster_and_an_open_role(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        meeting = app.store.session.meeting
        before = app.store.live.get("participants", meeting.facilitator).model_dump()
        other = next(p.id for p in app.store.session.participants
                     if p.id not in (meeting.facilitator, meeting.note_taker))
        facilitator = await remove_the_facilitator(pilot)
        await pilot.press("z")
        await pilot.pause()
        assert app.store.session.meeting.facilitator == facilitator
        assert app.store.live.get("participants", facilitator).model_dump() == before
        # Removed again, and someone else chosen meanwhile: z does not take the role back.
        await remove_the_facilitator(pilot)
        app.edit(set_op("meeting", "facilitator", other))
        await pilot.press("z")
        await pilot.pause()
        assert app.store.live.get("participants", facilitator) is not None
        assert app.store.session.meeting.facilitator == other


async def test_a_removed_condition_comes_back_with_z(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 6)
        view = app.screen.query_one("#step-6")
        table = view.query_one("#conditions", DataTable)
        table.focus()
        await pilot.pause()
        factor = view._selected_factor()
        before = factor.model_dump()
        await pilot.press("x")
        await pilot.pause()
        after = app.store.live.get("factors", factor.id)
        event_id = view._event_id()
        assert after is None or event_id not in after.event_ids
        await pilot.press("z")
        await pilot.pause()
        assert app.store.live.get("factors", factor.id).model_dump()["event_ids"] == before[
            "event_ids"]


async def test_a_dropped_action_comes_back_open_with_z_but_not_past_the_limit(demo):
    seven_open(demo)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await on_the_first_action(pilot)
        first = app.store.session.actions[0].id
        await pilot.press("x")
        await pilot.pause()
        assert app.store.live.get("actions", first).status == "dropped"
        await pilot.press("z")
        await pilot.pause()
        assert app.store.live.get("actions", first).status == "open"
        # Dropped again, and an eighth added meanwhile: z refuses to make eight open.
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("a")
        await fill(pilot, title="Rate-limit dashboard", owner="Lin Chen",
                   criterion="Dashboard shows 429 rate within 1 minute")
        assert len(app.store.session.open_actions()) == 7
        await pilot.press("z")
        await pilot.pause()
        assert app.store.live.get("actions", first).status == "dropped"
        assert "actions.open_limit" in str(app.screen.query_one("#refusal").render())


async def test_escape_asks_before_dropping_a_filled_form_and_a_clean_one_closes_at_once(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        count = len(app.store.session.actions)
        # Nothing typed: one Escape closes.
        await pilot.press("a")
        assert isinstance(app.screen, RecordForm)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordForm)
        # Typed: the first Escape keeps the form and says how to drop or save it.
        await pilot.press("a", *"Page on-call")
        await pilot.press("escape")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm)
        assert form.query_one("#field-title", Input).value == "Page on-call"
        assert "Escape again drops" in str(form.query_one("#form-keys").render())
        # Typing more asks again on the next Escape.
        await pilot.press("s")
        await pilot.pause()
        assert "Escape again" not in str(form.query_one("#form-keys").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
        # The second Escape in a row drops it; nothing was added.
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordForm)
        assert len(app.store.session.actions) == count


# -- keys that arrive together act in the order typed --------------------------------------------


def burst(app, *typed: str) -> None:
    """Keys as a terminal delivers a burst (a paste of keys over ssh, tmux send-keys): all
    queued before the first is handled."""
    names = {" ": ("space", " "), "\t": ("tab", "\t"), "\b": ("backspace", "\x7f")}
    for text in typed:
        for char in text:
            key, character = names.get(char, (char, char))
            app.post_message(events.Key(key, character))


async def at_the_end_of_the_title(pilot) -> tuple[Input, str]:
    """Step 1's title field, which has the focus at start, its cursor at the end; its text."""
    await pilot.pause()
    field = pilot.app.focused
    assert isinstance(field, Input)
    field.action_end()
    return field, field.value


async def test_a_burst_of_keys_fills_a_new_form_as_typed(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        # "a" opens the form; the rest was typed before its first field had the focus.
        burst(app, "aPaged DBA\t10:20")
        await pilot.pause()
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm)
        assert form.query_one("#field-text", Input).value == "Paged DBA"
        assert form.query_one("#field-at", Input).value == "10:20"


async def test_backspace_in_a_burst_deletes_what_was_typed_before_it(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        field, before = await at_the_end_of_the_title(pilot)
        burst(app, "ab\bc")
        await pilot.pause()
        assert field.value == before + "ac"


async def test_an_unticked_box_is_empty_not_told_by_colour_alone(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("a")
        form = app.screen
        major = form.query_one("#field-major")
        assert "▐ ▌" in str(major.render()) and "X" not in str(major.render())
        major.value = True
        await pilot.pause()
        assert "▐X▌" in str(major.render())
        await pilot.press("escape", "escape")
        await on_the_first_action(pilot)
        await pilot.press("e")
        await pilot.pause()
        links = app.screen.query_one("#field-factor_ids")
        action = app.store.session.actions[0]
        boxes = list(links.query("TickBox"))
        marks = [str(box.render())[:3] for box in boxes]
        chosen = [box.name in action.factor_ids for box in boxes]
        assert True in chosen and False in chosen
        assert marks == ["▐X▌" if c else "▐ ▌" for c in chosen]


async def test_keys_typed_before_a_step_key_stay_on_the_step_they_were_typed_on(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        title, before = await at_the_end_of_the_title(pilot)
        burst(app, "ab")
        app.post_message(events.Key("f4", None))
        await pilot.pause()
        await pilot.pause()
        assert app.meeting.step == 2
        assert title.value == before + "ab"  # where it was typed
        assert app.screen.query_one("#question", Input).value == app.store.session.question.text
        # x typed on the timeline just before F4 removes nothing on step 6.
        await go_to(pilot, 5)
        await pilot.pause()
        factors = [f.model_dump() for f in app.store.session.factors]
        burst(app, "x")
        app.post_message(events.Key("f4", None))
        await pilot.pause()
        await pilot.pause()
        assert app.meeting.step == 6
        assert [f.model_dump() for f in app.store.session.factors] == factors


async def test_ticking_a_box_counts_as_a_change_and_the_form_saves_it(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 5)
        await pilot.press("a", *"Queue alert")
        await pilot.press("escape")  # asks first: typing is there
        form = app.screen
        assert "Escape again" in str(form.query_one("#form-keys").render())
        major = form.query_one("#field-major")
        major.focus()
        await pilot.press("space")
        await pilot.pause()
        assert major.value and major.has_class("-on")
        assert "Escape again" not in str(form.query_one("#form-keys").render())  # a change
        await pilot.press("ctrl+s")
        await pilot.pause()
        added = next(e for e in app.store.session.timeline if e.text == "Queue alert")
        assert added.major


async def test_an_export_that_fails_says_so_instead_of_nothing(demo, monkeypatch):
    """The export runs in a thread: an error there was lost with the thread, and the key did
    nothing that anyone could see (facilitator trial)."""
    from pmconsole import exporters

    def broken(*args, **kwargs):
        raise ValueError("no drawing for this timeline")

    monkeypatch.setattr(exporters, "export", broken)
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        app.console_screen().export("html")
        await app.workers.wait_for_complete()
        await pilot.pause()
        last = list(app.told)[-1]
        assert str(last.title) == "Not exported"
        assert "ValueError: no drawing for this timeline" in str(last.message)
    assert not (demo.parent / "demo.html").exists()


async def test_typing_in_the_same_burst_as_ctrl_q_is_saved(demo):
    """Ctrl+Q, a key acted on as it arrives, waits for the keys typed before it: they are in
    the field, and saved, before the console closes."""
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = app.store.session.incident.title
        burst(app, " (edited)")  # this file's burst: characters only
        app.post_message(events.Key("ctrl+q", None))  # in the same burst
        await until(pilot, lambda: not app.is_running, "the console closed")
    assert load_session(demo).incident.title == before + " (edited)"
