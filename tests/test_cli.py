"""The command line: exit codes 0 / 1 (refused by a rule) / 2 (bad usage or unreadable input),
one-line messages naming the file, and nothing on disk changed by a refused or failed command."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import MEETING, MEETING_DAY, NOW_TEXT, one_line, run
from pmconsole.cli import main
from pmconsole.storage import locations
from pmconsole.domain.model import SCHEMA_VERSION
from pmconsole.storage.oplog import log_path_for, read_snapshot
from pmconsole.storage.toml_file import dump_session
from session_files import load_session

UTC = timezone.utc

NEW_ARGS = [
    "--title", "Checkout outage",
    "--incident-start", "2024-03-04T10:10:00+01:00",
    "--incident-end", "2024-03-04T10:00:00Z",
    "--meeting", MEETING.isoformat(),
]




def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())




# -- new ------------------------------------------------------------------------------------------


def test_new_creates_an_owner_only_file_that_loads(tmp_path, capsys):
    path = tmp_path / "incident.toml"
    code, out, err = run(capsys, "new", path, *NEW_ARGS, "--duration", "75",
                         "--severity", "SEV1", "--tag", "Checkout", "--tag", "db")
    assert (code, err) == (0, "")
    assert str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session = load_session(path)
    assert session.incident.title == "Checkout outage"
    assert session.incident.severity == "SEV1"
    assert session.incident.tags == ["checkout", "db"]
    assert session.incident.started_at == datetime(2024, 3, 4, 9, 10, tzinfo=UTC)
    assert session.incident.resolved_at == datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
    assert session.meeting.scheduled_at == MEETING
    assert session.meeting.planned_minutes == 75
    assert files_in(tmp_path) == ["incident.toml"]


def test_new_takes_the_default_duration_from_the_config_file(tmp_path, capsys):
    Path(os.environ["PMCONSOLE_CONFIG"]).write_text("planned_minutes = 80\n")
    path = tmp_path / "incident.toml"
    assert run(capsys, "new", path, *NEW_ARGS)[0] == 0
    assert load_session(path).meeting.planned_minutes == 80


def test_new_on_an_existing_file_is_refused_and_leaves_it(tmp_path, capsys):
    path = tmp_path / "incident.toml"
    path.write_bytes(b"precious = true\n")
    code, out, err = run(capsys, "new", path, *NEW_ARGS)
    assert code == 2
    assert str(path) in one_line(err)
    assert "already exists" in err
    assert path.read_bytes() == b"precious = true\n"


def test_new_with_a_meeting_too_short_is_refused_by_the_rule(tmp_path, capsys):
    path = tmp_path / "incident.toml"
    code, out, err = run(capsys, "new", path, *NEW_ARGS, "--duration", "45")
    assert code == 1
    assert "meeting.duration" in one_line(err)
    assert "--duration" in err  # the way out
    assert not path.exists()
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    "option", ["--incident-start", "--incident-end", "--meeting", "--detected"]
)
def test_new_with_a_naive_time_says_it_needs_a_zone(tmp_path, capsys, option):
    path = tmp_path / "incident.toml"
    args = [*NEW_ARGS, option, "2024-03-04T09:10:00"]  # the later one wins in argparse
    code, out, err = run(capsys, "new", path, *args)
    assert code == 2
    assert option in one_line(err)
    assert "time zone" in err
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    "args, words",
    [
        (["--incident-start", "2024-03-04T09:10:00Z", "--incident-end", "2024-03-04T10:00:00Z"],
         "--title"),
        (["--title", "T", "--incident-end", "2024-03-04T10:00:00Z"], "--incident-start"),
        ([*NEW_ARGS, "--duration", "long"], "--duration"),
        ([*NEW_ARGS, "--severity", "SEV9"], "--severity"),
        ([*NEW_ARGS, "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--title", "T", "--incident-start", "2024-03-04T11:00:00Z",
          "--incident-end", "2024-03-04T10:00:00Z"], "before"),
    ],
)
def test_new_with_bad_usage_exits_2_and_creates_nothing(tmp_path, capsys, args, words):
    path = tmp_path / "incident.toml"
    code, out, err = run(capsys, "new", path, *args)
    assert code == 2
    assert words in one_line(err)
    assert files_in(tmp_path) == []


# -- timeline add ---------------------------------------------------------------------------------


def test_timeline_add_is_seen_live_and_checkpointed_into_the_toml(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "timeline", "add", path, "--at", "2024-03-04T10:20:00+01:00",
                         "--kind", "decision", "--text", "Rolled back [bold]v2[/]",
                         "--source", "slack")
    assert (code, err) == (0, "")
    event_id = out.strip()
    for session in (read_snapshot(path), load_session(path)):
        event = next(e for e in session.timeline if e.id == event_id)
        assert event.at == datetime(2024, 3, 4, 9, 20, tzinfo=UTC)
        assert (event.kind, event.text, event.source) == ("decision", "Rolled back [bold]v2[/]",
                                                          "slack")
        assert (event.basis, event.major) == ("fact", False)
        assert len(session.timeline) == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_timeline_add_stores_interpretation_and_major(write_session, capsys):
    path = write_session()
    code, out, _ = run(capsys, "timeline", "add", path, "--at", "2024-03-04T09:30:00Z",
                       "--kind", "observation", "--text", "Probably the cache",
                       "--interpretation", "--major")
    assert code == 0
    event = next(e for e in load_session(path).timeline if e.id == out.strip())
    assert (event.basis, event.major) == ("interpretation", True)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--at", "2024-03-04T09:30:00Z", "--kind", "alarm", "--text", "x"], "--kind"),
        (["--at", "2024-03-04T09:30:00", "--kind", "alert", "--text", "x"], "time zone"),
        (["--at", "yesterday", "--kind", "alert", "--text", "x"], "ISO 8601"),
        (["--at", "2024-03-04T09:30:00Z", "--kind", "alert"], "--text"),
    ],
)
def test_timeline_add_bad_input_changes_nothing(write_session, capsys, args, words):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "timeline", "add", path, *args)
    assert code == 2
    assert words in one_line(err)
    assert path.read_bytes() == before
    assert not log_path_for(path).exists()
    assert files_in(path.parent) == [path.name]


def test_timeline_add_to_a_missing_file_creates_nothing(tmp_path, capsys):
    path = tmp_path / "nothing.toml"
    code, out, err = run(capsys, "timeline", "add", path, "--at", "2024-03-04T09:30:00Z",
                         "--kind", "alert", "--text", "x")
    assert code == 2
    assert str(path) in one_line(err)
    assert files_in(tmp_path) == []


# -- action add / done ----------------------------------------------------------------------------


def action_args(due: date = MEETING_DAY + timedelta(days=14), title: str = "Alert on lag"):
    return ["--title", title, "--owner", "Sam Rivera", "--due", due.isoformat(),
            "--criterion", "Alert fires within 2 minutes"]


def seven_open(make_session, make_action):
    return make_session(
        actions=[make_action(id=f"a-{n}", title=f"Action {n}") for n in range(1, 8)]
    )


def test_action_add_prints_the_id_and_stores_an_open_item(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "action", "add", path, *action_args(), "--factor", "f-1",
                         "--factor", "f-2", "--description", "Details")
    assert (code, err) == (0, "")
    action_id = out.strip()
    action = next(a for a in load_session(path).actions if a.id == action_id)
    assert action.title == "Alert on lag"
    assert action.owner == "Sam Rivera"
    assert action.due == MEETING_DAY + timedelta(days=14)
    assert action.criterion == "Alert fires within 2 minutes"
    assert action.factor_ids == ["f-1", "f-2"]
    assert action.status == "open"
    assert [h.status for h in action.history] == ["open"]
    assert read_snapshot(path).actions[-1].id == action_id


def test_the_eighth_open_action_is_refused(write_session, make_session, make_action, capsys):
    path = write_session(seven_open(make_session, make_action))
    before = path.read_bytes()
    code, out, err = run(capsys, "action", "add", path, *action_args())
    assert code == 1
    assert "actions.open_limit" in one_line(err)
    assert out == ""
    assert path.read_bytes() == before
    assert files_in(path.parent) == [path.name]
    assert len(read_snapshot(path).open_actions()) == 7


def test_the_eighth_is_refused_after_seven_added_one_by_one(write_session, make_session, capsys):
    path = write_session(make_session(actions=[]))
    for n in range(7):
        assert run(capsys, "action", "add", path, *action_args(title=f"Action {n}"))[0] == 0
    before = path.read_bytes()
    code, out, err = run(capsys, "action", "add", path, *action_args(title="Eighth"))
    assert code == 1
    assert "actions.open_limit" in err
    assert path.read_bytes() == before
    assert len(read_snapshot(path).open_actions()) == 7


def test_after_closing_one_of_seven_an_eighth_is_accepted(
    write_session, make_session, make_action, capsys
):
    path = write_session(seven_open(make_session, make_action))
    assert run(capsys, "action", "done", path, "a-3")[0] == 0
    code, out, err = run(capsys, "action", "add", path, *action_args(title="Eighth"))
    assert (code, err) == (0, "")
    session = load_session(path)
    assert len(session.actions) == 8
    assert len(session.open_actions()) == 7


def test_due_date_outside_the_window_is_refused(write_session, capsys):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "action", "add", path,
                         *action_args(due=MEETING_DAY + timedelta(days=30)))
    assert code == 1
    assert "actions.due_window" in one_line(err)
    assert "30 days" in err
    assert path.read_bytes() == before
    assert files_in(path.parent) == [path.name]


def test_due_date_outside_the_window_with_a_reason_is_accepted(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "action", "add", path,
                         *action_args(due=MEETING_DAY + timedelta(days=30)),
                         "--reason", "Vendor release ships in April")
    assert (code, err) == (0, "")
    action = next(a for a in load_session(path).actions if a.id == out.strip())
    assert action.due == MEETING_DAY + timedelta(days=30)
    assert action.due_reason == "Vendor release ships in April"


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--factor", "f-nope"], "f-nope"),
        (["--due", "2026-02-30"], "not a real date"),
        (["--due", "next week"], "YYYY-MM-DD"),
        (["--staging", "2024-13-01"], "--staging"),
    ],
)
def test_action_add_bad_input_exits_2_and_changes_nothing(write_session, capsys, extra, words):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "action", "add", path, *action_args(), *extra)
    assert code == 2
    assert words in one_line(err)
    assert path.read_bytes() == before
    assert files_in(path.parent) == [path.name]


def test_action_done_closes_it_with_a_history_entry(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "action", "done", path, "a-2", "--note", "Runbook updated")
    assert (code, err) == (0, "")
    assert "a-2" in out
    action = next(a for a in load_session(path).actions if a.id == "a-2")
    assert action.status == "done"
    assert [h.status for h in action.history] == ["open", "done"]
    assert action.history[-1].note == "Runbook updated"
    others = [a.status for a in load_session(path).actions if a.id != "a-2"]
    assert others == ["open", "open"]


def test_action_done_with_an_unknown_id_lists_the_known_ones(write_session, capsys):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "action", "done", path, "a-404")
    assert code == 2
    one_line(err)
    assert "a-404" in err
    for known in ("a-1", "a-2", "a-3"):
        assert known in err
    assert path.read_bytes() == before
    assert files_in(path.parent) == [path.name]


# -- followup set ---------------------------------------------------------------------------------


def test_followup_set_stores_the_review_date(write_session, capsys):
    path = write_session()
    day = MEETING_DAY + timedelta(days=10)
    code, out, err = run(capsys, "followup", "set", path, day.isoformat())
    assert (code, err) == (0, "")
    assert day.isoformat() in out
    assert load_session(path).followup_review_at == day


@pytest.mark.parametrize("days", [15, 0, -3])
def test_followup_set_outside_the_window_is_refused_by_the_rule(write_session, capsys, days):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "followup", "set", path,
                         (MEETING_DAY + timedelta(days=days)).isoformat())
    assert code == 1
    assert "followup.review" in one_line(err)
    assert "2024-03-07 to 2024-03-20" in err  # the way out: the days that fit
    assert path.read_bytes() == before
    assert files_in(path.parent) == [path.name]


def test_followup_set_without_a_meeting_date_is_refused(write_session, make_session, capsys):
    session = make_session()
    session.meeting.scheduled_at = None
    path = write_session(session)
    before = path.read_bytes()
    code, out, err = run(capsys, "followup", "set", path, "2024-03-10")
    assert code == 1
    assert "followup.review" in one_line(err) and "no date yet" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("text, words", [
    ("next week", "YYYY-MM-DD"),
    ("2024-02-30", "not a real date"),
    ("2024-03-10T10:00", "YYYY-MM-DD"),
])
def test_followup_set_with_a_malformed_date_exits_2(write_session, capsys, text, words):
    path = write_session()
    before = path.read_bytes()
    code, out, err = run(capsys, "followup", "set", path, text)
    assert code == 2
    assert words in one_line(err)
    assert path.read_bytes() == before
    assert files_in(path.parent) == [path.name]


def test_followup_set_on_a_missing_file_exits_2(tmp_path, capsys):
    code, out, err = run(capsys, "followup", "set", tmp_path / "nope.toml", "2024-03-10")
    assert code == 2
    assert "nope.toml" in one_line(err)
    assert files_in(tmp_path) == []


# -- check ----------------------------------------------------------------------------------------


def test_check_a_clean_session(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "check", path, "--now", NOW_TEXT)
    assert (code, err) == (0, "")
    assert "block" not in out.replace("0 block", "")
    assert out.splitlines()[-1] == "0 block, 0 warn, 1 info"


def test_check_json_on_a_clean_session(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "check", path, "--json", "--now", NOW_TEXT)
    assert code == 0
    findings = json.loads(out)
    assert [(f["rule"], f["severity"]) for f in findings] == [("feedback.anonymous", "info")]


def test_check_a_session_that_breaks_a_block_rule(write_session, make_session, capsys):
    session = make_session()
    session.participants[0].involved = True  # the facilitator, in the team's first post-mortem
    path = write_session(session)
    code, out, err = run(capsys, "check", path, "--now", NOW_TEXT)
    assert code == 1
    assert "facilitator.neutral" in out
    assert out.splitlines()[-1].startswith("1 block,")

    code, out, err = run(capsys, "check", path, "--json", "--now", NOW_TEXT)
    assert code == 1
    findings = json.loads(out)
    assert isinstance(findings, list)
    for finding in findings:
        assert {"rule", "severity", "step", "message", "hint"} <= set(finding)
        assert finding["severity"] in ("block", "warn", "info")
        assert isinstance(finding["step"], int)
    blocked = [f for f in findings if f["severity"] == "block"]
    assert [(f["rule"], f["step"]) for f in blocked] == [("facilitator.neutral", 1)]
    assert "Fatima Okafor" in blocked[0]["message"]


def test_check_sees_edits_in_the_live_log(write_session, make_session, capsys):
    path = write_session(make_session(actions=[]))
    assert run(capsys, "check", path, "--json", "--now", NOW_TEXT)[0] == 0
    for n in range(2):
        run(capsys, "action", "add", path, *action_args(title=f"Action {n}"))
    code, out, _ = run(capsys, "check", path, "--json", "--now", NOW_TEXT)
    rules = {f["rule"]: f for f in json.loads(out)}
    assert "2 action items agreed" in rules["actions.count"]["message"]


@pytest.mark.parametrize("now", ["2024-03-07T00:00:00", "soon"])
def test_check_with_a_bad_now_exits_2(write_session, capsys, now):
    path = write_session()
    code, out, err = run(capsys, "check", path, "--now", now)
    assert code == 2
    assert "--now" in one_line(err)


def bad_file(tmp_path: Path, kind: str, good: str) -> tuple[Path, int | None]:
    """A broken session file and the line its error is on (None where there is no line)."""
    path = tmp_path / "broken.toml"
    lines = good.splitlines()
    if kind == "not toml":
        lines.insert(2, "this line = is = not toml")
        line = 3
    elif kind == "wrong type":
        line = lines.index("[meeting]") + 1
        while not lines[line].startswith("planned_minutes = "):
            line += 1
        lines[line] = 'planned_minutes = "long"'
        line += 1
    elif kind == "missing field":
        line = lines.index("[incident]") + 1
        lines.remove('title = "Checkout outage"')
    elif kind == "newer schema":
        lines[lines.index(f"schema_version = {SCHEMA_VERSION}")] = "schema_version = 7"
        line = None
    elif kind == "no schema":
        lines.remove(f"schema_version = {SCHEMA_VERSION}")
        line = None
    elif kind == "naive time":
        line = lines.index("[incident]") + 1
        while not lines[line].startswith("started_at = "):
            line += 1
        lines[line] = "started_at = 2024-03-04T09:10:00"
        line += 1
    elif kind == "empty":
        lines, line = [], None
    elif kind == "directory":
        path.mkdir()
        return path, None
    else:
        raise AssertionError(kind)
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return path, line


BAD_KINDS = ["not toml", "wrong type", "missing field", "newer schema", "no schema",
             "naive time", "empty", "directory"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_check_on_a_bad_file_exits_2_with_one_line(tmp_path, make_session, capsys, kind):
    path, line = bad_file(tmp_path, kind, dump_session(make_session()).decode("utf-8"))
    before = None if path.is_dir() else path.read_bytes()
    code, out, err = run(capsys, "check", path, "--now", NOW_TEXT)
    assert code == 2
    assert out == ""
    one_line(err)
    assert str(path) in err
    if line is not None:
        assert f"{path}:{line}:" in err
    if before is not None:
        assert path.read_bytes() == before
    assert files_in(tmp_path) == ["broken.toml"]


@pytest.mark.parametrize("kind", ["not toml", "wrong type", "newer schema", "empty"])
@pytest.mark.parametrize(
    "command",
    [
        ["timeline", "add", "{path}", "--at", "2024-03-04T09:30:00Z", "--kind", "alert",
         "--text", "x"],
        ["action", "add", "{path}", *action_args()],
        ["action", "done", "{path}", "a-1"],
    ],
)
def test_edits_to_a_bad_file_exit_2_and_change_nothing(
    tmp_path, make_session, capsys, kind, command
):
    path, _ = bad_file(tmp_path, kind, dump_session(make_session()).decode("utf-8"))
    before = path.read_bytes()
    code, out, err = run(capsys, *[str(path) if a == "{path}" else a for a in command])
    assert code == 2
    assert str(path) in one_line(err)
    assert path.read_bytes() == before
    assert files_in(tmp_path) == ["broken.toml"]


# -- the module entry point, in a real process ----------------------------------------------------


def pmconsole(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pmconsole", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=60,
    )


def test_module_entry_point_new_then_check(tmp_path):
    path = tmp_path / "incident.toml"
    made = pmconsole("new", path, *NEW_ARGS, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert str(path) in made.stdout
    checked = pmconsole("check", path, "--json", "--now", NOW_TEXT, cwd=tmp_path)
    # A bare new session has no learning question yet: a block.
    assert checked.returncode == 1, checked.stderr
    assert "question.one" in {f["rule"] for f in json.loads(checked.stdout)}


@pytest.mark.parametrize("kind", ["not toml", "wrong type", "directory"])
def test_module_entry_point_prints_no_traceback_on_a_bad_file(tmp_path, make_session, kind):
    path, _ = bad_file(tmp_path, kind, dump_session(make_session()).decode("utf-8"))
    result = pmconsole("check", path, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert str(path) in result.stderr


def test_module_entry_point_refusal_exits_1(tmp_path, make_session, make_action):
    from session_files import save_session

    path = tmp_path / "incident.toml"
    save_session(path, seven_open(make_session, make_action))
    result = pmconsole("action", "add", path, *action_args(), cwd=tmp_path)
    assert result.returncode == 1
    assert "actions.open_limit" in result.stderr
    assert "Traceback" not in result.stderr


# -- times at the edges of the calendar ----------------------------------------------------------


def test_check_with_a_time_out_of_range_exits_2(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "check", path, "--now", "9999-12-31T23:00:00-05:00")
    assert code == 2
    assert "--now" in one_line(err)


@pytest.mark.parametrize("moment", ["9999-12-30T00:00:00Z", "0001-01-01T12:00:00Z"])
def test_a_meeting_at_the_edge_of_time_is_refused_with_its_line(write_session, capsys, moment):
    path = write_session()
    text = path.read_text()
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("scheduled_at = "))
    lines[number - 1] = f"scheduled_at = {moment}"
    path.write_text("\n".join(lines) + "\n")
    before = path.read_bytes()
    code, out, err = run(capsys, "check", path, "--now", NOW_TEXT)
    assert code == 2
    message = one_line(err)
    assert f"{path}:{number}:" in message and "out of range" in message
    assert path.read_bytes() == before


# -- where sessions live --------------------------------------------------------------------------


def test_sessions_dir_explicit_wins(tmp_path, monkeypatch):
    (tmp_path / "sessions").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path / "from-env"))
    assert locations.sessions_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert locations.sessions_dir(str(tmp_path / "explicit")) == tmp_path / "explicit"


def test_sessions_dir_env_beats_local_folder(tmp_path, monkeypatch):
    (tmp_path / "sessions").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(tmp_path / "from-env"))
    assert locations.sessions_dir() == tmp_path / "from-env"
    assert locations.sessions_dir(None) == tmp_path / "from-env"


def test_sessions_dir_local_folder_when_it_exists(tmp_path, monkeypatch):
    (tmp_path / "sessions").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMCONSOLE_SESSIONS_DIR")
    assert locations.sessions_dir().resolve() == (tmp_path / "sessions").resolve()


@pytest.mark.parametrize("local", ["missing", "a file"])
def test_sessions_dir_falls_back_to_the_user_data_folder(tmp_path, monkeypatch, local):
    work = tmp_path / "work"
    work.mkdir()
    if local == "a file":
        (work / "sessions").write_text("not a folder")
    monkeypatch.chdir(work)
    monkeypatch.delenv("PMCONSOLE_SESSIONS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    found = locations.sessions_dir()
    if sys.platform.startswith("linux"):
        assert found == tmp_path / "xdg" / "pmconsole" / "sessions"
    else:
        import platformdirs

        assert found == Path(platformdirs.user_data_dir("pmconsole")) / "sessions"


def test_resolve_session_path(tmp_path, monkeypatch):
    folder = tmp_path / "folder"
    monkeypatch.chdir(tmp_path)
    assert locations.resolve_session_path("inc-7", folder) == folder / "inc-7.toml"
    assert locations.resolve_session_path("inc-7.toml", folder) == folder / "inc-7.toml"
    assert locations.resolve_session_path("sub/inc-7.toml", folder) == Path("sub/inc-7.toml")
    (tmp_path / "here.toml").write_text("")
    assert locations.resolve_session_path("here.toml", folder) == Path("here.toml")


def test_bare_name_goes_to_the_sessions_folder_from_env(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "team-sessions"
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "new", "checkout-outage", *NEW_ARGS)[0] == 0
    assert files_in(folder) == ["checkout-outage.toml"]
    assert stat.S_IMODE((folder / "checkout-outage.toml").stat().st_mode) == 0o600
    assert files_in(tmp_path) == ["team-sessions"]
    # And the same bare name finds it again.
    code, out, err = run(capsys, "timeline", "add", "checkout-outage", "--at",
                         "2024-03-04T09:30:00Z", "--kind", "alert", "--text", "x")
    assert (code, err) == (0, "")
    assert [e.id for e in load_session(folder / "checkout-outage.toml").timeline] == [out.strip()]


def test_bare_name_goes_to_the_sessions_dir_option(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "explicit"
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--sessions-dir", folder, "new", "inc", *NEW_ARGS)
    assert (code, err) == (0, "")
    assert (folder / "inc.toml").is_file()
    assert not Path(os.environ["PMCONSOLE_SESSIONS_DIR"]).exists()


def test_bare_name_goes_to_the_local_sessions_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "sessions").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMCONSOLE_SESSIONS_DIR")
    assert run(capsys, "new", "inc", *NEW_ARGS)[0] == 0
    assert files_in(tmp_path / "sessions") == ["inc.toml"]


def test_export_writes_beside_the_session_and_never_overwrites_without_force(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "export", path, "--format", "md")
    assert code == 0
    target = path.with_name(path.name.removesuffix(".toml") + ".summary.md")
    assert out.strip() == str(target) and target.read_text().startswith("# ")
    target.write_text("kept")
    code, out, err = run(capsys, "export", path, "--format", "md")
    assert code == 2 and "--force" in one_line(err)
    assert target.read_text() == "kept"
    assert run(capsys, "export", path, "--format", "md", "--force")[0] == 0
    assert target.read_text().startswith("# ")
    code, out, err = run(capsys, "export", path, "--format", "json", "-o", path)
    assert code == 2 and "session file itself" in one_line(err)


def test_export_never_replaces_the_session_s_edit_log_even_with_force(write_session, capsys):
    from pmconsole.storage.oplog import log_path_for

    path = write_session()
    assert run(capsys, "timeline", "add", path, "--at", "2024-03-04T10:20:00+01:00",
               "--kind", "decision", "--text", "logged")[0] == 0
    log = log_path_for(path)
    before = log.read_bytes()
    for name in (log, log.with_name(log.name + "-wal")):
        code, _, err = run(capsys, "export", path, "--format", "md", "-o", name, "--force")
        assert code == 2 and "edit log" in one_line(err) and str(name) in err
    assert log.read_bytes() == before


def test_export_to_dash_prints_it_and_writes_no_file(write_session, capsys, tmp_path):
    path = write_session()
    before = sorted(p.name for p in path.parent.iterdir())
    code, out, err = run(capsys, "export", path, "--format", "csv", "-o", "-")
    assert code == 0 and out.startswith("Title,Description,Owner")
    assert sorted(p.name for p in path.parent.iterdir()) == before
    assert not (tmp_path / "-").exists() and not Path("-").exists()
    # In UTF-8 whatever the terminal's encoding: no traceback on a Latin-1 one.
    done = subprocess.run(
        [sys.executable, "-m", "pmconsole", "export", str(path), "--format", "csv", "-o", "-"],
        capture_output=True, env={**os.environ, "PYTHONIOENCODING": "latin-1"},
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    assert "From the post-mortem “".encode("utf-8") in done.stdout


def test_export_of_a_summary_over_one_page_is_refused_unless_forced(write_session, make_session, capsys):
    session = make_session()
    session.summary = "word " * 600
    path = write_session(session)
    before = path.read_bytes()
    code, out, err = run(capsys, "export", path, "--format", "html")
    assert code == 1 and "facts.one_page" in err
    assert not path.with_suffix(".html").exists() and path.read_bytes() == before
    assert run(capsys, "export", path, "--format", "html", "--force")[0] == 0


# -- the parser -----------------------------------------------------------------------------------


def test_every_command_the_parser_knows_is_one_a_command_line_can_name():
    from pmconsole.cli import COMMAND_NAMES, build_parser

    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(subparsers.choices) == COMMAND_NAMES


@pytest.mark.parametrize("argv, named", [
    (["open", "f.toml"], "open"),
    (["--sessions-dir", "open", "demo"], "demo"),  # a folder named like a command
    (["--sessions-dir=x", "--exit-when-ready", "timeline", "add"], "timeline"),
    (["--sess", "x", "open", "f"], None),  # abbreviated: argparse's to read
    (["--help"], None),
    (["-h", "open"], None),
    ([], None),
    (["opne", "f"], None),
])
def test_the_command_a_command_line_names_is_read_only_when_it_is_plain(argv, named):
    from pmconsole.cli import named_command

    assert named_command(argv) == named


@pytest.mark.parametrize("argv", [
    ["open"],
    ["export", "x.toml", "--format", "pdf"],
    ["timeline", "add", "x.toml", "--kind", "alert"],
    ["log", "search", "--help"],
    ["--sessions-dir", "s", "new", "--help"],
    ["check", "--bogus"],
])
def test_a_command_parsed_alone_says_what_the_whole_parser_says(argv, capsys):
    """Help and usage errors are word for word those of the parser with every command."""
    from pmconsole.cli import UsageError, build_parser, named_command

    def said(only):
        try:
            build_parser(only=only).parse_args(argv)
        except UsageError as err:
            return "usage error", str(err)
        except SystemExit as stop:
            return stop.code, capsys.readouterr()
        raise AssertionError(f"{argv} parsed")

    assert named_command(argv) is not None
    assert said(named_command(argv)) == said(None)


def test_check_calls_the_wrap_up_by_its_name_not_a_step_8(tmp_path, capsys):
    path = tmp_path / "demo.toml"
    path.write_bytes(locations.bundled_demo().read_bytes())
    code, out, err = run(capsys, "check", path, "--now", NOW_TEXT)
    assert "step 8" not in out
    assert any(line.split()[:3] == ["info", "wrap-up", "feedback.anonymous:"]
               for line in out.splitlines()), out


# -- import --help --------------------------------------------------------------------------------


def test_import_help_and_the_readme_name_every_csv_column_the_importer_reads(capsys):
    from pmconsole.importers.fields import FIELD_NAMES, normal_name  # the importer's own list

    with pytest.raises(SystemExit) as exit:
        main(["import", "--help"])
    assert exit.value.code == 0
    help_text = capsys.readouterr().out
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {
        cells[1].split()[0]: cells[2]
        for line in readme.splitlines()
        if line.startswith("| ") and len(cells := line.split("|")) == 5
    }
    for field, names in FIELD_NAMES.items():
        assert f"  {field} " in help_text
        assert all(name in help_text for name in names), field
        assert {normal_name(n) for n in rows[field].split(",")} >= set(names), field
