"""Storage off the console's event loop (issue 19, item 2): the console's storage thread owns a
replica of the pane's store; it reads the log, keeps the heartbeat, writes checkpoints and merges
hand edits, and the app applies what it found on its own thread. Only the commit of the pane's
own edits stays on the event loop."""

from __future__ import annotations

import threading

import pytest

from pmconsole.domain.ops import set_op
from pmconsole.storage.session_store import SessionStore
from session_files import load_session
from snapshot_app import console, demo_copy
from typing_helpers import until

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


# -- the store ---------------------------------------------------------------------------------


def test_a_replica_reads_for_the_pane_and_checkpoints_without_touching_its_model(write_session):
    path = write_session()
    pane = SessionStore(path)
    other = SessionStore(path, role="notes")
    other.edit(set_op("incident", "title", "from the other pane"))  # after the pane opened
    other.checkpoint()  # the file now starts after the pane's place in the log
    replica = SessionStore(path, origin=pane.origin, replica_from=pane.applied_seq)
    other.edit(set_op("session", "summary", "later"))
    replica.poll()
    assert pane.session.incident.title != "from the other pane"  # nothing applied by the replica
    result = pane.take(replica.rows_read)
    assert pane.session.incident.title == "from the other pane"  # none missed in between
    assert pane.session.summary == "later"
    assert {op.get("f") for op in result.ops} == {"title", "summary"}
    assert pane.take(replica.rows_read).ops == []  # taken twice: applied once
    pane.edit(set_op("incident", "title", "typed in the pane"))
    assert replica.checkpoint()
    assert load_session(path).incident.title == "typed in the pane"
    other.poll()  # its heartbeat; the replica's is the pane's: not another pane
    assert replica.other_panes() == ["notes"]
    replica.close(checkpoint=False)
    pane.close()
    other.close()


def test_closing_after_another_pane_checkpointed_still_writes_the_later_edits(write_session):
    path = write_session()
    pane = SessionStore(path)
    other = SessionStore(path, role="notes")
    pane.edit(set_op("incident", "title", "first"))
    other.poll()
    assert other.checkpoint()  # the file changes under the pane: its own checkpoint, known
    pane.edit(set_op("session", "summary", "typed after that checkpoint"))
    pane.close()
    assert load_session(path).summary == "typed after that checkpoint"
    other.close()


# -- the console -------------------------------------------------------------------------------


async def test_with_polling_on_the_disk_work_is_done_in_the_storage_thread(demo, monkeypatch):
    app = console(demo, poll=True)
    pane = app.store
    where: dict[str, set[str]] = {"poll": set(), "heartbeat": set(), "checkpoint": set()}
    for name, method in (("poll", "poll"), ("heartbeat", "_heartbeat"),
                         ("checkpoint", "_write_checkpoint")):
        real = getattr(SessionStore, method)

        def spy(self, *args, _real=real, _name=name, **kwargs):
            if self.origin == pane.origin:  # this pane's stores, not the other pane below
                where[_name].add(threading.current_thread().name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(SessionStore, method, spy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        step = app.meeting.step
        await pilot.press("f4")  # a step change asks for a checkpoint
        await until(pilot, lambda: load_session(demo).meeting.current_step == step + 1,
                    "the checkpoint of the step change")
        other = SessionStore(demo, role="notes")
        other.edit(set_op("incident", "title", "typed in the notes pane"))
        other.poll()  # its heartbeat
        await until(pilot, lambda: app.store.session.incident.title == "typed in the notes pane",
                    "the other pane's edit")
        await until(pilot, lambda: app.store.other_panes() == ["notes"], "the other pane seen")
        other.close()
        assert where == {name: {"pmconsole-storage"} for name in where}
    # The last checkpoint as the app closes, once the storage thread has stopped.
    assert where["checkpoint"] == {"pmconsole-storage", "MainThread"}
    assert not any(t.name == "pmconsole-storage" for t in threading.enumerate())
    assert load_session(demo).incident.title == "typed in the notes pane"


async def test_a_hand_edit_is_merged_by_the_storage_thread_and_shown(demo, monkeypatch):
    merged_in: list[str] = []
    real = SessionStore._merge_file_change

    def spy(self, **kwargs):
        merged_in.append(threading.current_thread().name)
        return real(self, **kwargs)

    monkeypatch.setattr(SessionStore, "_merge_file_change", spy)
    app = console(demo, poll=True)
    said: list[str] = []
    shown = app.notify
    app.notify = lambda message, **kwargs: (said.append(message), shown(message, **kwargs))[1]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        title = next(w for w in app.screen.query("BoundInput") if w.ref.field == "title")
        old = app.store.session.incident.title
        text = demo.read_text(encoding="utf-8")
        demo.write_text(text.replace(f'title = "{old}"', 'title = "Edited in an editor"'),
                        encoding="utf-8")
        await until(pilot, lambda: title.value == "Edited in an editor", "the merge shown")
        assert app.store.session.incident.title == "Edited in an editor"
        assert any("changed outside pmconsole" in m for m in said), said
        assert set(merged_in) == {"pmconsole-storage"}
        app.edit(set_op("session", "summary", "after the merge"))
    session = load_session(demo)
    assert session.incident.title == "Edited in an editor"
    assert session.summary == "after the merge"
