"""pmconsole writes only where it means to, and reads only regular files (issue 23).

- An output is never written through a symbolic link pmconsole did not create: a link planted
  beside a session (``incident.summary.md -> ~/.bashrc``, which anyone can commit to the team's
  sessions repository) is replaced itself by the export, never its target
  (``store.atomic_write``). Only the session file the user opened through a link, and the
  user's own settings file, are written through their link.
- Only regular files are read as sessions, live logs or imports, with a size limit: a FIFO, a
  link to /dev/zero or a folder is refused by name (or listed as unreadable in the log) without
  being read, so nothing hangs or grows without bound (``store.open_regular``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import pmconsole as pmconsole_package

from conftest import NOW_TEXT, one_line, run
from pmconsole.storage import toml_file as store
from pmconsole.storage.oplog import log_path_for
from pmconsole.storage.toml_file import SessionFileError
from session_files import load_session, save_session
from snapshot_app import console, demo_copy

VICTIM = b"# the user's shell start-up file\nexport PATH=$HOME/bin:$PATH\n"


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file outside the sessions folder that a planted link points to."""
    path = tmp_path / "home" / ".bashrc"
    path.parent.mkdir()
    path.write_bytes(VICTIM)
    return path


def plant(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


# -- writes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, name", [("md", "incident.summary.md"), ("ics", "incident.ics")])
def test_export_force_replaces_a_planted_link_never_its_target(
    fmt, name, write_session, victim, capsys
):
    path = write_session()
    link = plant(path.with_name(name), victim)
    code, out, err = run(capsys, "export", path, "--format", fmt, "--force")
    assert code == 0, err
    assert victim.read_bytes() == VICTIM, "the export was written through the planted link"
    assert not link.is_symlink() and link.read_bytes() != VICTIM
    assert Path(out.strip()) == link


def test_export_without_force_refuses_a_planted_link(write_session, victim, capsys):
    path = write_session()
    plant(path.with_name("incident.summary.md"), victim)
    code, out, err = run(capsys, "export", path, "--format", "md")
    assert code == 2 and "--force" in one_line(err)
    assert victim.read_bytes() == VICTIM


def test_export_to_a_dangling_planted_link_does_not_create_its_target(
    write_session, tmp_path, capsys
):
    path = write_session()
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    link = plant(path.with_name("incident.summary.md"), target)
    code, out, err = run(capsys, "export", path, "--format", "md")
    assert code == 2 and "--force" in one_line(err)  # a link is a name taken, as for `new`
    code, out, err = run(capsys, "export", path, "--format", "md", "--force")
    assert code == 0, err
    assert not target.exists(), "the export created the file a dangling link named"
    assert not link.is_symlink()


async def test_the_console_export_replaces_a_planted_link_never_its_target(tmp_path, victim):
    path = demo_copy(tmp_path)
    link = plant(tmp_path / "demo.html", victim)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.console_screen().export("html")
        await app.workers.wait_for_complete()  # the file is written in a thread
        assert app.is_running
    assert victim.read_bytes() == VICTIM, "the console wrote through the planted link"
    assert not link.is_symlink() and b"<html" in link.read_bytes().lower()


def test_new_on_a_dangling_link_creates_nothing_through_it(tmp_path, capsys):
    target = tmp_path / "elsewhere" / "planted.toml"
    target.parent.mkdir()
    link = plant(tmp_path / "incident.toml", target)
    code, out, err = run(capsys, "new", link, "--title", "t", "--incident-start",
                         "2024-03-04T09:10:00Z", "--incident-end", "2024-03-04T10:00:00Z")
    assert code == 2 and str(link) in one_line(err)
    assert not target.exists()


def test_a_session_opened_through_a_link_is_still_written_through_it(
    write_session, tmp_path, capsys
):
    # The one link pmconsole writes through: the session file the user named (test_permissions
    # has the full case); an output beside it is not.
    target = write_session()
    link = plant(tmp_path / "work.toml", target)
    assert run(capsys, "timeline", "add", link, "--at", "2024-03-04T09:30:00Z", "--kind",
               "alert", "--text", "through")[0] == 0
    assert link.is_symlink()
    assert any(e.text == "through" for e in load_session(target).timeline)


# -- reads: only regular files, within a limit -----------------------------------------------------

# Each command runs in a real process with a deadline and a memory cap: before the fix a FIFO
# waited for a writer for ever and a link to /dev/zero read until memory ran out.
DEADLINE = 30.0  # seconds; each of these takes about one on a quiet machine
MEMORY_CAP = 1 << 30


def pmconsole(*args, cwd: Path) -> subprocess.CompletedProcess:
    src = str(Path(pmconsole_package.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pmconsole", *map(str, args)], capture_output=True,
            text=True, cwd=cwd, env=env, timeout=DEADLINE, preexec_fn=cap_memory,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"pmconsole {' '.join(map(str, args))} still running after {DEADLINE} s")
    assert "Traceback" not in done.stderr, done.stderr
    done.seconds = time.monotonic() - started  # type: ignore[attr-defined]
    return done


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def strange_files(folder: Path) -> dict[str, Path]:
    """A FIFO, a link to /dev/zero and a folder, each named as a session."""
    folder.mkdir(exist_ok=True)
    pipe = fifo(folder / "pipe.toml")
    zero = plant(folder / "zero.toml", Path("/dev/zero"))
    (folder / "folder.toml").mkdir()
    return {"pipe": pipe, "zero": zero, "folder": folder / "folder.toml"}


@pytest.mark.parametrize("kind, words", [
    ("pipe", "named pipe"), ("zero", "a device"), ("folder", "folder"),
])
@pytest.mark.parametrize("command", [
    ["check", "{path}", "--now", NOW_TEXT],
    ["export", "{path}", "--format", "md", "-o", "-"],
    ["timeline", "add", "{path}", "--at", "2024-03-04T09:30:00Z", "--kind", "alert", "--text", "x"],
    ["open", "{path}"],
], ids=lambda c: c[0])
def test_a_session_path_that_is_not_a_regular_file_is_refused_by_name(
    kind, words, command, tmp_path
):
    path = strange_files(tmp_path / "sessions")[kind]
    done = pmconsole(*[str(path) if a == "{path}" else a for a in command], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert str(path) in one_line(done.stderr) and words in done.stderr


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail, rather than hang the suite, when what is inside blocks (as reading a FIFO did)."""

    def expired(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_read_regular_refuses_without_reading(tmp_path, monkeypatch):
    pipe = fifo(tmp_path / "pipe.toml")
    with deadline(5), pytest.raises(SessionFileError, match="named pipe"):
        store.read_bytes(pipe)  # blocked for ever on a FIFO opened for reading
    # (A link to /dev/zero, which read without end, is tried in a process with a memory cap.)
    grown = tmp_path / "grows.toml"
    grown.write_bytes(b"x" * 100)
    monkeypatch.setattr(store, "MAX_SESSION_BYTES", 10)
    with pytest.raises(SessionFileError, match="at most 10 bytes"):
        store.read_bytes(grown)


def test_a_sessions_folder_with_a_fifo_a_device_link_and_100000_tags_is_searched_listed_and_exported_in_seconds(
    tmp_path, make_session
):
    folder = tmp_path / "sessions"
    strange = strange_files(folder)
    strange["dangling"] = plant(folder / "dangling.toml", folder / "gone.toml")
    save_session(folder / "good.toml", make_session())
    tags = make_session()
    tags.incident.title = "Many tagged outage"
    tags.incident.tags = [f"tag{i}" for i in range(100_000)]
    save_session(folder / "tags.toml", tags)
    env = ["--sessions-dir", folder]

    searched = pmconsole(*env, "log", "search", "outage", cwd=tmp_path)
    assert searched.returncode == 0, searched.stderr
    for path in (strange["pipe"], strange["zero"], strange["dangling"]):
        assert f"unreadable  {path}" in searched.stdout  # listed, never read
    assert str(folder / "tags.toml") in searched.stdout
    listed = pmconsole(*env, "actions", "--all", "--now", NOW_TEXT, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert str(strange["pipe"]) in listed.stderr and str(strange["zero"]) in listed.stderr
    exported = pmconsole("export", folder / "tags.toml", "--format", "json", "--force", "-o",
                         tmp_path / "tags.json", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    checked = pmconsole("check", folder / "tags.toml", "--now", NOW_TEXT, cwd=tmp_path)
    assert "Traceback" not in checked.stderr
    for done in (searched, listed, exported, checked):
        assert done.seconds < 15, f"{done.args[3:]} took {done.seconds:.1f} s"


def test_100000_tags_are_cleaned_in_linear_time(make_session):
    tags = [f"Tag{i % 50_000} " for i in range(100_000)]  # each twice, with case and spaces
    started = time.monotonic()
    incident = make_session().incident.model_copy(update={}).model_validate(
        {**make_session().incident.model_dump(), "tags": tags}
    )
    assert time.monotonic() - started < 2.0
    assert incident.tags == [f"tag{i}" for i in range(50_000)]


@pytest.mark.parametrize("side", ["", "-wal", "-shm", "-lock"])
def test_a_live_log_that_is_not_a_regular_file_is_never_opened(side, write_session, tmp_path,
                                                               victim):
    path = write_session()
    log = log_path_for(path)
    strange = log.with_name(log.name + side)
    fifo(strange) if side in ("", "-lock") else plant(strange, victim)
    checked = pmconsole("check", path, "--now", NOW_TEXT, cwd=tmp_path)  # reads the file alone
    assert checked.returncode in (0, 1), checked.stderr
    added = pmconsole("timeline", "add", path, "--at", "2024-03-04T09:30:00Z", "--kind", "alert",
                      "--text", "x", cwd=tmp_path)
    assert added.returncode == 2 and str(strange) in one_line(added.stderr)
    assert victim.read_bytes() == VICTIM
    assert not any(e.text == "x" for e in load_session(path).timeline)


def test_an_import_source_that_is_not_a_regular_file_is_refused_by_name(write_session, tmp_path):
    path = write_session()
    for source, words in ((fifo(tmp_path / "events.csv"), "named pipe"),
                          (plant(tmp_path / "zero.csv", Path("/dev/zero")), "device")):
        done = pmconsole("import", path, source, cwd=tmp_path)
        assert done.returncode == 2 and str(source) in one_line(done.stderr), done.stderr
        assert words in done.stderr


def test_a_slack_folder_with_a_fifo_day_file_imports_the_other_days(write_session, tmp_path):
    path = write_session()
    folder = tmp_path / "channel"
    folder.mkdir()
    (folder / "2024-03-04.json").write_text('[{"ts": "1709544600.0", "text": "from slack"}]')
    fifo(folder / "2024-03-05.json")
    done = pmconsole("import", path, folder, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert any(e.text == "from slack" for e in load_session(path).timeline)


def test_a_settings_file_that_is_a_fifo_is_reported_and_the_defaults_used(tmp_path, monkeypatch):
    from pmconsole.storage.config import Settings, load_settings

    with deadline(5):
        settings, problem = load_settings(fifo(tmp_path / "config.toml"))
    assert settings == Settings() and "named pipe" in problem


# -- `new` and the picker's form: a file that cannot be written is named, never a traceback --------

NEW = ["--title", "Checkout outage", "--incident-start", "2024-03-04T09:10:00Z",
       "--incident-end", "2024-03-04T10:00:00Z"]


def fail_writes(monkeypatch, code: int) -> None:
    """A disk that refuses every new file (the suite runs as root: chmod would not stop it)."""
    import tempfile

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", fail)


def new_cases(tmp_path, monkeypatch) -> dict[str, tuple[Path, str]]:
    (tmp_path / "a-file").write_text("")
    return {
        "parent-is-a-file": (tmp_path / "a-file" / "incident.toml", "Not a directory"),
        "name-too-long": (tmp_path / ("x" * 300 + ".toml"), "File name too long"),
        "read-only": (tmp_path / "ro" / "incident.toml", os.strerror(errno.EROFS)),
        "disk-full": (tmp_path / "full.toml", os.strerror(errno.ENOSPC)),
    }


@pytest.mark.parametrize("case", ["parent-is-a-file", "name-too-long", "read-only", "disk-full"])
def test_new_that_cannot_write_its_file_exits_2_naming_it(case, tmp_path, monkeypatch, capsys):
    path, reason = new_cases(tmp_path, monkeypatch)[case]
    if case == "read-only":
        fail_writes(monkeypatch, errno.EROFS)
    elif case == "disk-full":
        fail_writes(monkeypatch, errno.ENOSPC)
    code, out, err = run(capsys, "new", path, *NEW)
    assert code == 2, err
    assert str(path) in one_line(err) and reason in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing left behind


@pytest.mark.parametrize("field, value, words", [
    ("started", "9999-12-31 10:00", "year 9999 is out of range"),
    ("started", "1969-12-31 10:00", "year 1969 is out of range"),
    ("ended", "2999-12-31T23:00:00-12:00", "year 3000 is out of range"),
    ("file", "x" * 300, "File name too long"),
    ("file", "taken", "already exists"),
])
async def test_the_picker_new_session_form_shows_what_stops_it_and_stays_open(
    field, value, words, tmp_path
):
    from textual.widgets import Input, Static

    from pmconsole.tui.dialogs.record_form import RecordForm

    folder = tmp_path / "sessions"
    folder.mkdir()
    (folder / "taken.toml").write_text("kept")
    app = console(None, sessions_dir=folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, RecordForm)
        form.query_one("#field-title", Input).value = "Checkout outage"
        form.query_one(f"#field-{field}", Input).value = value
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.is_running and app.screen is form, "the form closed or the app stopped"
        shown = str(form.query_one(f"#error-{field}", Static).render())
        assert words in shown
    assert sorted(p.name for p in folder.iterdir()) == ["taken.toml"]
    assert (folder / "taken.toml").read_text() == "kept"


# -- one range for every time, judged in UTC -------------------------------------------------------

LATE = "2999-12-31T23:00:00-12:00"  # 3000-01-01 11:00 in UTC
EARLY = "1970-01-01T00:30:00+01:00"  # 1969-12-31 23:30 in UTC


@pytest.mark.parametrize("text", [LATE, EARLY])
def test_a_time_out_of_range_in_utc_is_refused_by_the_cli(text, write_session, capsys):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "timeline", "add", path, "--at", text, "--kind", "alert",
                         "--text", "x")
    assert code == 2 and "--at" in one_line(err) and "out of range" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("text", [LATE, EARLY])
def test_a_hand_edited_time_out_of_range_in_utc_is_refused_with_its_line(text, tmp_path,
                                                                           make_session):
    good = store.dump_session(make_session()).decode("utf-8")
    lines = good.splitlines()
    line = next(i for i, t in enumerate(lines) if t.startswith("resolved_at = ")) + 1
    lines[line - 1] = f"resolved_at = {text}"
    path = tmp_path / "incident.toml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SessionFileError) as refused:
        load_session(path)
    assert refused.value.line == line and "out of range" in str(refused.value)


def test_an_import_row_out_of_range_in_utc_is_skipped_with_its_line(write_session, tmp_path,
                                                                    capsys):
    path = write_session()
    source = tmp_path / "events.csv"
    source.write_text(f"time,text\n2024-03-04T09:30:00Z,kept\n{LATE},too late\n"
                      f"{EARLY},too early\n")
    code, out, err = run(capsys, "import", path, source)
    assert code == 0, err
    assert f"{source}:3: skipped:" in err and f"{source}:4: skipped:" in err
    assert "out of range" in err
    texts = [e.text for e in load_session(path).timeline]
    assert "kept" in texts and "too late" not in texts
    assert run(capsys, "check", path, "--now", NOW_TEXT)[0] in (0, 1)  # the file still reads


def _offsets():
    return st.builds(
        timezone,
        st.timedeltas(min_value=timedelta(hours=-23, minutes=-59),
                      max_value=timedelta(hours=23, minutes=59)).map(
            lambda d: timedelta(minutes=int(d.total_seconds() // 60))
        ),
    )


TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=_offsets())
NEAR_EDGES = st.one_of(
    st.datetimes(min_value=datetime(1969, 12, 30), max_value=datetime(1970, 1, 2),
                 timezones=_offsets()),
    st.datetimes(min_value=datetime(2999, 12, 30), max_value=datetime(3000, 1, 2),
                 timezones=_offsets()),
)


def _accepted_by(entry: str, moment: datetime, folder: Path):
    """The time as the entry takes it in, or None when it refuses it (as it may)."""
    from pmconsole.cli import UsageError, parse_timestamp
    from pmconsole.importers import ImportRefused, import_timeline
    from pmconsole.domain.model import TimelineEvent
    from conftest import _session

    text = moment.isoformat()
    try:
        if entry == "model":  # the console's forms build the model
            return TimelineEvent(at=moment, text="x").at
        if entry == "cli":
            return parse_timestamp(text)
        if entry == "file":
            session = store.dump_session(_session()).decode("utf-8")
            lines = session.splitlines()
            i = next(i for i, t in enumerate(lines) if t.startswith("resolved_at = "))
            lines[i] = f"resolved_at = {text}"
            return store.parse_session("\n".join(lines).encode(), folder / "f.toml").incident.resolved_at
        source = folder / "events.csv"
        source.write_text(f"time,text\n{text},x\n")
        return import_timeline(source, _session()).events[0].at
    except (ValueError, UsageError, SessionFileError, ImportRefused):
        return None


@pytest.mark.parametrize("entry", ["model", "cli", "file", "import"])
@settings(max_examples=300, deadline=None)
@example(datetime.fromisoformat(LATE))
@example(datetime.fromisoformat(EARLY))
@example(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
@example(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1))))
@given(moment=st.one_of(TIMES, NEAR_EDGES))
def test_any_time_accepted_at_any_entry_round_trips_through_the_file(entry, moment):
    from conftest import _session
    from pmconsole.domain.model import TimelineEvent

    with tempfile.TemporaryDirectory() as folder:
        accepted = _accepted_by(entry, moment, Path(folder))
    if accepted is None:
        return
    assert accepted == moment and accepted.utcoffset() == timedelta(0)
    session = _session()
    session.timeline.append(TimelineEvent(id="e-prop", at=accepted, text="x"))
    session.incident.resolved_at = max(accepted, session.incident.started_at)
    again = store.parse_session(store.dump_session(session), Path("round-trip.toml"))
    assert next(e for e in again.timeline if e.id == "e-prop").at == accepted


# -- every command-line number is bounded ----------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["log", "search", "--since", "999999999y"], "--since"),
    (["log", "search", "--since", "9" * 5000 + "d"], "--since"),
    (["log", "search", "--since", "0001-01-01"], "out of range"),
    (["actions", "--due-within", "99999999999999999999"], "--due-within"),
    (["actions", "--due-within", "-1"], "--due-within"),
    (["serve", "{path}", "--port", "65536"], "--port"),
    (["serve", "{path}", "--port", "-1"], "--port"),
    (["serve", "{path}", "--idle-minutes", "nan"], "--idle-minutes"),
    (["serve", "{path}", "--idle-minutes", "inf"], "--idle-minutes"),
    (["serve", "{path}", "--idle-minutes", "0"], "--idle-minutes"),
    (["serve", "{path}", "--max-connections", "0"], "--max-connections"),
    (["serve", "{path}", "--max-connections", "1e3"], "--max-connections"),
    (["serve", "{path}", "--host", ""], "--host"),
    (["serve", "{path}", "--host", "  "], "--host"),
    (["new", "{folder}/n.toml", *NEW, "--duration", "99999999999999999999"], "--duration"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_number_out_of_bounds_exits_2_with_one_line(args, words, write_session, tmp_path,
                                                      capsys, monkeypatch):
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path))
    path = write_session()
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, *[a.replace("{path}", str(path)).replace("{folder}",
                                                                          str(tmp_path))
                                   for a in args])
    assert code == 2, err
    assert words in one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- smaller ones ----------------------------------------------------------------------------------


def test_a_byte_order_mark_at_the_start_of_a_session_is_read(write_session, capsys):
    path = write_session()
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_session(path).incident.title
    assert run(capsys, "check", path, "--now", NOW_TEXT)[0] in (0, 1)


def test_schema_version_as_text_says_it_must_be_a_whole_number(write_session):
    path = write_session()
    path.write_text(path.read_text().replace("schema_version = 1", 'schema_version = "1"'))
    with pytest.raises(SessionFileError) as refused:
        load_session(path)
    assert "must be a whole number" in str(refused.value) and refused.value.line == 1


def test_a_dangling_link_named_by_a_bare_name_is_reported_as_given(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path / "elsewhere"))
    plant(tmp_path / "incident.toml", tmp_path / "gone.toml")
    code, out, err = run(capsys, "check", "incident.toml")
    assert code == 2
    assert one_line(err).startswith("pmconsole: incident.toml: ") and "does not exist" in err
    assert "elsewhere" not in err


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_the_settings_folders_are_private_under_umask_000(tmp_path, open_umask):
    import stat

    from pmconsole.storage.config import save_setting

    config = tmp_path / "home" / "config" / "pmconsole" / "config.toml"
    save_setting(config, "theme", "pmconsole-high-contrast")
    for folder in (config.parent, config.parent.parent, config.parent.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_the_readme_states_the_file_guarantees():
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "pmconsole writes only where it means to" in text
    assert "Only regular files are read" in text


@pytest.mark.parametrize("command", [
    ["export", "{path}", "--format", "json", "--force", "-o", "{long}.json"],
    ["import", "{path}", "{long}.csv"],
    ["check", "{long}.toml"],
    ["new", "{long}.toml", *NEW],
], ids=lambda c: c[0])
def test_a_name_too_long_is_one_line_naming_it(command, write_session, tmp_path, capsys):
    path = write_session()
    long = str(tmp_path / ("y" * 300))
    code, out, err = run(capsys, *[a.replace("{path}", str(path)).replace("{long}", long)
                                   for a in command])
    assert code == 2
    assert long in one_line(err) and "too long" in err


def test_new_never_replaces_a_file_created_after_it_looked(tmp_path, monkeypatch, capsys):
    path = tmp_path / "incident.toml"
    real_ensure_folder = store.ensure_folder

    def another_process_creates_it(folder):
        made = real_ensure_folder(folder)
        path.write_text("theirs")  # between `new`'s look and its write
        return made

    monkeypatch.setattr(store, "ensure_folder", another_process_creates_it)
    code, out, err = run(capsys, "new", path, *NEW)
    assert code == 2 and "already exists" in one_line(err)
    assert path.read_text() == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident.toml"]  # no temporary file


def test_new_on_a_file_system_without_hard_links_still_creates_the_file(tmp_path, monkeypatch,
                                                                        capsys):
    def no_hard_links(*args, **kwargs):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_hard_links)
    path = tmp_path / "incident.toml"
    code, out, err = run(capsys, "new", path, *NEW)
    assert code == 0, err
    assert load_session(path).incident.title == "Checkout outage"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incident.toml"]


def test_export_force_onto_a_fifo_refuses_and_leaves_it_a_fifo(tmp_path, capsys):
    """-o onto a device or a FIFO with --force replaced it with a regular file (as root, -o
    /dev/full did): pmconsole writes only regular files."""
    import stat

    from conftest import one_line, run
    from snapshot_app import demo_copy

    path = demo_copy(tmp_path)
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "export", path, "--format", "md", "-o", fifo, "--force")
    assert code == 2
    assert "not a regular file" in one_line(err)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
