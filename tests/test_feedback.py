"""The anonymous feedback form: answers from several people at once, nothing identifying."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys

from textual.geometry import Region
from textual.widgets import RadioButton, RadioSet, TextArea

from pmconsole.storage.session_store import SessionStore
from session_files import load_session
from snapshot_app import console, demo_copy

async def test_at_80x24_the_form_opens_on_its_question_and_only_the_chosen_rating_is_dotted(
    tmp_path,
):
    path = demo_copy(tmp_path)
    app = console(path, role="feedback")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#safety", RadioSet)
        assert app.screen.query_one(".title").region.y >= 0  # the title is on screen
        assert app.screen.query_one("VerticalScroll").scroll_y == 0
        buttons = list(app.screen.query_one("#safety", RadioSet).query("Rating"))
        assert "1 not at all" in str(buttons[0].render())  # whole, not "1 not at…"
        assert all("●" not in str(b.render()) for b in buttons)
        await pilot.press("right", "right", "enter")
        await pilot.pause()
        assert ["●" in str(b.render()) for b in buttons] == [False, False, True, False, False]
        # Another choice: one rating chosen, and the one sent.
        await pilot.press("right", "enter")
        await pilot.pause()
        assert ["●" in str(b.render()) for b in buttons] == [False, False, False, True, False]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert [a.rating for a in load_session(path).feedback] == [4]


async def test_at_80x24_ctrl_s_records_one_answer_clears_the_form_and_says_so_on_screen(tmp_path):
    path = demo_copy(tmp_path)
    app = console(path, role="feedback")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("right", "right", "enter")  # 3
        app.screen.query_one("#went-well", TextArea).load_text("Calm timeline work")
        app.screen.query_one("#unsaid", TextArea).load_text("The deploy checklist worries me")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert [(a.rating, a.comment) for a in app.store.session.feedback] == [
            (3, "Calm timeline work")]
        # The form is empty again: no rating chosen, no text.
        screen = app.screen
        assert not any(b.value for b in screen.query_one("#safety", RadioSet).query(RadioButton))
        assert screen.query_one("#went-well", TextArea).text == ""
        assert screen.query_one("#unsaid", TextArea).text == ""
        # The confirmation is on screen, above the keys line, not scrolled out of sight.
        thanks = screen.query_one("#thanks")
        assert "Thank you" in str(thanks.render())
        visible = Region(0, 0, 80, 24 - 1)  # all but the keys line
        assert thanks.region.height > 0 and visible.contains_region(thanks.region), thanks.region
        # Ctrl+S again, on the emptied form: nothing more is recorded.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(app.store.session.feedback) == 1
        assert "Nothing to send" in str(list(app.told)[-1].message)
        # The next person at this terminal can answer in the same form.
        await pilot.press("right", "enter")  # 2
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert sorted(a.rating for a in app.store.session.feedback) == [2, 3]
    assert len(load_session(path).feedback) == 2


async def test_opening_the_form_offers_it_and_the_first_answer_ends_the_finding(tmp_path):
    from pmconsole.domain import rules

    path = demo_copy(tmp_path)
    assert not load_session(path).meeting.feedback_offered
    app = console(path, role="feedback")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        session = app.store.session
        assert session.meeting.feedback_offered  # the form is open: it is offered
        (finding,) = [f for f in rules.check(session) if f.rule == "feedback.anonymous"]
        assert "no answers yet" in finding.message
        await pilot.press("right", "enter", "ctrl+s")
        await pilot.pause()
        assert not [f for f in rules.check(app.store.session) if f.rule == "feedback.anonymous"]


ANSWER = """
import sys
from pmconsole.domain.model import Feedback
from pmconsole.domain.ops import add_op
from pmconsole.storage.session_store import SessionStore
store = SessionStore(sys.argv[1], role="feedback")
store.edit(add_op("feedback", Feedback(rating=int(sys.argv[2]), comment="went well " + sys.argv[2],
                                       unsaid="unsaid " + sys.argv[2])))
store.close()
"""


async def test_the_form_records_an_answer(tmp_path):
    path = demo_copy(tmp_path)
    app = console(path, role="feedback")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#safety", RadioSet)  # the first question
        await pilot.press("right", "right", "enter")  # the third choice: 3
        app.screen.query_one("#went-well", TextArea).load_text("Calm timeline work")
        app.screen.query_one("#unsaid", TextArea).load_text("The deploy checklist worries me")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Thank you" in str(app.screen.query_one("#thanks").render())
    answers = load_session(path).feedback
    assert [(a.rating, a.comment, a.unsaid) for a in answers] == [
        (3, "Calm timeline work", "The deploy checklist worries me")
    ]


def test_answers_from_several_processes_are_all_kept_and_anonymous(tmp_path):
    path = demo_copy(tmp_path)
    SessionStore(path).close()  # the live log exists, as when the meeting is open
    procs = [
        subprocess.Popen([sys.executable, "-c", ANSWER, str(path), str(n)])
        for n in range(1, 6)
    ]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    store = SessionStore(path)
    store.checkpoint(force=True)
    store.close()
    answers = load_session(path).feedback
    assert sorted(a.rating for a in answers) == [1, 2, 3, 4, 5]
    data = path.read_bytes()
    block = data[data.index(b"[[feedback]]"):]
    for identifying in (getpass.getuser(), socket.gethostname(), str(os.getpid())):
        assert identifying.encode() not in block
    keys = {line.split(b"=")[0].strip() for line in block.splitlines() if b"=" in line}
    assert keys == {b"id", b"rating", b"comment", b"unsaid"}  # no names, no times
    # Stored in an order that says nothing about who answered first.
    ids = [a.id for a in answers]
    assert ids == sorted(ids)


async def test_an_answer_tab_and_the_next_answer_typed_fast_go_where_typed(tmp_path):
    """Two answers and the Tab between them, in one burst: the second is not put under the
    first question (the text after a Tab once reached the area it left)."""
    from typing_helpers import burst

    path = demo_copy(tmp_path)
    app = console(path, role="feedback")
    async with app.run_test(size=(80, 24)) as pilot:
        went_well = app.screen.query_one("#went-well", TextArea)
        went_well.focus()
        await pilot.pause()
        burst(app, "AAA went well", "<tab>", "BBB not said")
        for _ in range(50):
            await pilot.pause()
            if "BBB" in app.screen.query_one("#unsaid", TextArea).text:
                break
        assert went_well.text == "AAA went well"
        assert app.screen.query_one("#unsaid", TextArea).text == "BBB not said"


async def test_ctrl_q_with_answers_not_sent_asks_first(tmp_path):
    path = demo_copy(tmp_path)
    app = console(path, role="feedback")
    async with app.run_test(size=(80, 24)) as pilot:
        area = app.screen.query_one("#went-well", TextArea)
        area.focus()
        await pilot.press(*"The timeline")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running  # asked, not gone
        assert app.unsaved_typing()[0] == ["the open form “Anonymous feedback”"]
    assert load_session(path).feedback == []
