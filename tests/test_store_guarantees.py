"""The saving guarantees of issue 23: typing is in the store within a second however fast it is
typed, a stale or reverted file never deletes acknowledged edits, a log deleted while open is
rebuilt, the seven-open limit holds under concurrent adds, and a file this version cannot write
opens read-only."""

from __future__ import annotations

import re
import time

import pytest

from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.session_store import SessionStore
from session_files import load_session
from snapshot_app import console, demo_copy
from textual.widgets import Static
from typing_helpers import until

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


async def test_a_newer_schema_session_opens_read_only_with_a_message(demo):
    text = demo.read_text(encoding="utf-8")
    demo.write_text(re.sub(r"(?m)^schema_version = \d+", "schema_version = 99", text), "utf-8")
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.store.read_only
        assert "newer pmconsole" in app.store.read_only
        assert app.save_state() == "READ-ONLY"
        shown = [n.message for n in app.told]
        assert any("newer pmconsole" in m for m in shown), shown
        for key in ("f5", "f4", "f3", "p", "p", "ctrl+q"):
            await pilot.press(key)  # a refused edit is said, never a crash
        await pilot.pause()
    assert "schema_version = 99" in demo.read_text(encoding="utf-8")  # never written


# -- item 1: at most one second of typing only in memory ---------------------------------------


async def _type_steadily(pilot, path, read_typed, *, seconds: float = 3.0, every: float = 0.2):
    """Type a letter every ``every`` seconds for ``seconds`` (real time: the save timers are
    real), and after each key check what is saved on disk: everything typed more than a
    second ago must be there, and the header must not say saved while typing is not."""

    typed: list[tuple[float, str]] = []  # (when, the whole text typed by then)
    text = ""
    start = time.monotonic()
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = 0
    while time.monotonic() - start < seconds:
        letter = letters[i % len(letters)]
        i += 1
        await pilot.press(letter)
        text += letter
        typed.append((time.monotonic(), text))
        saved = read_typed(read_snapshot(path))
        now = time.monotonic()
        due = [t for at, t in typed if now - at > 1.0]
        if due:
            assert saved.startswith(due[-1]), (now - start, due[-1], saved)
        if not saved.endswith(text):
            assert pilot.app.save_state() != "✓ saved"
        await pilot.pause(every)
    return text


async def test_steady_typing_in_the_notes_pane_is_saved_within_a_second(demo):
    app = console(demo, role="notes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        notes = app.screen.query_one("#notes")
        step = notes.ref.record_id
        before = notes.text

        def read_typed(session):
            got = next((n.text for n in session.notes if n.id == step), "")
            return got[len(before):] if got.startswith(before) else ""

        notes.move_cursor(notes.document.end)
        await _type_steadily(pilot, demo, read_typed)


async def test_steady_typing_in_a_field_is_saved_within_a_second(demo):
    from pmconsole.tui.widgets.fields import BoundInput

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        field = next(w for w in app.screen.query(BoundInput) if w._while_typing)
        ref = field.ref
        field.focus()
        field.value = ""
        await pilot.pause()
        field.commit()
        assert ref.read(read_snapshot(demo)) in ("", None)
        await _type_steadily(pilot, demo, lambda session: ref.read(session) or "")


def _notes_in_a_terminal(tmp_path, demo):
    """`pmconsole notes` in a real terminal (tmux), and the file its process id is written to."""
    import shlex
    import sys

    from test_tmux import TMUX, Terminal

    if TMUX is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    pid_file = tmp_path / "pid"
    term = Terminal(tmp_path, 120, 40)
    inner = f"echo $$ > {shlex.quote(str(pid_file))}; exec {shlex.quote(sys.executable)} " \
            f"-m pmconsole notes {shlex.quote(str(demo))}"
    term.start(f"sh -c {shlex.quote(inner)}")
    return term, pid_file


def _step_one_notes(path) -> str:
    return next((n.text for n in read_snapshot(path).notes if n.id == "1"), "")


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_save_what_was_just_typed(tmp_path, demo, signal_name):
    import os
    import signal

    term, pid_file = _notes_in_a_terminal(tmp_path, demo)
    try:
        term.wait_for("notes pane")
        term.burst("typed just before the end")
        term.wait_for("typed just before the end")
        os.kill(int(pid_file.read_text()), getattr(signal, signal_name))
        end = time.monotonic() + 10
        while "PMCONSOLE-EXIT" not in term.screen() and time.monotonic() < end:
            time.sleep(0.1)  # a real process: nothing to await but its end
    finally:
        term.stop()
    assert "typed just before the end" in _step_one_notes(demo)


def test_kill_9_after_steady_typing_loses_at_most_the_last_second(tmp_path, demo):
    import os
    import signal

    term, pid_file = _notes_in_a_terminal(tmp_path, demo)
    typed: list[tuple[float, str]] = []
    try:
        term.wait_for("notes pane")
        text = ""
        start = time.monotonic()
        while time.monotonic() - start < 3.0:
            word = f"w{len(typed)} "
            term.burst(word)
            text += word
            typed.append((time.monotonic(), text))
            time.sleep(0.15)  # the typist's pace, faster than the 0.4 s quiet timer
        killed_at = time.monotonic()
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
    finally:
        term.stop()
    due = [t for at, t in typed if killed_at - at > 1.0]
    assert due and due[-1].strip() in _step_one_notes(demo)


# -- item 9: the seven-open limit under concurrent adds ----------------------------------------


def _waiting_on(pids: list[int], log) -> bool:
    """Every process has the live log open and is asleep (waiting for its write lock)."""
    import os

    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if str(log) not in links or state != "S":
            return False
    return True


def test_eight_concurrent_action_adds_leave_exactly_seven_open(write_session, make_session):
    """Eight `action add` run at once on a session with none open: seven are added, one is
    refused. The test holds the log's write lock until all eight have read the session, so
    every one of them would see none open if the check were made outside the commit."""
    import os
    import sqlite3
    import subprocess
    import sys
    from datetime import timedelta

    from conftest import MEETING_DAY
    from pmconsole.storage.oplog import log_path_for

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to see the processes wait")
    path = write_session(make_session(actions=[]))
    SessionStore(path, role="test").close()  # the live log exists
    log = log_path_for(path)
    holder = sqlite3.connect(log, isolation_level=None, timeout=10.0)
    holder.execute("BEGIN IMMEDIATE")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    due = (MEETING_DAY + timedelta(days=14)).isoformat()
    adds = [
        subprocess.Popen(
            [sys.executable, "-m", "pmconsole", "action", "add", str(path), "--title",
             f"Alert on lag {n}", "--owner", "Sam Rivera", "--due", due,
             "--criterion", "Alert fires within 2 minutes"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for n in range(8)
    ]
    try:
        pids = [add.pid for add in adds]
        end = time.monotonic() + 8.0
        settled = 0
        while settled < 3 and time.monotonic() < end:
            settled = settled + 1 if _waiting_on(pids, log) else 0
            time.sleep(0.1)  # other processes: nothing to await but their state
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    results = [(add.wait(timeout=60), *add.communicate()) for add in adds]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0] * 7 + [1], results
    refused = next(err for code, _, err in results if code == 1)
    assert "actions.open_limit" in refused
    assert len(read_snapshot(path).open_actions()) == 7
    assert len(load_session(path).open_actions()) == 7


async def test_an_action_agreed_in_the_console_is_checked_against_adds_made_meanwhile(demo):
    """The form opens with six open; the command line adds a seventh before the form is
    saved: the console's add is refused by the check inside the commit, and says so."""
    from datetime import timedelta

    from pmconsole.domain.model import ActionItem
    from pmconsole.domain.ops import add_op
    from session_files import save_session
    from test_console_part2 import fill
    from typing_helpers import go_to
    from typing_helpers import seven_open

    seven_open(demo)
    session = load_session(demo)
    session.actions[-1].status = "done"  # six open
    save_session(demo, session)
    app = console(demo)  # no polling: the console learns of the other add only at its commit
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, 7)
        await pilot.press("a")
        other = SessionStore(demo, role="script")
        day = other.session.meeting.scheduled_at.date()
        other.edit(add_op("actions", ActionItem(
            title="Added from the command line", owner="Lin Chen",
            due=day + timedelta(days=14), criterion="Alert fires within 5 minutes")))
        other.close()
        await fill(pilot, title="Rate-limit dashboard", owner="Lin Chen",
                   criterion="Dashboard shows 429 rate within 1 minute")
        await pilot.pause()
        assert not any(a.title == "Rate-limit dashboard" for a in app.store.session.actions)
        assert len(app.store.session.open_actions()) == 7
        assert any("open" in n.message and "limit" in n.message for n in app.told)
    assert len(read_snapshot(demo).open_actions()) == 7


# -- items 3 and 4: a file replaced on disk is merged against the base it came from ------------


def _event_args(text: str):
    from conftest import RESOLVED

    return ["--at", RESOLVED.isoformat(), "--kind", "action", "--text", text]


def test_a_stale_editor_save_keeps_the_event_a_script_added_meanwhile(write_session, capsys):
    from conftest import run

    path = write_session()
    loaded = path.read_text(encoding="utf-8")  # an editor opens the file
    code, out, _ = run(capsys, "timeline", "add", path, *_event_args("added by a script"))
    assert code == 0
    event_id = out.strip()
    # The editor saves its change to the title, over the copy it loaded.
    path.write_text(loaded.replace('title = "Checkout outage"', 'title = "Checkout outage (v2)"'),
                    encoding="utf-8")
    code, _, err = run(capsys, "timeline", "add", path, *_event_args("a later event"))
    assert code == 0
    session = load_session(path)
    assert event_id in {e.id for e in session.timeline}  # acknowledged: never deleted
    assert session.incident.title == "Checkout outage (v2)"
    assert "changed outside pmconsole" in err and err.count("\n") == 1


def test_a_stale_editor_save_over_more_saves_than_are_kept_deletes_nothing(
    write_session, capsys
):
    """An editor open while more commands saved than the checkpoints kept whole
    (store.KEEP_BASES): its base is gone, so what it lacks is not taken as deleted (the
    first three events of 22 were)."""
    from conftest import run
    from pmconsole.storage.oplog import KEEP_BASES

    path = write_session()
    loaded = path.read_text(encoding="utf-8")
    added = []
    for n in range(KEEP_BASES + 2):
        code, out, _ = run(capsys, "timeline", "add", path, *_event_args(f"script {n}"))
        assert code == 0
        added.append(out.strip())
    path.write_text(loaded.replace('title = "Checkout outage"', 'title = "Checkout outage (v2)"'),
                    encoding="utf-8")
    code, _, err = run(capsys, "timeline", "add", path, *_event_args("a later event"))
    assert code == 0
    session = load_session(path)
    assert set(added) <= {e.id for e in session.timeline}
    assert session.incident.title == "Checkout outage (v2)"
    assert "cannot be told apart" in err


def test_a_stale_editor_save_is_merged_against_its_base_in_an_open_console_too(write_session):
    path = write_session()
    loaded = path.read_text(encoding="utf-8")
    store = SessionStore(path)  # a console
    script = SessionStore(path, role="script")
    from conftest import RESOLVED
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op

    event = TimelineEvent(at=RESOLVED, text="added by a script")
    script.edit(add_op("timeline", event))
    script.close()
    store.poll()
    path.write_text(loaded.replace('title = "Checkout outage"', 'title = "Checkout outage (v2)"'),
                    encoding="utf-8")
    notices = store.poll().notices
    assert any("changed outside pmconsole" in n.text for n in notices)
    assert store.session.incident.title == "Checkout outage (v2)"
    assert event.id in {e.id for e in store.session.timeline}
    store.close()
    assert event.id in {e.id for e in load_session(path).timeline}


def test_an_ambiguous_hand_edit_on_the_command_line_overwrites_nothing_and_keeps_the_file(
    write_session, capsys
):
    """The file takes one of two changes made since a version: it may be the older version
    with one change, or the newer with one undone. The command line takes neither."""
    from conftest import run
    from pmconsole.domain.ops import set_op

    path = write_session()
    loaded = path.read_text(encoding="utf-8")
    store = SessionStore(path, role="script")
    store.edit(set_op("incident", "title", "Checkout outage (v2)"),
               set_op("session", "summary", "A new summary."))
    store.close()
    path.write_text(loaded.replace('title = "Checkout outage"', 'title = "Checkout outage (v2)"'),
                    encoding="utf-8")
    code, _, err = run(capsys, "timeline", "add", path, *_event_args("a later event"))
    assert code == 0
    assert "cannot be told apart" in err and "kept as" in err
    session = load_session(path)
    assert session.summary == "A new summary."  # acknowledged: not overwritten
    assert session.incident.title == "Checkout outage (v2)"
    kept = [p for p in path.parent.iterdir() if ".outside-" in p.name]
    assert len(kept) == 1 and "Checkout outage (v2)" in kept[0].read_text(encoding="utf-8")


def test_an_earlier_version_put_back_is_a_revert_said_and_undoable_in_the_console(demo):
    """`git checkout` of a version pmconsole wrote: its changes are merged (not ignored as a
    known checkpoint), the console says so, and z takes the revert back."""
    from pmconsole.domain.ops import set_op

    store = SessionStore(demo)
    first = demo.read_bytes()
    store.edit(set_op("incident", "title", "Renamed in the meeting"))
    store.checkpoint()
    store.close()
    assert demo.read_bytes() != first
    demo.write_bytes(first)  # git checkout of the earlier version
    reopened = SessionStore(demo)
    assert reopened.session.incident.title != "Renamed in the meeting"
    assert any("earlier version" in n.text for n in reopened.notices)
    reopened.close()
    assert load_session(demo).incident.title != "Renamed in the meeting"


async def _revert_in_an_open_console(demo, pilot, app) -> None:
    """Rename the incident and add an event in the console, then put the file back as it was
    before (git): the revert changes the title back and deletes the event."""
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op, set_op
    from pmconsole.tui.dialogs.conflict import ChooseVersion

    first = demo.read_bytes()
    at = app.store.session.incident.started_at
    app.store.edit(set_op("incident", "title", "Renamed in the meeting"),
                   add_op("timeline", TimelineEvent(id="e-typed", at=at, text="typed live")))
    app.store.checkpoint()
    demo.write_bytes(first)
    app.poll_store()
    await until(pilot, lambda: isinstance(app.screen, ChooseVersion), "the question")
    assert app.store.session.incident.title != "Renamed in the meeting"  # merged at once
    assert "earlier version" in str(app.screen.query_one(".what", Static).render())


def _has_typed_event(app) -> bool:
    return any(e.id == "e-typed" for e in app.store.session.timeline)


# The key, then the title and whether the event deleted by the revert is there afterwards.
@pytest.mark.parametrize("key, title_kept, event_kept", [
    ("m", "Renamed in the meeting", True),  # mine: as before the file changed
    ("f", None, False),  # the file's version, its deletion included
    ("b", None, True),  # both: the file's title, the deleted event put back
    ("escape", None, True),  # Escape: both, so nothing acknowledged is lost
])
async def test_a_revert_while_the_console_is_open_asks_which_version_stays(
    demo, key, title_kept, event_kept
):
    from pmconsole.tui.dialogs.conflict import ChooseVersion
    from pmconsole.tui.dialogs.read_first import READ_FIRST

    before = load_session(demo).incident.title
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await _revert_in_an_open_console(demo, pilot, app)
        await pilot.pause(READ_FIRST)  # a key in the dialog's first moment is not used
        await pilot.press(key)
        await until(pilot, lambda: not isinstance(app.screen, ChooseVersion), "an answer")
        assert app.store.session.incident.title == (title_kept or before)
        assert _has_typed_event(app) == event_kept
        if key != "m":  # the file's change kept: z still takes it back
            app.action_undo()
            assert app.store.session.incident.title == "Renamed in the meeting"
            assert _has_typed_event(app)


async def test_keys_typed_as_the_version_question_shows_do_not_answer_it(demo, monkeypatch):
    """Keys in the question's first moment were on their way before it was seen: not used."""
    from pmconsole.tui.dialogs import read_first
    from pmconsole.tui.dialogs.conflict import ChooseVersion

    monkeypatch.setattr(read_first, "READ_FIRST", 30.0)  # the first moment lasts the test
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await _revert_in_an_open_console(demo, pilot, app)
        await pilot.press("m", "f", "m")  # at once: before anyone could have read it
        await pilot.pause()
        assert isinstance(app.screen, ChooseVersion)
        title = app.store.session.incident.title
        assert title != "Renamed in the meeting"


async def test_the_version_question_waits_while_someone_types(demo, monkeypatch):
    from pmconsole.domain.ops import set_op
    from pmconsole.tui.dialogs.conflict import ChooseVersion

    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        typing = [True]  # keys keep coming until the test says they stopped
        monkeypatch.setattr(app.keys, "quiet_for", lambda: 0.0 if typing[0] else 60.0)
        first = demo.read_bytes()
        app.store.edit(set_op("incident", "title", "Renamed in the meeting"))
        app.store.checkpoint()
        demo.write_bytes(first)
        app.poll_store()
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ChooseVersion)
        typing[0] = False
        await until(pilot, lambda: isinstance(app.screen, ChooseVersion), "the question")


def test_an_earlier_version_put_back_is_a_revert_on_the_command_line_deleting_nothing(
    write_session, capsys
):
    from conftest import run

    path = write_session()
    code, out, _ = run(capsys, "timeline", "add", path, *_event_args("first"))
    first = path.read_bytes()
    code, out, _ = run(capsys, "timeline", "add", path, *_event_args("second"))
    second_id = out.strip()
    code, out, _ = run(capsys, "followup", "set", path, "2024-03-13")
    assert code == 0
    path.write_bytes(first)  # git checkout of the version with the first event only
    code, _, err = run(capsys, "timeline", "add", path, *_event_args("third"))
    assert code == 0
    assert "earlier version" in err
    session = load_session(path)
    assert second_id in {e.id for e in session.timeline}  # acknowledged: kept
    assert session.followup_review_at is None  # the field it changes: reverted


# -- item 5: Ctrl+Q with the disk full ----------------------------------------------------------


class _DiskFull:
    """A live log connection on a full disk: nothing can be committed."""

    def __init__(self, real):
        self.real = real

    def execute(self, sql, *args):
        if sql.startswith("BEGIN"):
            import sqlite3

            raise sqlite3.OperationalError("database or disk is full")
        return self.real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.real, name)


async def test_ctrl_q_with_the_disk_full_warns_first_and_a_second_ctrl_q_quits(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        real = app.store._conn
        app.store._conn = _DiskFull(real)
        field = next(w for w in app.screen.query("BoundInput") if w._while_typing)
        field.focus()
        await pilot.press("x")
        field.commit()
        assert app.store.pending and "disk is full" in app.store.error
        assert app.save_state() == "⚠ NOT SAVED, retrying"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        said = [n.message for n in app.told]
        assert any("disk would not take" in m and "Ctrl+Q again" in m for m in said), said
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.return_code == 0
        app.store._conn = real


# -- item 16: a file read half-written --------------------------------------------------------


async def test_a_file_read_half_written_is_read_only_until_whole_and_typing_waits(demo):
    app = console(demo, role="notes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        whole = demo.read_bytes()
        demo.write_bytes(whole[: len(whole) // 2])  # the first half of someone's save
        app.poll_store()
        assert app.store.read_only
        notes = app.screen.query_one("#notes")
        notes.focus()
        await pilot.press("h", "i")
        notes.commit()  # refused: the session is read-only
        assert notes._dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running, "quitting with typing not saved must ask first"
        said = [n.message for n in app.told]
        assert any("Ctrl+Q again" in m and "hi" in m for m in said), said
        demo.write_bytes(whole)  # the second half lands
        app.poll_store()
        await pilot.pause()
        assert not app.store.read_only
        assert not notes._dirty
        assert app.save_state() == "✓ saved"
    assert _step_one_notes(demo).endswith("hi")


def test_the_store_edits_again_once_a_half_written_file_is_whole(demo):
    from pmconsole.domain.ops import set_op

    store = SessionStore(demo)
    whole = demo.read_bytes()
    demo.write_bytes(whole[: len(whole) // 2])
    store.poll()
    assert "cannot be read" in store.read_only
    demo.write_bytes(whole)
    notices = store.poll().notices
    assert not store.read_only
    assert any("can be read again" in n.text for n in notices)
    store.edit(set_op("incident", "title", "after the file was whole"))
    store.close()
    assert load_session(demo).incident.title == "after the file was whole"


# -- item 6: the live log deleted while open ---------------------------------------------------


@pytest.mark.parametrize("what", ["the log", "the log and its side files"])
def test_a_log_deleted_while_open_is_rebuilt_and_loses_no_acknowledged_edit(
    write_session, capsys, what
):
    from conftest import run
    from pmconsole.domain.ops import set_op
    from pmconsole.storage.oplog import log_path_for

    path = write_session()
    console_store = SessionStore(path)  # a console, open
    console_store.edit(set_op("incident", "title", "typed in the console"))  # in the log only
    log = log_path_for(path)
    for side in ("",) if what == "the log" else ("", "-wal", "-shm"):
        log.with_name(log.name + side).unlink(missing_ok=True)
    code, out, _ = run(capsys, "timeline", "add", path, *_event_args("added after the rm"))
    assert code == 0
    event_id = out.strip()
    notices = console_store.poll().notices
    assert event_id in {e.id for e in console_store.session.timeline}
    assert console_store.session.incident.title == "typed in the console"
    console_store.edit(set_op("session", "summary", "after the rebuild"))
    for session in (read_snapshot(path), load_session(path)):
        assert session.incident.title == "typed in the console"
        assert event_id in {e.id for e in session.timeline}
    console_store.close()
    assert any("deleted or replaced" in n.text for n in notices)
    session = SessionStore(path).session
    assert session.summary == "after the rebuild"
    assert event_id in {e.id for e in session.timeline}
    assert session.incident.title == "typed in the console"


async def test_a_key_handled_after_the_deadline_saves_at_once(demo):
    """A busy loop or a burst can hand over a key after the first unsaved key's deadline:
    the save is then due at once, and happens (a timer of no interval would never fire)."""
    app = console(demo, role="notes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        notes = app.screen.query_one("#notes")
        await pilot.press("a")
        # As if the loop had been busy since the first key (set, not shifted: on a busy
        # machine the first key may have been saved already, and the next key starts anew).
        notes._first_unsaved = time.monotonic() - 5.0
        await pilot.press("b")
        end = time.monotonic() + 2.0
        while notes._dirty and time.monotonic() < end:
            await pilot.pause(0.05)
        assert _step_one_notes(demo).endswith("ab")


async def test_a_hand_edit_merged_while_the_console_is_open_is_shown(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        title = next(w for w in app.screen.query("BoundInput") if w.ref.field == "title")
        text = demo.read_text(encoding="utf-8")
        old = app.store.session.incident.title
        demo.write_text(text.replace(f'title = "{old}"', 'title = "Edited in an editor"'),
                        encoding="utf-8")
        app.poll_store()
        await pilot.pause()
        assert app.store.session.incident.title == "Edited in an editor"
        assert title.value == "Edited in an editor"


def test_a_command_s_edit_made_just_before_the_log_is_deleted_is_kept(write_session, capsys):
    """A command commits an event (and writes the file), then the log is deleted before the
    open console has seen the event: the console's rebuild keeps it (it was dropped)."""
    from conftest import run
    from pmconsole.storage.oplog import log_path_for

    path = write_session()
    console_store = SessionStore(path)  # a console, open, that has not polled since
    code, out, _ = run(capsys, "timeline", "add", path, *_event_args("added just before the rm"))
    assert code == 0
    event_id = out.strip()
    log = log_path_for(path)
    for side in ("", "-wal", "-shm"):
        log.with_name(log.name + side).unlink(missing_ok=True)
    console_store.poll()
    assert event_id in {e.id for e in console_store.session.timeline}
    console_store.close()
    assert event_id in {e.id for e in load_session(path).timeline}


def test_a_command_that_cannot_save_says_why_without_retrying(write_session, capsys, monkeypatch):
    """A full disk: the command exits 2 and says why; it does not say "retrying", which only
    the console does."""
    from conftest import one_line, run

    path = write_session()
    before = path.read_bytes()

    def disk_full(store) -> bool:
        if not store.pending:
            return True
        store.error = "not saved — database or disk is full; retrying"
        return False

    monkeypatch.setattr(SessionStore, "_flush", disk_full)
    code, _, err = run(capsys, "timeline", "add", path, *_event_args("not to be kept"))
    assert code == 2
    assert "disk is full" in one_line(err) and "retrying" not in err
    assert path.read_bytes() == before


def test_a_command_that_only_looks_says_a_file_changed_outside_is_shown_as_on_disk(
    write_session, capsys
):
    """`export` and `check` write nothing, so they do not merge a hand edit: they say the file
    is shown as it is, and how many edits in the log it lacks until the next edit merges it."""
    from conftest import RESOLVED, run
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op

    path = write_session()
    loaded = path.read_text(encoding="utf-8")
    console_pane = SessionStore(path)  # open, its edit in the log, not yet checkpointed
    console_pane.edit(add_op("timeline", TimelineEvent(at=RESOLVED, text="typed live")))
    path.write_text(loaded.replace('title = "Checkout outage"', 'title = "Edited by hand"'),
                    encoding="utf-8")
    for command in (["check", path], ["export", path, "--format", "md", "-o", "-"]):
        code, _, err = run(capsys, *command)
        assert "changed outside pmconsole" in err and "without the 1 edit(s)" in err, command
    console_pane.close()
    code, _, err = run(capsys, "check", path)
    assert "changed outside" not in err  # merged on close: nothing to say
    session = load_session(path)
    assert session.incident.title == "Edited by hand"
    assert "typed live" in {e.text for e in session.timeline}


def test_a_live_log_emptied_in_place_while_open_is_rebuilt_and_writers_go_on(write_session):
    """`: > NAME.pmlog` keeps the log's name and inode: the open pane notices it within a poll,
    sets it aside and builds the log again from its session; a command then writes at once."""
    from conftest import RESOLVED
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op
    from pmconsole.storage.oplog import log_path_for

    path = write_session()
    earlier = SessionStore(path, role="script")  # a command's edit: the log holds pages
    earlier.edit(add_op("timeline", TimelineEvent(at=RESOLVED, text="added earlier")))
    earlier.close()
    pane = SessionStore(path)
    typed = TimelineEvent(at=RESOLVED, text="typed in the pane")
    pane.edit(add_op("timeline", typed))
    pane.poll()
    log = log_path_for(path)
    assert log.stat().st_size > 0
    with open(log, "r+b") as emptied:  # the same inode, no bytes
        emptied.truncate(0)
    notices = pane.poll().notices
    assert any("emptied or overwritten" in n.text for n in notices), [n.text for n in notices]
    assert [p for p in path.parent.iterdir() if ".broken-" in p.name]
    began = time.monotonic()
    script = SessionStore(path, role="script")
    later = TimelineEvent(at=RESOLVED, text="added by a script")
    script.edit(add_op("timeline", later))
    script.close()
    assert time.monotonic() - began < 5
    pane.poll()
    assert later.id in {e.id for e in pane.session.timeline}
    pane.close()
    texts = {e.text for e in load_session(path).timeline}
    assert {"added earlier", "typed in the pane", "added by a script"} <= texts


def test_a_new_live_log_with_its_pages_still_in_the_write_ahead_file_is_not_taken_for_damage(
    write_session,
):
    """A log SQLite has just made is empty on disk until its first checkpoint."""
    from conftest import RESOLVED
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op

    pane = SessionStore(write_session())
    pane.edit(add_op("timeline", TimelineEvent(at=RESOLVED, text="typed")))
    for _ in range(3):
        assert not [n.text for n in pane.poll().notices]
    pane.close()


def test_a_pane_that_polls_keeps_its_hold_on_the_log_when_a_command_comes_and_goes(
    write_session,
):
    """A pane's looks at its log never let go of SQLite's locks on it: a command that opens
    and closes the log after them must not take it for unused and delete the write-ahead
    file the pane's later edits go to."""
    from conftest import RESOLVED
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op

    path = write_session()
    pane = SessionStore(path)
    pane.edit(add_op("timeline", TimelineEvent(at=RESOLVED, text="first")))
    for _ in range(3):
        pane.poll()
    # Another process (POSIX locks are per process): a command that opens and closes the log.
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", "import sys; from pmconsole.storage.session_store "
                    "import SessionStore; SessionStore(sys.argv[1], role='script').close()",
                    str(path)], check=True, timeout=60)
    pane.edit(add_op("timeline", TimelineEvent(at=RESOLVED, text="after the command")))
    reader = SessionStore(path, role="script")
    try:
        assert "after the command" in {e.text for e in reader.session.timeline}
    finally:
        reader.close()
        pane.close()


def test_records_put_back_by_an_undo_go_back_where_they_were(write_session):
    """An undo of deletions (z, or 'mine' and 'both' after a revert) puts each record back in
    its place, in whatever order the deletions came: the order of actions is the order of the
    summary, the tracker files and the gh script."""
    from pmconsole.domain.ops import LiveSession, del_op, inverse

    session = load_session(write_session())
    for n in range(6):
        session.actions.append(session.actions[0].model_copy(update={"id": f"a-{n}"}))
    order = [a.id for a in session.actions]
    for gone in ([order[1], order[0], order[3]], order[::-1], order[2::2] + order[1::2]):
        live = LiveSession(session.model_copy(deep=True))
        ops = [del_op("actions", record_id) for record_id in gone]
        undo = inverse(live, ops)
        for op in ops:
            live.apply(op)
        for op in undo:
            live.apply(op)
        assert [a.id for a in live.session.actions] == order, gone


def test_with_the_facilitator_s_pane_open_the_notes_pane_leaves_a_revert_to_it(write_session):
    """Which version stays is asked on the facilitator's screen: a notes pane that sees a
    revert first neither merges it nor writes over the file; the facilitator's pane merges it
    and carries the question (its notice has the undo)."""
    from conftest import RESOLVED
    from pmconsole.domain.model import TimelineEvent
    from pmconsole.domain.ops import add_op

    path = write_session()
    facilitator = SessionStore(path)
    first = path.read_bytes()
    facilitator.edit(add_op("timeline", TimelineEvent(at=RESOLVED, text="typed live")))
    facilitator.checkpoint()
    notes = SessionStore(path, role="notes")
    notes.poll()
    facilitator.poll()  # both heartbeats are in
    path.write_bytes(first)  # git checkout of the version before the event
    assert notes.poll().notices == []
    assert not notes.checkpoint() and path.read_bytes() == first
    told = facilitator.poll().notices
    assert any("earlier version" in n.text and n.undo for n in told)
    notes.poll()
    assert notes.poll().notices == [] and not notes.merge_left_to_facilitator
    notes.close()
    facilitator.close()
