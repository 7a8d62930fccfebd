"""Permissions, paths and disk faults.

- Files pmconsole creates (session, live log and its -wal/-shm/-lock, exports, the log index,
  the settings file) are 0600 and the folders it creates 0700, whatever the umask: checked with
  os.stat after real use, under umask 000 so that nothing passes by the umask's grace.
- A session path that is a symbolic link is read through the link, and its checkpoint is written
  through it: the target is replaced atomically and the link stays (``store.atomic_write``).
  The live log and the exports go beside the link, where the user named the session; the README
  says so.
- Evidence references are text: nothing reads the file they name.
- Disk faults (EROFS, ENOSPC, EACCES, EIO) are simulated by making ``tempfile.mkstemp``,
  ``os.fsync`` or ``os.replace`` raise, since the suite runs as root and chmod would not stop it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import MEETING_DAY, NOW_TEXT, one_line, run
from pmconsole.storage import locations
from pmconsole.cli import main
from pmconsole.exporters import export
from pmconsole.storage.log_index import PostMortemLog, index_path_for
from pmconsole.domain.model import Evidence, TimelineEvent
from pmconsole.domain.ops import add_op, set_op
from pmconsole.storage.oplog import log_path_for, read_snapshot
from pmconsole.storage.session_store import SessionStore
from session_files import load_session
from snapshot_app import MEETING_TIME, console, demo_copy

README = Path(__file__).resolve().parent.parent / "README.md"
FAULTS = [errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EIO]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)






@pytest.fixture
def open_umask():
    """Umask 000: a file or folder is private only if pmconsole asked for it."""
    old = os.umask(0)
    yield
    os.umask(old)


NEW = ["--title", "Checkout outage", "--incident-start", "2024-03-04T09:10:00Z",
       "--incident-end", "2024-03-04T10:00:00Z", "--meeting", "2024-03-06T22:00:00Z"]


# -- permissions -----------------------------------------------------------------------------------


def test_a_session_and_its_live_log_side_files_are_owner_only(tmp_path, capsys, open_umask):
    folder = tmp_path / "sessions"
    path = folder / "incident.toml"
    assert run(capsys, "new", path, *NEW)[0] == 0
    assert mode(folder) == 0o700  # the folder `new` created
    live = SessionStore(path)
    live.edit(add_op("timeline", TimelineEvent(at=MEETING_TIME, text="an edit")))
    assert live.checkpoint(force=True)
    log = log_path_for(path)
    side_files = [path, log, Path(f"{log}-wal"), Path(f"{log}-shm"), Path(f"{log}-lock")]
    for side in side_files:
        assert side.exists(), side.name
        assert mode(side) == 0o600, f"{side.name} is {oct(mode(side))}"
    live.close()
    for side in side_files:
        if side.exists():
            assert mode(side) == 0o600, side.name
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in side_files if p.exists()
    )  # no temporary file left behind


def test_cli_edits_keep_the_files_owner_only(write_session, capsys, open_umask):
    path = write_session()
    assert run(capsys, "timeline", "add", path, "--at", "2024-03-04T09:30:00Z", "--kind",
               "alert", "--text", "x")[0] == 0
    assert run(capsys, "action", "add", path, "--title", "Alert on lag", "--owner", "Sam",
               "--due", (MEETING_DAY + timedelta(days=14)).isoformat(),
               "--criterion", "fires within 2 minutes")[0] == 0
    for entry in path.parent.iterdir():
        assert mode(entry) == 0o600, f"{entry.name} is {oct(mode(entry))}"


@pytest.mark.parametrize("fmt", ["md", "html", "json", "ics", "csv"])
def test_cli_exports_are_owner_only(fmt, write_session, capsys, open_umask):
    path = write_session()
    code, out, err = run(capsys, "export", path, "--format", fmt)
    assert code == 0, err
    assert mode(Path(out.strip())) == 0o600


async def test_console_exports_are_owner_only(tmp_path, open_umask):
    path = demo_copy(tmp_path)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        for fmt in ("md", "html", "json", "ics", "csv"):
            app.console_screen().export(fmt)
            await pilot.pause()
    written = [p for p in tmp_path.iterdir() if p.suffix in (".md", ".html", ".json", ".ics",
                                                              ".csv")]
    assert len(written) == 5
    for p in written:
        assert mode(p) == 0o600, p.name


def test_the_log_index_and_its_folder_are_owner_only(write_session, tmp_path, open_umask):
    write_session()
    cache = locations.cache_dir()
    log = PostMortemLog(tmp_path)
    try:
        assert log.update().indexed == 1
        index = index_path_for(tmp_path)
        assert index.parent == cache
        assert mode(cache) == 0o700
        for side in (index, Path(f"{index}-wal"), Path(f"{index}-shm")):
            assert side.exists(), side.name
            assert mode(side) == 0o600, f"{side.name} is {oct(mode(side))}"
    finally:
        log.close()


def test_the_cli_log_search_keeps_the_index_owner_only(write_session, tmp_path, capsys,
                                                       monkeypatch, open_umask):
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path))
    write_session()
    assert run(capsys, "log", "search", "checkout")[0] == 0
    cache = locations.cache_dir()
    assert mode(cache) == 0o700
    for entry in cache.iterdir():
        assert mode(entry) == 0o600, entry.name


def test_the_settings_file_is_owner_only(tmp_path, open_umask):
    from pmconsole.storage.config import save_setting

    config = tmp_path / "config" / "config.toml"
    save_setting(config, "theme", "pmconsole-high-contrast")
    assert mode(config.parent) == 0o700 and mode(config) == 0o600


def test_the_demo_copy_is_owner_only(tmp_path, monkeypatch, capsys, open_umask):
    import pmconsole.tui.app as app_module

    monkeypatch.setattr(locations, "demo_dir", lambda: tmp_path / "data" / "demo")
    monkeypatch.setattr(app_module.PmConsole, "run", lambda self, **kw: None)
    assert main(["demo"]) == 0
    demo = tmp_path / "data" / "demo"
    assert mode(demo) == 0o700
    assert mode(demo / "demo.toml") == 0o600


# cmd_new (cli/session_commands.py) used path.parent.mkdir(mode=0o700, parents=True): Python applies the mode to the
# last folder only, so the folders above it got 0777 & ~umask.
def test_every_folder_new_creates_is_owner_only(tmp_path, capsys, open_umask):
    path = tmp_path / "team" / "2026" / "incident.toml"
    assert run(capsys, "new", path, *NEW)[0] == 0
    assert mode(tmp_path / "team" / "2026") == 0o700
    assert mode(tmp_path / "team") == 0o700


# -- paths -----------------------------------------------------------------------------------------


@pytest.fixture
def linked_session(tmp_path, write_session):
    """The session in `repo/`, opened through a symbolic link in `work/`."""
    target = write_session()
    repo = tmp_path / "repo"
    repo.mkdir()
    target = target.rename(repo / "incident.toml")
    work = tmp_path / "work"
    work.mkdir()
    link = work / "incident.toml"
    link.symlink_to(target)
    return link, target


def test_a_session_link_is_read_through(linked_session, capsys):
    link, target = linked_session
    assert load_session(link) == load_session(target)
    code, out, err = run(capsys, "check", link, "--now", NOW_TEXT)
    assert code == 0, err
    code, out, err = run(capsys, "export", link, "--format", "md")
    assert code == 0 and Path(out.strip()).parent == link.parent  # beside the link


# store.atomic_write used to os.replace() onto the path as given: the checkpoint of a session
# opened through a symbolic link replaced the link with a regular file and left the target stale.
def test_a_checkpoint_through_a_link_updates_the_target_and_keeps_the_link(
    linked_session, capsys
):
    link, target = linked_session
    code, out, err = run(capsys, "timeline", "add", link, "--at", "2024-03-04T09:30:00Z",
                         "--kind", "alert", "--text", "through the link")
    assert code == 0, err
    assert link.is_symlink(), "the link was replaced by a regular file"
    assert any(e.text == "through the link" for e in load_session(target).timeline)


def test_evidence_references_are_never_read(write_session, make_session, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    session = make_session()
    session.evidence = [
        Evidence(id=f"ev-{n}", kind=kind, reference=ref, submitted_at=MEETING_TIME)
        for n, (kind, ref) in enumerate([
            ("log", str(secret)), ("link", f"file://{secret}"), ("note", "/etc/passwd"),
            ("screenshot", "../../../../etc/shadow"),
        ])
    ]
    path = write_session(session)
    for fmt in ("md", "html", "json", "ics", "csv"):
        text = export(session, fmt)
        assert "TOP-SECRET-CONTENT" not in text and "root:" not in text
    code, out, err = run(capsys, "check", path, "--now", NOW_TEXT)
    assert "TOP-SECRET-CONTENT" not in out + err


# -- disk faults: the command line -----------------------------------------------------------------


def fail_with(monkeypatch, target: str, code: int) -> None:
    """Make one step of writing a file fail as the disk would."""

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    if target == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", fail)
    elif target == "fsync":
        monkeypatch.setattr(os, "fsync", fail)
    else:
        monkeypatch.setattr(os, "replace", fail)


EDITS = {
    "timeline-add": ["timeline", "add", "{path}", "--at", "2024-03-04T09:30:00Z", "--kind",
                     "alert", "--text", "written while the disk failed"],
    "action-add": ["action", "add", "{path}", "--title", "Alert on lag", "--owner", "Sam",
                   "--due", (MEETING_DAY + timedelta(days=14)).isoformat(), "--criterion",
                   "fires within 2 minutes"],
    "action-done": ["action", "done", "{path}", "a-1"],
    "import": ["import", "{path}", "{source}"],
}
# How many times the command's edit is in the session as every reader sees it.
LANDED = {
    "timeline-add": lambda s: sum(e.text == "written while the disk failed" for e in s.timeline),
    "action-add": lambda s: sum(a.title == "Alert on lag" for a in s.actions),
    "action-done": lambda s: int(next(a for a in s.actions if a.id == "a-1").status == "done"),
    "import": lambda s: sum(e.text == "imported" for e in s.timeline),
}


def read_only_folder(monkeypatch, folder: Path, code: int) -> None:
    """A folder nothing can be created or replaced in: temporary files, the live log, renames."""
    real_open = os.open

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    def guarded_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(path).parent == folder and not Path(path).exists():
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", fail)
    monkeypatch.setattr(os, "replace", fail)
    monkeypatch.setattr(os, "open", guarded_open)


@pytest.mark.parametrize("target", ["mkstemp", "replace", "read-only-folder"])
@pytest.mark.parametrize("code", FAULTS, ids=errno.errorcode.get)
@pytest.mark.parametrize("command", list(EDITS))
def test_an_edit_on_a_failing_disk_either_fails_cleanly_or_is_saved_and_says_so(
    command, code, target, write_session, tmp_path, capsys, monkeypatch
):
    """Either exit 2 with one line and nothing changed (a retry then adds the edit once), or
    exit 0 with the edit durable in the live log and a warning naming the fault. The TOML file
    itself is never half-written."""
    path = write_session()
    source = tmp_path / "events.csv"
    source.write_text("time,text\n2024-03-04T09:31:00Z,imported\n")
    before = path.read_bytes()
    args = [a.replace("{path}", str(path)).replace("{source}", str(source))
            for a in EDITS[command]]
    with monkeypatch.context() as m:
        if target == "read-only-folder":
            read_only_folder(m, tmp_path, code)
        else:
            fail_with(m, target, code)
        status, out, err = run(capsys, *args)
    assert "Traceback" not in err
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    landed = LANDED[command](read_snapshot(path))
    if status == 2:
        assert str(path) in one_line(err) and os.strerror(code) in err
        assert landed == 0, "the command said it failed, but its edit is in the session"
        assert run(capsys, *args)[0] == 0  # the person tries again once the disk is fine
        assert LANDED[command](read_snapshot(path)) == 1
    else:
        assert status == 0 and landed == 1
        assert os.strerror(code) in err  # saved in the live log, and the file fault is said
    if target == "read-only-folder":
        assert status == 2  # nothing could be saved anywhere: it must say so


@pytest.mark.parametrize("target", ["mkstemp", "fsync", "replace"])
@pytest.mark.parametrize("code", FAULTS, ids=errno.errorcode.get)
def test_an_export_on_a_failing_disk_exits_2_and_writes_nothing(
    code, target, write_session, tmp_path, capsys, monkeypatch
):
    path = write_session()
    before = sorted(p.name for p in tmp_path.iterdir())
    fail_with(monkeypatch, target, code)
    status, out, err = run(capsys, "export", path, "--format", "html")
    assert status == 2
    assert "cannot write" in one_line(err) and os.strerror(code) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# open_log (cli/log_commands.py: log search, actions) used to let PostMortemLog errors escape: an index folder that
# cannot be created, or a full disk during the index update, gave a traceback and exit 1.


@pytest.mark.parametrize("command", [["log", "search", "checkout"], ["actions"]])
def test_an_index_folder_that_cannot_be_created_is_one_clear_line(
    command, write_session, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path))
    write_session()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("PMCONSOLE_CACHE_DIR", str(blocker / "cache"))
    status, out, err = run(capsys, *command)
    assert status in (0, 2)
    if status == 2:
        assert "cache" in one_line(err)


def test_a_full_disk_during_the_index_update_is_one_clear_line(
    write_session, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path))
    write_session()

    def full(self, *args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(PostMortemLog, "_index_file", full)
    status, out, err = run(capsys, "log", "search", "checkout")
    assert status in (0, 2)
    if status == 2:
        assert "disk is full" in one_line(err)


# -- disk faults: the console ----------------------------------------------------------------------


def header_text(app) -> str:
    header = app.screen.query_one("MeetingHeader")
    return header.render().plain


@pytest.mark.parametrize("code", FAULTS, ids=errno.errorcode.get)
async def test_a_failing_checkpoint_keeps_the_console_usable_and_says_not_saved(
    code, tmp_path, monkeypatch
):
    path = demo_copy(tmp_path)
    before = path.read_bytes()
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        with monkeypatch.context() as m:
            fail_with(m, "replace", code)
            await pilot.press("f4")  # a step change checkpoints the TOML file
            await pilot.pause()
            assert app.meeting.step == 2
            assert app.store.error and os.strerror(code) in app.store.error
            assert "NOT SAVED" in app.save_state()
            app.console_screen().refresh_header()
            await pilot.pause()
            assert "NOT SAVED" in header_text(app)
            assert path.read_bytes() == before
            # Still usable: an edit is taken (and, being in the live log, durable).
            assert app.edit(set_op("question", "text", "How do we detect it in 5 minutes?"))
            assert app.is_running
        await pilot.press("f4")  # the disk is fine again: the next checkpoint lands
        await pilot.pause()
        assert "saved" in app.save_state() and "NOT" not in app.save_state()
    session = load_session(path)
    assert session.question.text == "How do we detect it in 5 minutes?"
    assert session.meeting.current_step == 3


class FailingLog:
    """A live-log connection whose commits fail like a full or broken disk, until healed."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.failing = True

    def executemany(self, *args, **kwargs):
        if self.failing:
            raise sqlite3.OperationalError("disk I/O error")
        return self.conn.executemany(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.conn, name)


async def test_a_failing_commit_keeps_the_edit_in_memory_and_retries(tmp_path):
    path = demo_copy(tmp_path)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        broken = FailingLog(app.store._conn)
        app.store._conn = broken
        assert app.edit(set_op("incident", "title", "Typed while the disk failed"))
        assert app.store.session.incident.title == "Typed while the disk failed"
        assert app.store.pending and "disk I/O error" in app.store.error
        assert "NOT SAVED" in app.save_state()
        app.console_screen().refresh_header()
        await pilot.pause()
        assert "NOT SAVED" in header_text(app)
        app.poll_store()  # still failing: kept, retried later
        assert app.store.pending and app.is_running
        broken.failing = False
        app.poll_store()
        assert not app.store.pending and not app.store.error
        assert "NOT SAVED" not in app.save_state()
        app.store._conn = broken.conn
    assert load_session(path).incident.title == "Typed while the disk failed"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS], ids=errno.errorcode.get)
async def test_a_failing_console_export_is_reported_and_writes_nothing(
    code, tmp_path, monkeypatch
):
    path = demo_copy(tmp_path)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        with monkeypatch.context() as m:
            fail_with(m, "mkstemp", code)
            app.console_screen().export("html")
            await app.workers.wait_for_complete()  # the file is written in a thread
            await pilot.pause()
        last = list(app.told)[-1]
        assert "Not exported" in str(last.title) and os.strerror(code) in str(last.message)
        assert app.is_running
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".html"]


async def test_an_unusable_log_index_is_a_notice_not_a_stop(tmp_path, monkeypatch):
    path = demo_copy(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("PMCONSOLE_CACHE_DIR", str(blocker / "cache"))
    app = console(path, sessions_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert any("log is unavailable" in str(n.message) for n in app.told)
