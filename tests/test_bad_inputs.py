"""Bad files and bad arguments, for every command: a clear one-line message naming the file (and
the line where there is one), exit 2, no traceback, nothing on disk changed, and the console never
started. Plus hypothesis fuzzing of the session loader.

Decided from the code:

- An unreadable session file is refused by every command before anything is created beside it
  (no ``.pmlog``, no lock), and ``open``/``notes`` refuse it before the UI starts.
- A file from a newer ``schema_version`` is refused by the commands that edit, check, export or
  import; ``open``/``notes`` show it read-only (SPEC §4) and create nothing beside it.
- Dangling links (a factor linking a missing event, an action linking a missing factor, a
  facilitator who is not on the roster) are *accepted*: the console itself leaves them behind
  when an event or a participant is deleted (``ops.del_op`` does not cascade), so refusing them
  would lock people out of their own sessions. Every command and screen must cope with them.
- Times without a zone, and dates that do not exist, are refused with their line; in an import,
  a time without a zone is read in the incident's zone (documented in importers.py) and a date
  that does not exist is a skipped row reported with its line.
"""

from __future__ import annotations

import contextlib
import io
import os
from datetime import timedelta
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import pmconsole.tui.app as app_module
from conftest import MEETING_DAY, NOW_TEXT, RESOLVED, _session, one_line, run
from pmconsole.storage import locations, toml_file as store
from pmconsole.cli import main
from pmconsole.importers import ImportRefused, ImportResult, import_timeline
from pmconsole.domain.model import Session
from pmconsole.domain.ops import set_op
from pmconsole.storage.toml_file import SessionFileError, dump_session, parse_session
from session_files import load_session, save_session
from snapshot_app import console

# -- helpers ---------------------------------------------------------------------------------------






def listing(folder: Path) -> dict[str, bytes | None]:
    """Every entry of a folder with its bytes (None for a folder): 'nothing on disk changed'."""
    return {
        p.name: (None if p.is_dir() else p.read_bytes() if p.stat().st_size < 10**7 else b"big")
        for p in sorted(folder.iterdir())
    }


@pytest.fixture
def ui_started(monkeypatch) -> list:
    """Records every console that `open`/`notes` would start, instead of starting it."""
    started: list = []

    def fake_run(self, *args, **kwargs):
        started.append(self)
        return None

    monkeypatch.setattr(app_module.PmConsole, "run", fake_run)
    return started


def set_line(text: str, table: str, key: str, value: str) -> tuple[str, int]:
    """Replace ``key = ...`` in the first ``[table]``/``[[table]]`` section; (text, its line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip("[]") == table)
    i = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(f"{key} = "))
    lines[i] = f"{key} = {value}"
    return "\n".join(lines) + "\n", i + 1


def nth_record_line(text: str, table: str, key: str, n: int) -> int:
    """The line of ``key`` in the n-th (0-based) ``[[table]]``."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line == f"[[{table}]]"]
    i = next(i for i in range(starts[n] + 1, len(lines)) if lines[i].startswith(f"{key} = "))
    return i + 1


# -- the bad session files -------------------------------------------------------------------------

# name -> builder(folder, good TOML text, monkeypatch) -> (path, line or None, words in the message)
Builder = Callable[[Path, str, pytest.MonkeyPatch], tuple[Path, "int | None", str]]
BAD_FILES: dict[str, Builder] = {}


def bad(name: str, *marks):
    def register(builder: Builder) -> Builder:
        BAD_FILES[name] = (builder, marks)  # type: ignore[assignment]
        return builder

    return register


def write(folder: Path, data: bytes | str) -> Path:
    path = folder / "incident.toml"
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@bad("missing")
def _missing(folder, good, mp):
    return folder / "incident.toml", None, "no such file"


@bad("directory")
def _directory(folder, good, mp):
    path = folder / "incident.toml"
    path.mkdir()
    return path, None, "folder"


@bad("empty")
def _empty(folder, good, mp):
    return write(folder, b""), None, "empty"


@bad("only-whitespace")
def _whitespace(folder, good, mp):
    return write(folder, b"\n  \n\t\n"), None, "empty"


@bad("binary")
def _binary(folder, good, mp):
    return write(folder, bytes(range(256)) * 16), 2, "not UTF-8"


@bad("over-the-size-limit")
def _too_large(folder, good, mp):
    mp.setattr(store, "MAX_SESSION_BYTES", 1024)
    return write(folder, good), None, "at most"


@bad("sparse-1-gib")
def _one_gib(folder, good, mp):
    path = folder / "incident.toml"
    with path.open("wb") as f:
        f.truncate(1 << 30)  # sparse: nothing is written, but it is 1 GiB to stat()
    return path, None, "1024 MiB"


@bad("invalid-utf8")
def _invalid_utf8(folder, good, mp):
    lines = good.splitlines()
    line = next(i for i, t in enumerate(lines) if t.startswith("title = ")) + 1
    data = good.encode("utf-8").replace(b"Checkout outage", b"Check\xff\xfeout outage")
    return write(folder, data), line, "not UTF-8"


@bad("broken-toml")
def _broken(folder, good, mp):
    lines = good.splitlines()
    at = lines.index("[meeting]")
    lines[at] = "[meeting"
    return write(folder, "\n".join(lines)), at + 1, "not valid TOML"


@bad("wrong-shape-incident-is-a-number")
def _shape_number(folder, good, mp):
    return write(folder, "schema_version = 1\nincident = 3\n"), 2, "incident"


@bad("wrong-shape-top-level-list")
def _shape_list(folder, good, mp):
    return write(folder, "schema_version = 1\nincident = []\n"), 2, "incident"


@bad("wrong-shape-incident-is-an-array-of-tables")
def _shape_array(folder, good, mp):
    return write(folder, good.replace("[incident]", "[[incident]]")), 4, "incident"


@bad("wrong-shape-unknown-field")
def _unknown_field(folder, good, mp):
    text = good.replace("[meeting]\n", "[meeting]\nsurprise = 1\n")
    return write(folder, text), good.splitlines().index("[meeting]") + 2, "surprise"


@bad("wrong-type")
def _wrong_type(folder, good, mp):
    text, line = set_line(good, "meeting", "planned_minutes", '"long"')
    return write(folder, text), line, "planned_minutes"


@bad("schema-version-missing")
def _no_schema(folder, good, mp):
    return write(folder, good.replace("schema_version = 1\n", "")), None, "schema_version"


@bad("schema-version-as-text")
def _schema_text(folder, good, mp):
    return write(folder, good.replace("schema_version = 1", 'schema_version = "1"')), 1, (
        "schema_version"
    )


@bad("schema-version-zero")
def _schema_zero(folder, good, mp):
    return write(folder, good.replace("schema_version = 1", "schema_version = 0")), 1, (
        "schema_version"
    )


@bad("duplicate-ids")
def _duplicate_ids(folder, good, mp):
    line = nth_record_line(good, "actions", "id", 1)
    return write(folder, good.replace('id = "a-2"', 'id = "a-1"')), line, "a-1"


@bad("duplicate-ids-message")
def _duplicate_ids_message(folder, good, mp):
    # What does hold for duplicates today: refused, one line, naming the id.
    return write(folder, good.replace('id = "e-minor"', 'id = "e-major"')), None, "e-major"


@bad("time-without-zone")
def _naive(folder, good, mp):
    text, line = set_line(good, "incident", "started_at", "2024-03-04 09:10:00")
    return write(folder, text), line, "time zone"


@bad("time-without-zone-as-text")
def _naive_text(folder, good, mp):
    text, line = set_line(good, "incident", "started_at", '"2024-03-04T09:10:00"')
    return write(folder, text), line, "time zone"


@bad("date-2026-02-30")
def _feb_30(folder, good, mp):
    text, line = set_line(good, "actions", "due", "2026-02-30")
    return write(folder, text), line, "date"


@bad("date-2026-02-30-as-text")
def _feb_30_text(folder, good, mp):
    text, line = set_line(good, "actions", "due", '"2026-02-30"')
    return write(folder, text), line, "due"


@bad("datetime-2026-02-30")
def _feb_30_time(folder, good, mp):
    text, line = set_line(good, "incident", "resolved_at", "2026-02-30 10:00:00+00:00")
    return write(folder, text), line, "date"


@bad("year-out-of-range")
def _year(folder, good, mp):
    text, line = set_line(good, "incident", "resolved_at", "0001-01-01 00:00:00+00:00")
    return write(folder, text), line, "year"


@bad("unknown-time-zone")
def _zone(folder, good, mp):
    text, line = set_line(good, "incident", "timezone", '"Mars/Olympus"')
    return write(folder, text), line, "Mars/Olympus"


@bad("deeply-nested-array")
def _deep(folder, good, mp):
    # tomllib recurses once per level: ~500 '[' (a 520-byte file) used to escape as a
    # RecursionError traceback from every command, and from `log search` for the whole folder.
    return write(folder, "schema_version = 1\nx = " + "[" * 5000 + "\n"), None, "nest"


COMMANDS = {
    "open": ["open", "{path}"],
    "notes": ["notes", "{path}"],
    "check": ["check", "{path}", "--now", NOW_TEXT],
    "timeline-add": ["timeline", "add", "{path}", "--at", "2024-03-04T09:30:00Z", "--kind",
                     "alert", "--text", "x"],
    "action-add": ["action", "add", "{path}", "--title", "Alert on lag", "--owner", "Sam",
                   "--due", (MEETING_DAY + timedelta(days=14)).isoformat(), "--criterion",
                   "fires within 2 minutes"],
    "action-done": ["action", "done", "{path}", "a-1"],
    "export": ["export", "{path}", "--format", "md"],
    "export-ics": ["export", "{path}", "--format", "ics", "-o", "{folder}/out.ics", "--force"],
    "import-file": ["import", "{path}", "{source}"],
}


def bad_file_cases():
    for name, (builder, marks) in BAD_FILES.items():
        yield pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", bad_file_cases())
def test_a_bad_session_file_is_refused_with_one_line_and_nothing_changes(
    kind, command, tmp_path, make_session, monkeypatch, capsys, ui_started
):
    folder = tmp_path / "work"
    folder.mkdir()
    source = tmp_path / "events.csv"
    source.write_text("time,text\n2024-03-04T09:30:00Z,from the import\n", encoding="utf-8")
    builder, _ = BAD_FILES[kind]
    good = dump_session(make_session()).decode("utf-8")
    path, line, words = builder(folder, good, monkeypatch)
    before = listing(folder)
    args = [a.replace("{path}", str(path)).replace("{folder}", str(folder))
             .replace("{source}", str(source)) for a in COMMANDS[command]]

    code, out, err = run(capsys, *args)

    assert ui_started == [], "the console was started on a file it cannot use"
    assert code == 2, (out, err)
    assert out == ""
    one_line(err)
    assert str(path) in err
    if line is not None:
        assert f"{path}:{line}:" in err
    assert words in err
    assert listing(folder) == before  # no .pmlog, no lock, no export, no temporary file


# -- a newer schema: read-only in the console, refused elsewhere -----------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_newer_schema_is_refused_by_commands_and_read_only_in_the_console(
    command, tmp_path, make_session, capsys, ui_started
):
    folder = tmp_path / "work"
    folder.mkdir()
    source = tmp_path / "events.csv"
    source.write_text("time,text\n2024-03-04T09:30:00Z,from the import\n", encoding="utf-8")
    good = dump_session(make_session()).decode("utf-8")
    path = write(folder, good.replace("schema_version = 1", "schema_version = 7")
                 .replace("[meeting]\n", "[meeting]\nfrom_the_future = true\n"))
    before = listing(folder)
    args = [a.replace("{path}", str(path)).replace("{folder}", str(folder))
             .replace("{source}", str(source)) for a in COMMANDS[command]]

    code, out, err = run(capsys, *args)

    if command in ("open", "notes"):
        assert code == 0 and err == ""
        (app,) = ui_started
        assert "schema_version 7" in app.store.read_only
        assert app.store.session.incident.title == "Checkout outage"
    else:
        assert code == 2
        assert "newer pmconsole" in one_line(err) and str(path) in err
    assert listing(folder) == before


# -- dangling links: accepted, and nothing trips over them -----------------------------------------


def dangling_session(make_session) -> Session:
    """Every kind of link pointing nowhere."""
    session = make_session()
    session.factors[0].event_ids = ["e-gone", "e-major"]
    session.factors[1].event_ids = ["e-gone"]
    session.actions[0].factor_ids = ["f-gone", "f-1"]
    session.meeting.facilitator = "p-gone"
    session.meeting.note_taker = "p-gone-too"
    session.speaker_turns[0].participant_id = "p-gone"
    return session


def test_dangling_links_are_what_deleting_a_record_leaves_behind(write_session):
    from pmconsole.domain.ops import del_op
    from pmconsole.storage.session_store import SessionStore

    path = write_session()
    live = SessionStore(path)
    live.edit(del_op("timeline", "e-major"), del_op("participants", "p-fac"))
    live.close()
    session = load_session(path)
    assert session.factors[0].event_ids == ["e-major"]  # now points nowhere
    assert session.meeting.facilitator == "p-fac"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "{path}", "--now", NOW_TEXT],
        ["check", "{path}", "--now", NOW_TEXT, "--json"],
        *[["export", "{path}", "--format", fmt, "--force"] for fmt in ("md", "html", "json",
                                                                        "ics", "csv")],
        ["timeline", "add", "{path}", "--at", "2024-03-04T09:30:00Z", "--kind", "alert",
         "--text", "x"],
        ["action", "done", "{path}", "a-1"],
        ["log", "search", "checkout"],
        ["actions", "--now", NOW_TEXT],
    ],
    ids=lambda a: "-".join(x for x in a if not x.startswith("{") and ":" not in x)[:40],
)
def test_dangling_links_are_accepted_by_every_command(
    args, tmp_path, make_session, capsys, monkeypatch
):
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path))
    path = tmp_path / "incident.toml"
    save_session(path, dangling_session(make_session))
    code, out, err = run(capsys, *[a.replace("{path}", str(path)) for a in args])
    assert code in (0, 1), err  # 1: a rule of the method refused (check); never a crash
    assert "Traceback" not in err


async def walk_the_console(path: Path) -> None:
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.is_running, "the console stopped on step 1"
        for step in range(2, 9):
            screen = app.console_screen()
            screen.go_to(step)
            if app.meeting.step != step:  # blocked by a rule: move anyway, this is about drawing
                app.edit(set_op("meeting", "current_step", step))
                screen.show_step(step)
            await pilot.pause()
            assert app.is_running and app.meeting.step == step, f"stopped on step {step}"
    notes = console(path, role="notes")
    async with notes.run_test(size=(120, 40)) as pilot:
        for key in ("f7", "f8", "f9", "f6"):
            await pilot.press(key)
            await pilot.pause()
        assert notes.is_running


async def test_dangling_event_and_factor_links_do_not_break_the_console(tmp_path, make_session):
    path = tmp_path / "incident.toml"
    session = make_session()
    session.factors[0].event_ids = ["e-gone", "e-major"]
    session.factors[1].event_ids = ["e-gone"]
    session.actions[0].factor_ids = ["f-gone", "f-1"]
    session.speaker_turns[0].participant_id = "p-gone"
    session.meeting.current_step = 1
    save_session(path, session)
    await walk_the_console(path)


# A facilitator or note-taker id that is not on the roster used to crash the console on step 1:
# ScheduleStep.show_session set the Select to an unknown value (textual InvalidSelectValueError),
# and removing the facilitator from the roster (x on step 1) left exactly that behind.


async def test_a_facilitator_not_on_the_roster_does_not_break_the_console(tmp_path, make_session):
    path = tmp_path / "incident.toml"
    session = make_session()
    session.meeting.facilitator = "p-gone"
    session.meeting.current_step = 1
    save_session(path, session)
    await walk_the_console(path)


async def test_removing_the_facilitator_from_the_roster_keeps_the_console_running(tmp_path):
    from snapshot_app import demo_copy

    path = demo_copy(tmp_path)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        facilitator = app.store.session.meeting.facilitator
        ids = [p.id for p in app.store.session.participants]
        roster = app.screen.query_one("#roster")
        roster.focus()
        roster.move_cursor(row=ids.index(facilitator))
        await pilot.press("x")
        await pilot.pause()
        assert facilitator not in [p.id for p in app.store.session.participants]
        assert app.is_running


# -- values a file can hold that nothing can use ---------------------------------------------------


# model.Meeting.planned_minutes used to have no bounds: planned_minutes = 10**23 loaded, and
# `export --format ics` died with an OverflowError in exporters.export_ics.
@pytest.mark.parametrize("minutes", ["99999999999999999999999", "9999999999", "-5"])
def test_an_absurd_meeting_length_is_refused_or_exported(
    minutes, tmp_path, make_session, capsys
):
    good = dump_session(make_session()).decode("utf-8")
    text, line = set_line(good, "meeting", "planned_minutes", minutes)
    path = write(tmp_path, text)
    code, out, err = run(capsys, "export", path, "--format", "ics", "-o", tmp_path / "o.ics")
    assert "Traceback" not in err
    assert code == 0 or (code == 2 and f"{path}:{line}:" in one_line(err))


# -- bad arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["timeline", "add", "{path}", "--at", "2026-02-30T10:00:00Z", "--kind", "alert",
          "--text", "x"], "--at"),
        (["timeline", "add", "{path}", "--at", "2024-03-04 09:30", "--kind", "alert",
          "--text", "x"], "time zone"),
        (["action", "add", "{path}", "--title", "t", "--owner", "o", "--due", "2026-02-30",
          "--criterion", "5 min"], "not a real date"),
        (["action", "add", "{path}", "--title", "t", "--owner", "o", "--due", "2024-03-20",
          "--criterion", "5 min", "--staging", "2024-02-30"], "--staging"),
        (["action", "done", "{path}", "a-nope"], "a-nope"),
        (["check", "{path}", "--now", "2026-02-30T00:00:00Z"], "--now"),
        (["actions", "--now", "2026-02-30T00:00:00Z"], "--now"),
        (["actions", "--now", "2024-03-04T09:30:00"], "time zone"),
        (["log", "search", "--since", "2026-02-30"], "--since"),
        (["log", "search", '"unterminated'], "cannot search"),
        (["new", "{folder}/new.toml", "--title", "t", "--incident-start", "2026-02-30T10:00:00Z",
          "--incident-end", "2026-03-01T10:00:00Z"], "--incident-start"),
        (["export", "{path}", "--format", "pdf"], "--format"),
        (["import", "{path}", "{folder}/events.csv", "--format", "xml"], "--format"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_arguments_exit_2_with_one_line_and_change_nothing(
    args, words, tmp_path, write_session, capsys
):
    path = write_session()
    (tmp_path / "events.csv").write_text("time,text\n2024-03-04T09:30:00Z,x\n")
    before = listing(tmp_path)
    code, out, err = run(capsys, *[a.replace("{path}", str(path)).replace("{folder}",
                                                                          str(tmp_path))
                                   for a in args])
    assert code == 2, err
    assert words in one_line(err)
    assert listing(tmp_path) == before


@pytest.mark.parametrize(
    "output, force, words",
    [
        ("missing-folder/out.md", True, "cannot write"),
        ("a-folder", True, "cannot write"),
        ("a-folder", False, "--force"),
    ],
)
def test_an_export_to_a_place_it_cannot_write_exits_2_and_leaves_nothing(
    output, force, words, tmp_path, write_session, capsys
):
    path = write_session()
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-folder" / "kept").write_text("kept")
    before = listing(tmp_path)
    target = tmp_path / output
    code, out, err = run(capsys, "export", path, "--format", "md", "-o", target,
                         *(["--force"] if force else []))
    assert code == 2
    assert str(target) in one_line(err) and words in err
    assert listing(tmp_path) == before
    assert listing(tmp_path / "a-folder") == {"kept": b"kept"}


# -- import: bad sources ---------------------------------------------------------------------------

# name -> (bytes, or a marker; line or None; words; exit code)
SOURCES = {
    "missing": (None, None, "no such file", 2),
    "directory-not-slack": ("DIR", None, "Slack day files", 2),
    "empty": (b"", None, "empty", 2),
    "binary": (bytes(range(256)) * 64, None, "", 2),
    "sparse-1-gib": ("1GIB", None, "over the import limit", 2),
    "over-a-1-mib-limit": ("2MIB", None, "over the import limit", 2),
    "invalid-utf8-throughout": (b"time,text\n" + b"\xc3\x28 \xa0\xa1\n" * 20, 2, "UTF-8", 2),
    "broken-csv": (b'time,text\n"unterminated,2024\n', 2, "CSV", 2),
    "csv-without-header": (b"a,b\n1,2\n", 1, "header", 2),
    "jsonl-of-the-wrong-shape": (b'{"a": 1}\n[1, 2]\n"text"\n', 1, "nothing was imported", 2),
    "slack-of-the-wrong-shape": (b'[{"x": 1}]', 1, "ts", 2),
    "every-date-2026-02-30": (b"time,text\n2026-02-30T10:00:00Z,x\n", 2, "not a real date", 2),
    # Accepted, with the bad rows reported on stderr with their line:
    "one-row-2026-02-30": (b"time,text\n2026-02-30T10:00:00Z,x\n2024-03-04T09:30:00Z,y\n", 2,
                           "not a real date", 0),
    "one-row-invalid-utf8": (b"time,text\n2024-03-04T09:30:00Z,caf\xe9\n"
                             b"2024-03-04T09:31:00Z,fine\n", 2, "UTF-8", 0),
}


@pytest.mark.parametrize("kind", list(SOURCES))
def test_a_bad_import_source_is_refused_or_its_rows_reported(
    kind, tmp_path, write_session, capsys, monkeypatch
):
    data, line, words, expected = SOURCES[kind]
    monkeypatch.setenv("PMCONSOLE_IMPORT_LIMIT_MB", "1")
    path = write_session()
    source = tmp_path / "source" / "events.csv"
    source.parent.mkdir()
    if data == "DIR":
        source.mkdir()
    elif data in ("1GIB", "2MIB"):
        with source.open("wb") as f:
            f.truncate(1 << 30 if data == "1GIB" else 2 << 20)
    elif data is not None:
        source.write_bytes(data)
    before = listing(tmp_path)
    code, out, err = run(capsys, "import", path, source)
    assert code == expected, err
    assert "Traceback" not in err
    if expected == 2:
        assert str(source) in one_line(err) and words in err
        if line is not None:
            assert f"{source}:{line}:" in err
        assert out == ""
        assert listing(tmp_path) == before
    else:
        assert f"{source}:{line}: skipped:" in err and words in err
        assert "1 event taken, 1 row skipped" in out


def test_importing_the_session_file_into_itself_is_refused(write_session, capsys):
    path = write_session()
    before = listing(path.parent)
    code, out, err = run(capsys, "import", path, path)
    assert code == 2 and str(path) in one_line(err)
    assert listing(path.parent) == before


def test_an_import_time_without_a_zone_is_read_in_the_incident_zone(
    tmp_path, make_session, capsys
):
    session = make_session()
    session.incident.timezone = "Europe/Berlin"
    path = tmp_path / "incident.toml"
    save_session(path, session)
    source = tmp_path / "events.csv"
    source.write_text("time,text\n2024-03-04 10:30:00,naive\n")
    code, out, err = run(capsys, "import", path, source)
    assert code == 0, err
    event = next(e for e in load_session(path).timeline if e.text == "naive")
    assert event.at == RESOLVED - timedelta(minutes=30)  # 10:30 CET is 09:30 UTC


# -- fuzzing the session loader --------------------------------------------------------------------

DEMO = locations.bundled_demo().read_text(encoding="utf-8")
DEMO_LINES = DEMO.splitlines(keepends=True)
FUZZ = settings(max_examples=1000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_PATH = Path("fuzz.toml")


def parse_or_refuse(data: bytes) -> None:
    try:
        result = parse_session(data, FUZZ_PATH)
    except SessionFileError as err:
        event("refused")
        message = str(err)
        assert message.startswith(str(FUZZ_PATH)) and "\n" not in message.strip()
        if err.line is not None:
            assert 1 <= err.line <= data.count(b"\n") + 1
    else:
        event("loaded")
        assert isinstance(result, Session)
        # What loads can be written and loaded again, unchanged.
        assert parse_session(dump_session(result), FUZZ_PATH) == result


@FUZZ
@given(data=st.binary(max_size=2000))
def test_fuzz_the_loader_with_arbitrary_bytes(data):
    parse_or_refuse(data)


@FUZZ
@given(data=st.binary(max_size=400).map(lambda tail: b"schema_version = 1\n" + tail))
def test_fuzz_the_loader_with_arbitrary_bytes_after_a_schema_version(data):
    parse_or_refuse(data)


FLIPS = st.sampled_from(list("[]{}=\"'#.,\n\\ 0123456789-:TZ+aé\x00\x1b") + ['"""', "'''"])


@st.composite
def mutated_demo(draw) -> bytes:
    """The demo session with random lines deleted, duplicated or swapped, and characters
    flipped, inserted or cut."""
    lines = list(DEMO_LINES)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "flip", "insert", "truncate"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in ("flip", "insert") and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            ch = draw(FLIPS)
            lines[i] = lines[i][:k] + ch + lines[i][k + (op == "flip"):]
        elif op == "truncate":
            lines = lines[: i + 1]
    return "".join(lines).encode("utf-8")


@FUZZ
@given(data=mutated_demo())
def test_fuzz_the_loader_with_mutated_demo_sessions(data):
    parse_or_refuse(data)


@settings(max_examples=200, deadline=None)
@given(data=mutated_demo())
def test_fuzzed_session_files_get_one_line_from_the_cli(data):
    # The same contract end to end, on fewer examples: each one runs the command line.
    path = Path(os.environ["PMCONSOLE_SESSIONS_DIR"]).parent / "fuzz-cli.toml"
    path.write_bytes(data)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", str(path), "--now", NOW_TEXT])
    assert code in (0, 1, 2)
    if code == 2:
        assert err.getvalue().count("\n") == 1 and str(path) in err.getvalue()
    assert path.read_bytes() == data
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith("fuzz-cli")) == [
        path.name
    ]


# -- fuzzing each importer (tests/test_importers.py has 300 examples a format; the issue asks for
# 1,000 each) ---------------------------------------------------------------------------------------

IMPORT_SESSION = _session()
IMPORT_SEEDS = [
    b"time,text,kind,source,basis,major\n2024-03-04T09:30:00Z,Lag alert,alert,pager,fact,yes\n"
    b"2024-03-04 10:31:00+01:00,\"quoted, text\",decision,,interp,\n",
    b'{"time": "2024-03-04T09:30:00Z", "text": "Lag alert", "kind": "alert"}\n'
    b'{"@timestamp": 1709544600, "message": "\\u001b[31mred", "basis": "guess"}\n',
    b"2024-03-04T09:30:00Z INFO lag alert fired\nMar  4 09:31:02 db1 postgres[42]: failover\n"
    b"    continuation line\n",
    b'[{"type": "message", "ts": "1709544600.000200", "user": "U1", "text": "lag <@U2>"},'
    b' {"subtype": "channel_join", "ts": "1709544601.0"}]',
]


@st.composite
def mutated_import_source(draw) -> bytes:
    """One of the formats' typical files with bytes flipped, inserted, cut or repeated."""
    data = bytearray(draw(st.sampled_from(IMPORT_SEEDS)))
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "cut", "repeat"]))
        byte = draw(st.sampled_from(list(b',;"{}[]:\n\r\x00\x1b0123456789-TZ ') + [0xff, 0xc3]))
        if op == "flip" and i < len(data):
            data[i] = byte
        elif op == "insert":
            data[i:i] = bytes([byte])
        elif op == "cut":
            del data[i: i + draw(st.integers(1, 20))]
        else:
            data[i:i] = data[max(0, i - 20): i]
    return bytes(data)




@pytest.mark.parametrize("fmt", ["csv", "jsonl", "log", "slack"])
@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=1500) | mutated_import_source())
def test_fuzz_each_importer_a_thousand_times(fmt, data, tmp_path):
    source = tmp_path / "fuzz.src"
    source.write_bytes(data)
    try:
        result = import_timeline(source, IMPORT_SESSION, fmt=fmt, limit_bytes=100_000)
    except ImportRefused as refused:
        assert str(refused).startswith(str(source)) and "\n" not in str(refused)
    else:
        assert isinstance(result, ImportResult)
        assert result.rows == len(result.events) + len(result.problems) + result.duplicates


def test_an_edit_that_does_not_fit_says_where_and_what_in_one_line(make_session):
    """One way to say a pydantic error (model.error_line): the field and the reason, without
    pydantic's "Value error, " prefix, for an edit from any pane or the command line."""
    from datetime import date

    from pmconsole.domain.ops import LiveSession, OpError

    session = make_session()
    action = session.actions[0]
    with pytest.raises(OpError) as refused:
        LiveSession(session).normalise(set_op("actions", "due", date(1, 1, 1), action.id))
    assert str(refused.value).startswith("due: year 1 is out of range")
    assert "Value error" not in str(refused.value)
