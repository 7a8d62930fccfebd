"""`pmconsole review`: the two-week review records each action's status with a note in its
history, marks the review as held (`followup.review` then holds), writes the progress report
beside the session, and the published site shows it."""

from __future__ import annotations

import builtins
import sys
from datetime import date, datetime, timezone

import pytest

from conftest import one_line, run
from pmconsole.domain.rules import LogFacts, check
from session_files import load_session, save_session

UTC = timezone.utc
AFTER_DUE = datetime(2024, 3, 25, 12, 0, tzinfo=UTC)  # the review was due on 2024-03-20
HOSTILE = '<script>alert("pm")</script> | **bold** [x](javascript:alert(1))'


def followup_findings(path):
    return [f for f in check(load_session(path), LogFacts(), AFTER_DUE) if f.rule == "followup.review"]


def test_a_scripted_review_records_statuses_notes_and_holds_the_rule(write_session, capsys):
    path = write_session()
    assert followup_findings(path)  # due five days ago, three actions open
    code, out, err = run(capsys, "review", path, "--status", "a-1=done", "--note", f"a-1={HOSTILE}",
                         "--status", "a-3=dropped", "--note", "a-2=waiting on the vendor",
                         "--now", AFTER_DUE.isoformat())
    assert (code, err) == (0, "")
    session = load_session(path)
    assert session.followup_review_held == date(2024, 3, 25)
    status = {a.id: a.status for a in session.actions}
    assert status == {"a-1": "done", "a-2": "open", "a-3": "dropped"}
    last = {a.id: a.history[-1] for a in session.actions}
    assert (last["a-1"].status, last["a-1"].note, last["a-1"].at) == ("done", HOSTILE, AFTER_DUE)
    assert (last["a-2"].status, last["a-2"].note) == ("open", "waiting on the vendor")
    assert all(len(a.history) == 2 for a in session.actions)  # the agreed entry, the review's
    assert followup_findings(path) == []
    assert "1 done, 1 still open, 1 dropped" in out

    markdown = (path.parent / "incident.review.md").read_text("utf-8")
    assert "Held on 2024-03-25" in markdown and "waiting on the vendor" in markdown
    assert "| still open (5 days overdue) |" in markdown and "\\*\\*bold\\*\\*" in markdown and "\\| \\*\\*" in markdown
    html = (path.parent / "incident.review.html").read_text("utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "waiting on the vendor" in html


def test_the_review_asks_on_a_terminal_and_records_nothing_when_input_ends(
        write_session, capsys, monkeypatch):
    path = write_session()
    before = path.read_bytes()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["x", "d", "merged in #412", "", ""])  # a wrong key, then a-1, a-2; ends at a-3

    def typed(prompt: str = "") -> str:
        print(prompt, end="")
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", typed)
    code, out, err = run(capsys, "review", path, "--now", AFTER_DUE.isoformat())
    assert code == 2 and "nothing was recorded" in one_line(err)
    assert "type d, o or r" in out and "[3/3]" in out and "5 days overdue" in out
    assert path.read_bytes() == before
    assert load_session(path).followup_review_held is None

    def interrupted(prompt: str = "") -> str:
        raise KeyboardInterrupt  # Ctrl+C at a question

    monkeypatch.setattr(builtins, "input", interrupted)
    code, out, err = run(capsys, "review", path, "--now", AFTER_DUE.isoformat())
    assert code == 130 and "nothing was recorded" in one_line(err)
    assert path.read_bytes() == before

    monkeypatch.setattr(builtins, "input", typed)
    answers = iter(["d", "merged in #412", "", "", "r", "replaced by a-1"])
    code, out, err = run(capsys, "review", path, "--now", AFTER_DUE.isoformat())
    assert (code, err) == (0, "")
    session = load_session(path)
    assert [a.status for a in session.actions] == ["done", "open", "dropped"]
    assert [a.history[-1].note for a in session.actions] == ["merged in #412", "", "replaced by a-1"]
    assert followup_findings(path) == []


def test_a_status_and_its_note_typed_on_one_line_are_both_kept(write_session, capsys, monkeypatch):
    path = write_session()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    # a-1's status and note on one line; a-2 still open with its note; a-3 dropped, note asked
    answers = iter(["d merged in #412", "still open: waiting on the vendor", "r", "replaced by a-1"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    code, out, err = run(capsys, "review", path, "--now", AFTER_DUE.isoformat())
    assert (code, err) == (0, "")
    session = load_session(path)
    assert [a.status for a in session.actions] == ["done", "open", "dropped"]
    assert [a.history[-1].note for a in session.actions] == [
        "merged in #412", "waiting on the vendor", "replaced by a-1"]
    assert "  note: merged in #412" in out


def test_review_all_walks_every_open_action_of_the_log(tmp_path, make_session, make_action, capsys):
    folder = tmp_path / "sessions"
    folder.mkdir()
    save_session(folder / "one.toml", make_session())
    save_session(folder / "two.toml", make_session(actions=[make_action(id="b-1")]))
    closed = make_session(actions=[make_action(id="c-1", status="done")])
    save_session(folder / "closed.toml", closed)
    (folder / "broken.toml").write_text("incident = [\n")
    code, out, err = run(capsys, "--sessions-dir", folder, "review", "--all",
                         "--status", "b-1=done", "--status", "a-2=done",
                         "--now", AFTER_DUE.isoformat())
    assert code == 0 and "broken.toml" in err and "not reviewed" in err
    assert load_session(folder / "two.toml").actions[0].status == "done"
    assert [a.status for a in load_session(folder / "one.toml").actions] == ["open", "done", "open"]
    assert load_session(folder / "closed.toml").followup_review_held is None  # nothing open
    assert not (folder / "closed.review.md").exists()
    assert "one.toml: review held" in out and "two.toml: review held" in out


@pytest.mark.parametrize("args, says", [
    (["--status", "a-9=done"], "no action item with id 'a-9'"),
    (["--status", "a-1=finished"], "'finished' is not a status"),
    (["--note", "a-1"], "write it as ID=VALUE"),
    ([], "not on a terminal"),
    (["--all"], "name one session FILE, or --all"),
])
def test_bad_review_input_is_one_line_and_changes_nothing(write_session, capsys, args, says):
    path = write_session()
    before = path.read_bytes()
    code, _, err = run(capsys, "review", path, *args)
    assert code == 2 and says in one_line(err)
    assert path.read_bytes() == before


def test_the_site_shows_the_review_beside_the_post_mortem(tmp_path, make_session, capsys):
    from pmconsole.publish.site import publish

    (tmp_path / "sessions").mkdir()
    path = tmp_path / "sessions" / "incident.toml"
    save_session(path, make_session())
    out = tmp_path / "site"
    publish(path.parent, out, now=AFTER_DUE, search_index=False)
    page = (out / "pm" / "incident.html").read_text("utf-8")
    assert "Two-week review" not in page
    run(capsys, "review", path, "--status", "a-1=done", "--note", "a-1=rolled out to every region",
        "--now", AFTER_DUE.isoformat())
    report = publish(path.parent, out, now=AFTER_DUE, search_index=False)
    assert report.rebuilt == ["incident.toml"]
    page = (out / "pm" / "incident.html").read_text("utf-8")
    assert "Two-week review" in page and "Held on 2024-03-25" in page
    assert "rolled out to every region" in page and "1 done, 2 still open, 0 dropped" in page


async def test_the_start_of_a_post_mortem_shows_the_related_ones_open_actions(tmp_path, make_session):
    from snapshot_app import console, demo_copy
    from pmconsole.storage.log_index import Hit
    from pmconsole.tui.screens.log import PastPostMortem
    from pmconsole.tui.widgets.related import RelatedList

    past = tmp_path / "past.toml"
    save_session(past, make_session())
    app = console(demo_copy(tmp_path))
    app.consult_log = lambda: None  # the log's answer given by hand
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app._log_consulted(None, [Hit(
            path=str(past), title="Checkout outage", severity="SEV2",
            started_at="2024-03-04T09:10:00+00:00", tags=("checkout",),
            open_actions=(("a-2", "Add the failover step [bold]", "Sam", "2024-03-20"),))])
        await pilot.pause()
        related = app.screen.query_one(RelatedList)
        assert related.row_count == 2
        assert str(related.get_row_at(1)[1]) == (
            "  open action: Add the failover step [bold] (Sam, due 2024-03-20)")
        related.focus()
        related.move_cursor(row=1)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PastPostMortem) and app.screen.path == past
        await app.screen.workers.wait_for_complete()  # read in a thread
        await pilot.pause()
        shown = str(app.screen.query_one("#past").render())
        assert load_session(past).incident.title in shown and "Contributing factors" in shown
