"""The actions out to issue trackers and their status back (issue 21): the CSV shaped for each
tracker's importer, the gh script, and ``pmconsole actions sync`` reading a tracker's export."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from conftest import one_line, run
from pmconsole.domain.model import Session
from pmconsole.exporters import export
from session_files import load_session

from test_exporters import DEMO, NOW, UTC



@pytest.fixture(scope="module")
def demo() -> Session:
    return load_session(DEMO)


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# -- actions shaped for issue trackers ---------------------------------------------------------


def _with_roster(demo, **by_name) -> Session:
    """The demo with e-mails and handles on some of its roster: name -> (email, handle)."""
    roster = [p.model_copy(update=dict(zip(("email", "handle"), by_name[p.name])))
              if p.name in by_name else p for p in demo.participants]
    return demo.model_copy(update={"participants": roster})


def test_each_tracker_gets_the_columns_dates_and_words_its_importer_reads(demo):
    session = _with_roster(demo, **{"Jonas Weber": ("jonas@example.com", "jweber")})
    jonas, amara = session.actions[0], session.actions[1]
    assert (jonas.owner, amara.owner) == ("Jonas Weber", "Amara Okafor")

    jira = _csv_rows(export(session, "csv", now=NOW, tracker="jira"))
    assert jira[0] == ["Summary", "Issue Type", "Description", "Assignee", "Due Date", "Status",
                       "Labels"]
    assert jira[1][:2] == [jonas.title, "Task"]
    assert jira[1][3:] == ["jonas@example.com", "10/Dec/26 12:00 AM", "To Do", "post-mortem"]
    assert jira[2][3] == ""  # no e-mail for Amara: named in the description only

    github = _csv_rows(export(session, "csv", now=NOW, tracker="github"))
    assert github[0] == ["title", "body", "assignees", "labels", "state"]
    assert github[1][2] == "jweber" and "Due: 2026-12-10\n" in github[1][1]

    gitlab = _csv_rows(export(session, "csv", now=NOW, tracker="gitlab"))
    assert gitlab[0] == ["title", "description", "due_date"]  # in that order, nothing else
    assert gitlab[1][2] == "2026-12-10"
    assert gitlab[1][1].endswith("/label ~post-mortem\n/assign @jweber\n\n"
                                 + gitlab[1][1].split("\n\n")[-1])

    linear = _csv_rows(export(session, "csv", now=NOW, tracker="linear"))
    assert linear[0] == ["Title", "Description", "Status", "Assignee", "Labels"]
    assert linear[1][2:] == ["Todo", "jonas@example.com", "post-mortem"]

    for rows, body in ((jira, 2), (github, 1), (gitlab, 1), (linear, 1)):
        assert len(rows) == 1 + len(session.agreed_actions())
        description = rows[1][body]
        assert f"Success criterion: {jonas.criterion}\n" in description
        assert "Staging check: 2026-12-08\n" in description
        assert "Contributing factors: A renamed config key is read silently" in description
        assert "Owner: Jonas Weber\n" in description
        assert description.endswith(
            "From the post-mortem “Payment captures delayed by a backlog on the payment-capture "
            "queue” of 2026-11-26.\npmconsole action: a-config-keys")


def test_a_done_action_is_closed_and_a_dropped_one_left_out(demo):
    done = demo.actions[0].model_copy(update={"status": "done"})
    dropped = demo.actions[1].model_copy(update={"status": "dropped"})
    session = demo.model_copy(update={"actions": [done, dropped, *demo.actions[2:]]})
    jira = _csv_rows(export(session, "csv", now=NOW, tracker="jira"))
    linear = _csv_rows(export(session, "csv", now=NOW, tracker="linear"))
    gitlab = _csv_rows(export(session, "csv", now=NOW, tracker="gitlab"))
    assert [r[0] for r in jira[1:]] == [done.title, *(a.title for a in demo.actions[2:])]
    assert (jira[1][5], linear[1][2]) == ("Done", "Done")
    assert "\n/close\n" in gitlab[1][1]
    script = export(session, "gh", now=NOW)
    assert f"# Already done, not created: {done.title} ({done.id})" in script
    assert script.count("gh issue create") == len(demo.actions) - 2


def test_export_for_a_tracker_names_owners_it_cannot_map(demo, tmp_path, capsys):
    path = tmp_path / "demo.toml"
    path.write_bytes(DEMO.read_bytes())
    code, out, err = run(capsys, "export", path, "--format", "csv", "--for", "jira")
    assert code == 0
    assert out == f"{tmp_path / 'demo.actions.jira.csv'}\n"
    owners = list(dict.fromkeys(a.owner for a in demo.agreed_actions()))
    assert err.splitlines() == [
        f"{o}: no email on the roster for jira; named in the description only" for o in owners]
    for args in (("--format", "md", "--for", "jira"), ("--format", "csv", "--label", "x"),
                 ("--format", "csv", "--for", "trello")):
        code, _, err = run(capsys, "export", path, *args)
        assert code == 2 and "Traceback" not in err


def test_the_gh_script_passes_every_word_through_the_shell_unchanged(demo, tmp_path):
    nasty = "$(touch pwned) `touch pwned` 'quoted' \"double\" ; rm -rf / & \\ $HOME"
    action = demo.actions[0].model_copy(update={"title": nasty, "description": nasty})
    session = _with_roster(demo, **{"Jonas Weber": (None, "jweber")}).model_copy(
        update={"actions": [action]})
    script = export(session, "gh", now=NOW, labels=("reliability", nasty), milestone=nasty)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "gh"
    # A stand-in for gh that writes each argument it receives, NUL-terminated.
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done >> "$GH_ARGS"\n')
    fake.chmod(0o755)
    (tmp_path / "issues.sh").write_text(script, encoding="utf-8")
    record = tmp_path / "args"
    result = subprocess.run(["sh", "issues.sh"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=30, env={"PATH": f"{bin_dir}:/usr/bin:/bin",
                                             "GH_ARGS": str(record), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pwned").exists()
    args = record.read_text(encoding="utf-8").split("\0")[:-1]
    assert args[:4] == ["issue", "create", "--title", nasty]
    assert args[4] == "--body" and args[5].startswith(nasty + "\n\nSuccess criterion: ")
    assert "Due: 2026-12-10\n" in args[5]
    assert args[6:] == ["--label", "post-mortem", "--label", "reliability", "--label", nasty,
                        "--milestone", nasty, "--assignee", "jweber"]


# -- status back from a tracker ----------------------------------------------------------------


def _tracker_export(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def _synced_session(tmp_path) -> Path:
    path = tmp_path / "demo.toml"
    path.write_bytes(DEMO.read_bytes())
    return path


def test_a_jira_export_fed_back_marks_the_right_actions(tmp_path, capsys):
    path = _synced_session(tmp_path)
    assert run(capsys, "export", path, "--format", "csv", "--for", "jira")[0] == 0
    made = _csv_rows((tmp_path / "demo.actions.jira.csv").read_text(encoding="utf-8"))[1:]
    words = ["Done", "In Progress", "Won't Do", "To Do"]
    export_file = _tracker_export(
        tmp_path / "jira.csv", ["Issue key", "Summary", "Status", "Resolved", "Description"],
        [[f"PAY-{n}", r[0], w, "08/Dec/26 3:15 PM" if w != "To Do" else "", r[2]]
         for n, (r, w) in enumerate(zip(made, words), start=1)]
        + [["PAY-9", "Not ours", "Done", "", "Written by hand"]],
    )
    code, out, err = run(capsys, "actions", "sync", path, export_file)
    assert code == 0, err
    # The line where the row starts in the file: the descriptions before it span many.
    lines = export_file.read_text(encoding="utf-8").split("\n")
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("PAY-9,"))
    assert line > 6
    assert err == f"{export_file}:{line}: PAY-9 names no action of this session: skipped\n"
    assert out.splitlines()[-1] == "2 changed, 2 as they were, 1 row not matched"
    session = load_session(path)
    before = load_session(DEMO)
    assert [a.status for a in session.actions] == ["done", "open", "dropped", "open"]
    done = session.actions[0].history[-1]
    assert (done.status, done.at) == ("done", datetime(2026, 12, 8, 15, 15, tzinfo=UTC))
    assert done.note == f"PAY-1 in {export_file}: Done"
    assert session.actions[2].history[-1].note == f"PAY-3 in {export_file}: Won't Do"
    assert [a.history for a in session.actions[1::2]] == [a.history for a in before.actions[1::2]]


def test_linear_and_gitlab_exports_are_read_too_and_a_reopened_ticket_reopens(demo, tmp_path,
                                                                                capsys):
    from pmconsole.exporters.tracker_sync import plan_sync

    mark = [f"Text.\npmconsole action: {a.id}" for a in demo.actions]
    linear = "ID,Title,Description,Status,Completed\r\n" + "".join(
        f'ENG-{n},t,"{m}",{w},2026-12-09T10:00:00.000Z\r\n'
        for n, (m, w) in enumerate(zip(mark, ["Done", "Canceled", "Todo", "In Review"])))
    plan = plan_sync(linear, "linear.csv", demo, NOW)
    assert [(c.action.id, c.status) for c in plan.changes] == [
        (demo.actions[0].id, "done"), (demo.actions[1].id, "dropped")]
    assert plan.changes[0].at == datetime(2026, 12, 9, 10, tzinfo=UTC)
    gitlab = ("Issue ID,URL,Title,State,Description,Closed At (UTC)\r\n"
              f'7,u,t,Closed,"{mark[3]}",2026-12-09 08:00:00\r\n')
    (change,) = plan_sync(gitlab, "gitlab.csv", demo, NOW).changes
    assert (change.status, change.at) == ("done", datetime(2026, 12, 9, 8, tzinfo=UTC))
    was_done = demo.actions[0].model_copy(update={"status": "done"})
    session = demo.model_copy(update={"actions": [was_done]})
    (change,) = plan_sync(linear.replace("Done", "Todo", 1), "linear.csv", session, NOW).changes
    assert (change.status, change.at) == ("open", NOW)
    assert change.note.startswith("reopened: ENG-0 in linear.csv: Todo")


def test_a_ticket_reopened_in_the_tracker_does_not_reopen_an_eighth_action(demo):
    """The method's limit holds however actions are reopened: past seven open, a reopening is
    said, not made; a ticket closed in the same export makes room first."""
    from pmconsole.exporters.tracker_sync import plan_sync

    done = [demo.actions[0].model_copy(update={"id": f"a-done-{n}", "status": "done"}) for n in range(2)]
    opened = [demo.actions[0].model_copy(update={"id": f"a-open-{n}", "status": "open"}) for n in range(7)]
    session = demo.model_copy(update={"actions": opened + done})
    rows = [f'{a.id},t,Todo,"pmconsole action: {a.id}"' for a in done]
    export = "Issue key,Summary,Status,Description\r\n" + "\r\n".join(rows) + "\r\n"
    plan = plan_sync(export, "jira.csv", session, NOW)
    assert plan.changes == [] and len(plan.refused) == 2
    assert "a-done-0: not reopened" in plan.refused[0] and "7 actions" in plan.refused[0]
    closing = export + f'X,t,Done,"pmconsole action: {opened[0].id}"\r\n'
    plan = plan_sync(closing, "jira.csv", session, NOW)
    assert [(c.action.id, c.status) for c in plan.changes] == [
        ("a-open-0", "done"), ("a-done-0", "open")]
    assert len(plan.refused) == 1


def test_a_sync_refuses_at_its_commit_an_eighth_action_opened_meanwhile(demo):
    """The plan was made from the session as read; a console opened actions before the commit.
    The store's guard checks the plan against the session as it is then: refused whole."""
    from pmconsole.exporters.tracker_sync import SyncRefused, plan_sync, within_the_open_limit

    done = demo.actions[0].model_copy(update={"id": "a-done", "status": "done"})
    opened = [demo.actions[0].model_copy(update={"id": f"a-open-{n}", "status": "open"})
              for n in range(6)]
    read = demo.model_copy(update={"actions": opened + [done]})
    export = f'K,t,Todo,"pmconsole action: {done.id}"\r\n'
    plan = plan_sync("Issue key,Summary,Status,Description\r\n" + export, "jira.csv", read, NOW)
    assert [(c.action.id, c.status) for c in plan.changes] == [("a-done", "open")]
    guard = within_the_open_limit(plan, "demo.toml")
    guard(read)  # as read: within the limit
    seventh = demo.actions[0].model_copy(update={"id": "a-open-6", "status": "open"})
    now = read.model_copy(update={"actions": [*read.actions, seventh]})
    with pytest.raises(SyncRefused, match="past the method's limit of 7; nothing changed"):
        guard(now)


@pytest.mark.parametrize("content, says", [
    ("Name,Owner\r\nx,y\r\n", ":1: no Description (or Body) and Status (or State) column"),
    ("Summary,Status,Description\r\n"
     "a,Done,pmconsole action: a-config-keys\r\nb,Done,pmconsole action: a-config-keys\r\n",
     ":3: the row names a-config-keys again (first on line 2)"),
    ("Summary,Status,Description\r\na,Done,pmconsole action: a-elsewhere\r\n",
     ": no row names an action of this session"),
    ("", ": empty"),
    (b"Summary,Status,Description\r\n\xff\xfe,Done,x\r\n", ": not UTF-8 text"),
])
def test_a_tracker_export_that_cannot_be_used_changes_nothing(tmp_path, capsys, content, says):
    path = _synced_session(tmp_path)
    before = path.read_bytes()
    export_file = tmp_path / "export.csv"
    if isinstance(content, bytes):
        export_file.write_bytes(content)
    else:
        export_file.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "actions", "sync", path, export_file)
    assert code == 2 and out == ""
    assert one_line(err).startswith(f"pmconsole: {export_file}{says}"), err
    assert path.read_bytes() == before
    assert not path.with_name(path.name.removesuffix(".toml") + ".pmlog").exists()
    code, _, err = run(capsys, "actions", "sync", path, tmp_path / "missing.csv")
    assert code == 2 and "missing.csv" in one_line(err)


def test_sync_for_the_whole_log_finds_each_tickets_post_mortem(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "sessions"
    folder.mkdir()
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    demo = load_session(DEMO)
    first = folder / "first.toml"
    first.write_bytes(DEMO.read_bytes())
    # A second post-mortem with actions of its own ids, and one id the first also has.
    other = demo.model_copy(update={
        "incident": demo.incident.model_copy(update={"title": "Another incident"}),
        "actions": [demo.actions[0].model_copy(update={"id": "a-elsewhere"}), demo.actions[1]],
    })
    from session_files import save_session

    save_session(folder / "second.toml", other)
    rows = [["K-1", "Done", f"x\npmconsole action: {demo.actions[2].id}"],
            ["K-2", "Done", "x\npmconsole action: a-elsewhere"],
            ["K-3", "Done", f"x\npmconsole action: {demo.actions[1].id}"]]
    export_file = _tracker_export(tmp_path / "t.csv", ["Key", "Status", "Description"], rows)
    code, out, err = run(capsys, "actions", "sync", "--log", export_file)
    assert code == 0, err
    assert f"K-3 names {demo.actions[1].id}, an action of 2 post-mortems" in err
    assert out.splitlines()[-1] == "2 changed, 0 as they were, 1 row not matched"
    assert [a.status for a in load_session(first).actions] == ["open", "open", "done", "open"]
    assert [a.status for a in load_session(folder / "second.toml").actions] == ["done", "open"]
    code, _, err = run(capsys, "actions", "sync", export_file)
    assert code == 2 and "FILE EXPORT.csv, or --log EXPORT.csv" in one_line(err)
