"""Hostile text everywhere user text goes: one table of strings, walked through the model, the
TOML file and the live log, the command line, every export, the console's screens and its
notifications, and the importers.

What the code does, and these tests hold it to:

- The model neither refuses hostile text nor keeps it all: every free-text field goes through
  the one cleaner of user text (``text.clean_text``) as it is validated, whether the text comes
  from the command line, a console field, the live log, an import or a hand-edited TOML file:
  terminal control sequences (CSI, OSC 8 links, OSC 52 clipboard writes, bare ESC), control
  characters other than tab and newline (a carriage return becomes a newline), bidi overrides
  and invisible format characters go. Markup, HTML, formulas, pipes and 10,000-character strings
  are kept exactly as typed. (The tests accept either "kept exactly" or "cleaned by deletion
  only", never a refusal.)
- The TOML file and the live log round-trip what the model keeps; TOML writes any control
  character as an escape, never raw.
- Exports are inert (md, html, csv, ics cleaned and escaped; json escaped), the console shows
  markup literally and sends no escape to the terminal, the importers clean what they read.

Strict xfails mark what does not hold yet (see their reasons).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import MEETING, MEETING_DAY, NOW, NOW_TEXT, RESOLVED, run
from pmconsole.exporters import export
from pmconsole.importers import import_timeline
from pmconsole.domain.model import (
    ContributingFactor,
    Evidence,
    Feedback,
    Participant,
    Session,
    StepNote,
    TimelineEvent,
)
from pmconsole.domain.ops import set_op
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.session_store import SessionStore
from session_files import load_session, save_session
from snapshot_app import MEETING_TIME, console, demo_copy
from typing_helpers import answer

# -- the table -------------------------------------------------------------------------------------

MARKUP = {
    "markup-bold": "[bold]x[/]",
    "markup-click": "[@click=app.quit]x[/]",
    "markup-link": "[link=file:///etc/passwd]x[/link]",
    "markup-unmatched": "[/]",
}
ESCAPES = {
    "csi": "\x1b[31mred\x1b[0m",
    "osc8": "\x1b]8;;http://evil\x07link\x1b]8;;\x07",
    "osc52": "\x1b]52;c;ZXZpbA==\x07",
    "bare-esc": "\x1b",
    "bel": "\x07",
    "nul": "\x00",
}
OTHER = {
    "html-script": "<script>alert(1)</script>",
    "md-link": "](javascript:alert(1))",
    "csv-hyperlink": '=HYPERLINK("http://x")',
    "csv-plus": "+1",
    "csv-minus": "-2",
    "csv-at": "@SUM(A1)",
    "md-pipes": "| a | b |",
    # Not in the list: a line break that tries to start a property of its own in ICS.
    "ics-crlf": "x\r\nX-INJECTED:1\r\nBEGIN:VALARM",
}
LONG = {"long-10k": "x" * 10_000, "rtl-override": "\u202e"}
ALL = {**MARKUP, **ESCAPES, **OTHER, **LONG}
HOSTILE = [pytest.param(text, id=name) for name, text in ALL.items()]

# What must never reach a terminal raw: C0 controls except tab and newline, DEL and C1 controls
# (CSI, OSC... as 8-bit characters).
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ESC_OR_BEL = re.compile(r"[\x1b\x07]")


def has_escape(text: str) -> bool:
    """Whether the text holds something the cleaner takes out (an escape, a control character,
    a carriage return, a bidi override)."""
    return any(c in text for c in "\x1b\x07\x00\r\u202e")




def bug_if(condition: bool, reason: str, **kw):
    return [pytest.mark.xfail(strict=True, reason=reason, **kw)] if condition else []


def fill(session: Session, text: str) -> Session:
    """Put ``text`` into every free-text field of the session."""
    session.incident.title = text
    session.incident.tags = [text, "plain"]
    session.question.text = text
    session.meeting.statement = text
    session.meeting.late_reason = text
    session.summary = text
    session.participants[0].name = text
    session.participants[0].role = text
    session.evidence[0].reference = text
    session.evidence[0].submitted_by = text
    for event in session.timeline:
        event.text = text
        event.source = text
    for factor in session.factors:
        factor.text = text
    for action in session.actions:
        action.title = action.owner = action.criterion = action.description = text
        action.due_reason = text
    session.feedback = [Feedback(id="fb-1", rating=3, comment=text, unsaid=text)]
    session.notes = [StepNote(id="5", text=text)]
    return session


# -- (a) the TOML file and the live log ------------------------------------------------------------


def as_stored(text: str) -> str:
    """What the model keeps of a text field (it validates on assignment)."""
    return TimelineEvent(at=RESOLVED, text=text).text


def is_kept_or_cleaned(stored: str, text: str) -> bool:
    """Either exactly the text, or the text with characters removed (never added or changed)
    and nothing left that could drive a terminal."""
    if stored == text:
        return True
    rest = iter(text)
    return all(c in rest for c in stored) and not RAW_CONTROL.search(stored.replace("\r", ""))


@pytest.mark.parametrize("text", HOSTILE)
def test_the_model_keeps_hostile_text_or_cleans_it_never_refuses_it(text):
    stored = as_stored(text)
    assert is_kept_or_cleaned(stored, text), repr(stored[:80])
    if not has_escape(text):
        assert stored == text  # markup, HTML, formulas, pipes, 10,000 chars: as typed


# Sequences the three cleaners of user text (the model's, the exports', the importers') once
# removed differently, before there was one: 8-bit forms, parameters left behind, strings with no end.
SEQUENCES = {
    "csi-8bit": ("a\x9b31mb", "ab"),
    "csi-unfinished": ("a\x1b[31", "a"),
    "charset": ("a\x1b(Bb", "ab"),
    "osc-unterminated": ("a\x1b]0;title", "a"),
    "osc-8bit": ("a\x9d8;;http://x\x9cb", "ab"),
    "dcs-st": ("a\x1bPq#0\x1b\\b", "ab"),
}


@pytest.mark.parametrize("text, kept", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_the_model_the_exports_and_the_importers_remove_the_same_sequences(text, kept):
    from pmconsole.importers import imported_text
    from pmconsole.domain.text import clean_text

    assert clean_text(text) == as_stored(text) == imported_text(text) == kept


@pytest.mark.parametrize("text", HOSTILE)
def test_the_toml_file_round_trips_hostile_text_and_never_holds_it_raw(
    text, make_session, tmp_path
):
    session = fill(make_session(), text)
    assert session.incident.title == session.timeline[0].text == as_stored(text)
    path = tmp_path / "incident.toml"
    save_session(path, session)
    data = path.read_bytes()
    # Written as TOML escapes (\u001B), so `cat incident.toml` is safe too.
    assert not RAW_CONTROL.search(data.decode("utf-8").replace("\r", ""))
    assert load_session(path) == session


@pytest.mark.parametrize("text", HOSTILE)
def test_the_live_log_round_trips_hostile_text(text, write_session):
    path = write_session()
    store = SessionStore(path, role="script")
    store.edit(
        set_op("incident", "title", text),
        set_op("session", "summary", text),
        set_op("timeline", "text", text, "e-major"),
        set_op("actions", "owner", text, "a-1"),
    )
    stored = as_stored(text)
    assert store.session.incident.title == stored
    store.close()
    for session in (read_snapshot(path), load_session(path)):
        assert session.incident.title == stored and session.summary == stored
        assert session.timeline[0].text == stored and session.actions[0].owner == stored


# -- (b) the command line --------------------------------------------------------------------------




@pytest.mark.parametrize("text", HOSTILE)
def test_cli_edits_take_hostile_text_without_a_traceback(text, tmp_path, capsys):
    path = tmp_path / "incident.toml"
    code, out, err = run(
        capsys, "new", path, "--title", text,
        "--incident-start", (RESOLVED - timedelta(hours=1)).isoformat(),
        "--incident-end", RESOLVED.isoformat(), "--meeting", MEETING.isoformat(),
    )
    assert code in (0, 2), err
    assert "Traceback" not in err
    assert not ESC_OR_BEL.search(out + err)
    if code != 0:  # refused: one line, and no file
        assert err.count("\n") == 1 and not path.exists()
        return
    assert load_session(path).incident.title == as_stored(text)

    code, out, err = run(
        capsys, "timeline", "add", path, "--at", (RESOLVED - timedelta(minutes=30)).isoformat(),
        "--kind", "observation", "--text", text, "--source", text,
    )
    assert code in (0, 2) and "Traceback" not in err
    assert not ESC_OR_BEL.search(out + err)
    if code == 0:
        event = next(e for e in load_session(path).timeline if e.id == out.strip())
        assert (event.text, event.source) == (as_stored(text), as_stored(text))

    code, out, err = run(
        capsys, "action", "add", path, "--title", text, "--owner", text, "--criterion", text,
        "--due", (MEETING_DAY + timedelta(days=14)).isoformat(), "--description", text,
    )
    assert code in (0, 1, 2) and "Traceback" not in err
    assert not ESC_OR_BEL.search(out + err)
    if code == 0:
        action = next(a for a in load_session(path).actions if a.id == out.strip())
        assert (action.title, action.owner, action.criterion) == (as_stored(text),) * 3
        code, out, err = run(capsys, "action", "done", path, action.id, "--note", text)
        assert code == 0 and not ESC_OR_BEL.search(out + err)


def quoting_session(make_session, make_action, text: str) -> Session:
    """A session whose `check` findings quote the text: an interpretation marked as fact on a
    major event, and an action with no owner."""
    session = make_session()
    session.incident.title = text
    session.incident.tags = ["hostile"]
    session.timeline.append(
        TimelineEvent(id="e-hostile", at=RESOLVED - timedelta(minutes=20), kind="decision",
                      text=f"probably {text}", major=True, source=text)
    )
    session.actions.append(make_action(id="a-hostile", title=text, owner=""))
    session.actions.append(make_action(id="a-owner", title="Own it", owner=text))
    return session


@pytest.mark.parametrize(
    "text",
    [pytest.param(p.values[0], id=p.id,
                  marks=())
     for p in HOSTILE],
)
def test_cli_output_that_quotes_user_text_has_no_raw_control_characters(
    text, make_session, make_action, tmp_path, capsys, monkeypatch
):
    folder = tmp_path / "sessions"
    folder.mkdir()
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    path = folder / "incident.toml"
    save_session(path, quoting_session(make_session, make_action, text))
    outputs = []
    for args in (
        ["check", path, "--now", NOW_TEXT],
        ["check", path, "--now", NOW_TEXT, "--json"],
        ["log", "search"],
        ["log", "search", "probably"],
        ["log", "search", "--json"],
        ["actions", "--now", NOW_TEXT],
        ["actions", "--now", NOW_TEXT, "--json"],
    ):
        code, out, err = run(capsys, *args)
        assert code in (0, 1), (args, err)
        assert "Traceback" not in err
        outputs.append(out + err)
    shown = "".join(outputs)
    assert "probably" in shown  # the quoting did happen
    assert not RAW_CONTROL.search(shown), repr(RAW_CONTROL.search(shown))


OSC52 = "\x1b]52;c;ZXZpbA==\x07\x1b[31m"


def hostile_folder(folder: Path, make_session) -> tuple[Path, Path, Path]:
    """A sessions folder with a session file whose name is hostile, one with a hostile TOML key
    and one with a hostile action id."""
    folder.mkdir(exist_ok=True)
    named = folder / f"{OSC52}named.toml"
    save_session(named, make_session())
    text = named.read_text(encoding="utf-8")
    keyed = folder / "keyed.toml"
    keyed.write_text(text.replace("[meeting]\n", '[meeting]\n"\\u001b]52;c;ZXZpbA==\\u0007'
                                  '\\u001b[31mKEY" = 1\n'), encoding="utf-8")
    with_id = folder / "with-id.toml"
    with_id.write_text(text.replace('id = "a-1"', 'id = "\\u001b]52;c;ZXZpbA==\\u0007a-1"'),
                       encoding="utf-8")
    return named, keyed, with_id


@pytest.mark.parametrize("source", ["file-name", "toml-key", "record-id"])
def test_hostile_file_names_keys_and_ids_are_not_printed_raw(
    source, tmp_path, make_session, capsys, monkeypatch
):
    folder = tmp_path / "sessions"
    named, keyed, with_id = hostile_folder(folder, make_session)
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(folder))
    commands, marker = {
        "file-name": ([["log", "search"], ["actions", "--now", NOW_TEXT]], "named.toml"),
        "toml-key": ([["check", keyed, "--now", NOW_TEXT], ["log", "search"]], "KEY"),
        "record-id": ([["action", "done", with_id, "a-nope"], ["actions", "--now", NOW_TEXT]],
                      "a-1"),
    }[source]
    for args in commands:
        code, out, err = run(capsys, *args)
        assert "Traceback" not in err
        assert marker in out + err  # it was reported, so the check below looks at real output
        assert not RAW_CONTROL.search(out + err), (args, (out + err)[:300])


async def test_hostile_file_names_and_keys_are_not_shown_raw_in_the_picker(tmp_path,
                                                                           make_session):
    folder = tmp_path / "sessions"
    hostile_folder(folder, make_session)
    app = console(None, sessions_dir=folder)
    async with app.run_test(size=(220, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "named.toml" in text and "unreadable" in text
        assert not re.search(r"[\x1b\x07]", text)


# -- (c) every export ------------------------------------------------------------------------------

ICS_PROPERTIES = {"BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "UID", "DTSTAMP",
                  "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "TRANSP", "SEQUENCE",
                  "LAST-MODIFIED", "STATUS", "ATTENDEE", "ACTION", "TRIGGER",
                  "X-PMCONSOLE-DIGEST"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_every_export_is_inert(text, make_session):
    session = fill(make_session(), text)
    docs = {fmt: export(session, fmt, now=NOW) for fmt in ("md", "html", "json", "ics", "csv")}

    for fmt in ("md", "html", "csv", "ics"):
        assert not RAW_CONTROL.search(docs[fmt].replace("\r\n", "\n")), fmt

    md = docs["md"]
    assert not re.search(r"(?<!\\)<script", md)
    assert not re.search(r"(?<!\\)\]\(javascript", md)
    for line in md.splitlines():  # a table row keeps its columns: user pipes are escaped
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) in (3, 4, 5), line

    page = docs["html"]
    assert not re.search(r"<\s*script", page, re.IGNORECASE)
    assert "javascript:" not in page.replace("](javascript:", "")  # only as escaped text
    assert "<a " not in page and "href" not in page
    if text in MARKUP.values() or text == OTHER["md-pipes"]:
        assert html.escape(text, quote=True) in page

    data = json.loads(docs["json"])
    assert not ESC_OR_BEL.search(docs["json"])
    assert Session.model_validate(data) == session  # JSON keeps the text as the model has it

    rows = list(csv.reader(io.StringIO(docs["csv"])))
    assert len(rows) == 1 + len(session.actions)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell[:40]
        title = rows[1][0]
        if not has_escape(text):
            assert title in (text, "'" + text)

    from icalendar import Calendar

    ics = docs["ics"]
    unfolded = ics.replace("\r\n ", "")
    for line in unfolded.split("\r\n")[:-1]:
        name = re.split(r"[;:]", line, maxsplit=1)[0]
        assert name in ICS_PROPERTIES, f"injected property line: {line[:60]!r}"
    calendar = Calendar.from_ical(ics)
    for event in calendar.walk("VEVENT"):
        assert set(event.keys()) <= ICS_PROPERTIES
        assert not RAW_CONTROL.search(str(event.get("SUMMARY")))


# -- (e) an import of hostile rows -----------------------------------------------------------------


def hostile_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["time", "text", "source"])
        for i, (name, text) in enumerate(ALL.items()):
            at = RESOLVED - timedelta(minutes=45) + timedelta(minutes=i)
            writer.writerow([at.isoformat(), f"{name} {text}", f"src {text}"])
    return path


def test_an_import_cleans_hostile_rows_and_keeps_markup_literally(make_session, tmp_path):
    result = import_timeline(hostile_csv(tmp_path / "hostile.csv"), make_session())
    assert len(result.events) == len(ALL) and not result.problems
    by_name = {e.text.split(" ", 1)[0]: e for e in result.events}
    for name, text in ALL.items():
        event = by_name[name]
        for value in (event.text, event.source):
            assert not RAW_CONTROL.search(value)
            assert "\u202e" not in value
        if name in MARKUP or name in ("html-script", "md-link", "csv-hyperlink", "md-pipes"):
            assert event.text == f"{name} {text}"  # not markup to the importer: kept as typed
    assert by_name["csi"].text == "csi red"
    assert by_name["osc8"].text == "osc8 link"
    assert by_name["osc52"].text == "osc52"


def test_the_cli_import_of_hostile_rows_prints_nothing_raw(write_session, tmp_path, capsys):
    path = write_session()
    code, out, err = run(capsys, "import", path, hostile_csv(tmp_path / "hostile.csv"))
    assert code == 0, err
    assert not RAW_CONTROL.search(out + err)
    for event in load_session(path).timeline:
        assert not RAW_CONTROL.search(event.text + event.source)


# -- (d) the console -------------------------------------------------------------------------------


class RawEscapeOnScreen(AssertionError):
    """A raw ESC, BEL or NUL in what the terminal would be sent."""


def screen_text(app) -> str:
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def flat(text: str) -> str:
    """Text with borders (block and box-drawing characters) and line wrapping taken out: a long
    value wrapped over lines in a panel still reads as one."""
    return " ".join(re.sub(r"[\u2500-\u259f]", " ", text).split())


class Walk:
    """What the walk saw: raw escapes are collected, not raised, so that every screen is still
    visited and checked for being alive and for literal markup."""

    def __init__(self, app, literal: list[str]) -> None:
        self.app = app
        self.literal = literal
        self.raw: list[str] = []

    async def look(self, pilot, where: str, *, literal: bool = True) -> str:
        await pilot.pause()
        assert self.app.is_running, f"the app stopped at {where}"
        needles = [flat(n) for n in self.literal] if literal else []
        for _ in range(20):  # a table sizes its columns on the refresh after its rows arrive
            text = screen_text(self.app)
            if all(n in flat(text) for n in needles):
                break
            await pilot.pause(0.05)
        if found := re.search(r"[\x1b\x07\x00]", text):
            self.raw.append(f"{where}: {found.group()!r}")
        shown = flat(text)
        for needle, original in zip(needles, self.literal):
            assert needle in shown, f"{original!r} not shown literally at {where}"
        assert self.app.is_running, f"the app stopped at {where}"
        return text

    def no_raw_escapes(self) -> None:
        if self.raw:
            raise RawEscapeOnScreen("; ".join(self.raw))


def hostile_demo(folder: Path, texts: list[str], name: str = "demo.toml") -> Path:
    """The demo session with ``texts`` (joined) in every place user text is shown."""
    path = demo_copy(folder, name)
    s = " ".join(texts)
    session = load_session(path)
    session.incident.title = f"T {s}"
    session.incident.tags = [*session.incident.tags, "hostile"]
    session.question.text = f"Q {s}?"
    session.meeting.statement = f"S {s}"
    session.summary = f"Summary {s}"
    session.participants.insert(0, Participant(id="p-hostile", name=f"P {s}", seniority="junior"))
    session.evidence.insert(0, Evidence(reference=f"R {s}", submitted_by=f"B {texts[0]}",
                                        submitted_at=MEETING_TIME))
    event = TimelineEvent(at=session.incident.started_at, text=f"E {s}", source=f"src {s}",
                          major=True)
    session.timeline.insert(0, event)
    session.factors.insert(0, ContributingFactor(text=f"F {s}", category="tooling",
                                                 event_ids=[event.id]))
    session.actions[0].title = f"A {s}"
    session.actions[0].owner = f"O {s}"
    session.actions[0].criterion = f"C {s} within 5 min"
    session.notes = [StepNote(id=str(n), text=f"N {s}") for n in range(1, 9)]
    session.feedback = [Feedback(rating=4, comment=f"W {s}", unsaid=f"U {s}")]
    save_session(path, session)
    return path


GROUPS = {
    "markup": (list(MARKUP.values()), True),
    "other": ([t for n, t in OTHER.items() if n != "ics-crlf"], True),
    "escapes": (list(ESCAPES.values()), False),
    "long-and-rtl": (list(LONG.values()), False),
}


GROUP_NAMES = list(GROUPS)


@pytest.mark.parametrize("group", GROUP_NAMES)
async def test_the_facilitator_console_shows_hostile_text_literally_on_every_step(group, tmp_path):
    texts, literal = GROUPS[group]
    path = hostile_demo(tmp_path, texts)
    hostile_demo(tmp_path, texts, "other.toml")  # a related post-mortem for the wrap-up
    s = " ".join(texts)
    app = console(path, sessions_dir=tmp_path)
    async with app.run_test(size=(220, 70)) as pilot:
        walk = Walk(app, [])

        def expect(*needles: str) -> None:
            walk.literal = list(needles) if literal else []

        expect(f"T {s}", f"P {s}", f"Q {s}?")
        await walk.look(pilot, "step 1")
        for step in range(2, 9):
            await pilot.press("f4")
            assert app.meeting.step == step, f"could not move to step {step}"
            expect(*{
                2: [f"Q {s}?"],
                3: [f"S {s}", f"P {s}"],
                4: [f"R {s}", f"Summary {s}"],
                5: [f"E {s}"],
                6: [],  # the hostile event is chosen below
                7: [f"A {s}"],
                8: [f"W {s}", f"U {s}"],
            }[step])
            if step == 8:
                await app.workers.wait_for_complete()  # the related post-mortems
            await walk.look(pilot, f"step {step}")
        if literal:
            assert f"T {s}" in screen_text(app)  # the related post-mortem's title
        # Step 6 with the hostile event chosen: its factor in full.
        await pilot.press("f3", "f3")
        events = app.screen.query_one("#events")
        majors = [e.id for e in app.store.session.major_events()]
        events.highlighted = majors.index(app.store.session.factors[0].event_ids[0])
        expect(f"E {s}", f"F {s}")
        await walk.look(pilot, "step 6, hostile event chosen")
        # Step 7: the action's owner and criterion in its detail line.
        await pilot.press("f4")
        table = app.screen.query_one("#step-7 DataTable")
        table.move_cursor(row=0)
        expect(f"A {s}", f"O {s}")
        await walk.look(pilot, "step 7, hostile action chosen")
        assert app.is_running
    walk.no_raw_escapes()


@pytest.mark.parametrize("group", GROUP_NAMES)
async def test_the_notes_pane_shows_hostile_text_literally(group, tmp_path):
    texts, literal = GROUPS[group]
    path = hostile_demo(tmp_path, texts)
    s = " ".join(texts)
    app = console(path, role="notes")
    async with app.run_test(size=(220, 70)) as pilot:
        walk = Walk(app, [f"Q {s}?", f"N {s}"] if literal else [])
        await walk.look(pilot, "notes F6")
        for key, needles in (("f7", [f"E {s}"]), ("f8", [f"E {s}", f"F {s}"]),
                             ("f9", [f"A {s}", f"O {s}"])):
            await pilot.press(key)
            walk.literal = needles if literal else []
            await walk.look(pilot, f"notes {key}")
    walk.no_raw_escapes()


@pytest.mark.parametrize("group", GROUP_NAMES)
async def test_the_picker_log_and_review_show_hostile_text_literally(group, tmp_path):
    texts, literal = GROUPS[group]
    hostile_demo(tmp_path, texts)
    s = " ".join(texts)
    app = console(None, sessions_dir=tmp_path)
    async with app.run_test(size=(220, 70)) as pilot:
        await app.workers.wait_for_complete()
        walk = Walk(app, [f"T {s}"] if literal else [])
        await walk.look(pilot, "picker")
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one("#query").value = "hostile OR payments"
        await pilot.pause()
        await app.workers.wait_for_complete()
        walk.literal = [f"T {s}"] if literal else []
        await walk.look(pilot, "log screen")
        # The snippet of the highlighted hit holds the event text around the match.
        app.screen.query_one("#query").value = "Summary"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await walk.look(pilot, "log screen, snippet", literal=False)
        app.screen.query_one("#hits").focus()
        await pilot.press("enter")  # the past post-mortem in brief
        # (Its first lines share the screen with the table behind: check the lines below.)
        walk.literal = [f"F {s}", f"A {s}", f"O {s}"] if literal else []
        await walk.look(pilot, "past post-mortem")
        await pilot.press("escape", "escape", "r")
        await app.workers.wait_for_complete()
        walk.literal = [f"O {s}"] if literal else []  # the action title is cut at the edge
        await walk.look(pilot, "follow-up review")
    walk.no_raw_escapes()


@pytest.mark.parametrize("group", GROUP_NAMES)
async def test_the_feedback_form_shows_the_hostile_title_literally(group, tmp_path):
    texts, literal = GROUPS[group]
    path = hostile_demo(tmp_path, texts)
    app = console(path, role="feedback")
    async with app.run_test(size=(220, 70)) as pilot:
        walk = Walk(app, [f"T {' '.join(texts)}"] if literal else [])
        await walk.look(pilot, "feedback form")
    walk.no_raw_escapes()


async def test_a_console_import_of_hostile_rows_is_cleaned_and_its_notices_are_literal(tmp_path):
    path = demo_copy(tmp_path)
    source = hostile_csv(tmp_path / "hostile.csv")
    missing = tmp_path / "[@click=app.quit]gone[/].csv"
    app = console(path)
    async with app.run_test(size=(220, 70)) as pilot:
        await pilot.press("f4", "f4", "f4")
        assert app.meeting.step == 4
        facts = app.screen.query_one("#step-4")
        before = len(app.store.session.timeline)
        facts._import(source, None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await answer(pilot, "y")  # the preview's question: import them
        await pilot.pause()
        timeline = app.store.session.timeline
        assert len(timeline) == before + len(ALL)
        for event in timeline:
            assert not RAW_CONTROL.search(event.text + event.source)
        assert any("events taken" in str(n.message) for n in app.told)
        facts._import(missing, None)  # refused: the notice names the file, never as markup
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        refused = list(app.told)[-1] if app.told else None
        assert refused is not None and f"{missing}: no such file" in str(refused.message)
        assert refused.markup is False
        assert not re.search(r"[\x1b\x07\x00]", screen_text(app))


# -- (f) one cleaner, at every entry point -------------------------------------------------------

# A carriage return draws what follows over the start of the row ("99:99 FAKE SPOOFED" as a row
# of its own); a bidi override shows text backwards; a zero width space hides in a word.
SPOOF = "real event\r99:99 FAKE SPOOFED \u202eevil\u202c \x1b[31mred\x1b[0m z\u200bw"
SPOOF_KEPT = "real event\n99:99 FAKE SPOOFED evil red zw"
# What must never reach a terminal or a stored field: every control character but newline and
# tab, bidi embeddings, overrides, isolates and marks, invisible format characters.
SPOOFING = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)


@pytest.mark.parametrize(
    "text, multi, one",
    [
        ("a\rb", "a\nb", "a b"),
        ("a\r\nb", "a\nb", "a b"),
        ("a\tb\nc", "a\tb\nc", "a b c"),
        ("a\u2028b\u2029c", "a\nb\nc", "a b c"),
        ("\u202eevil\u202c", "evil", "evil"),
        ("\u2066iso\u2069 \u200fmark\u200e \u061c", "iso mark ", "iso mark "),
        ("zero\u200bwidth\u2060joiner\ufeff", "zerowidthjoiner", "zerowidthjoiner"),
        ("del\x7f c1\x85", "del c1", "del c1"),
        ("emoji 👩\u200d💻 and \u200cnon-joiner", "emoji 👩\u200d💻 and \u200cnon-joiner",
         "emoji 👩\u200d💻 and \u200cnon-joiner"),
        (SPOOF, SPOOF_KEPT, SPOOF_KEPT.replace("\n", " ")),
    ],
)
def test_the_one_cleaner_of_user_text(text, multi, one):
    from pmconsole.domain.text import clean_text

    assert clean_text(text) == multi
    assert clean_text(text, multiline=False) == one


def test_the_model_cleans_every_text_field_by_the_same_rules(make_session):
    session = fill(make_session(), SPOOF)
    for value in (session.incident.title, session.summary, session.timeline[0].text,
                  session.actions[0].owner, session.feedback[0].comment, session.notes[0].text):
        assert value == SPOOF_KEPT
    assert session.incident.tags[0] == SPOOF_KEPT.lower()
    assert not SPOOFING.search(export(session, "json").replace("\\n", " "))


def test_the_command_line_cleans_text_it_is_given(write_session, capsys):
    path = write_session()
    code, out, err = run(capsys, "timeline", "add", path, "--at",
                         (RESOLVED - timedelta(minutes=30)).isoformat(), "--kind", "observation",
                         "--text", SPOOF, "--source", SPOOF)
    assert code == 0, err
    event = next(e for e in load_session(path).timeline if e.id == out.strip())
    assert (event.text, event.source) == (SPOOF_KEPT, SPOOF_KEPT)


def test_a_hand_edit_of_the_toml_file_is_cleaned_as_it_is_read(write_session):
    path = write_session()
    text = path.read_text(encoding="utf-8")
    escaped = json.dumps(SPOOF, ensure_ascii=True)  # a TOML basic string: \r, \u202e, \u001b
    path.write_text(text.replace('"Replication lag alert fired"', escaped), encoding="utf-8")
    event = next(e for e in load_session(path).timeline if e.id == "e-major")
    assert event.text == SPOOF_KEPT


def test_an_import_cleans_by_the_same_rules(make_session, tmp_path):
    source = tmp_path / "spoof.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["time", "text"], [RESOLVED.isoformat(), SPOOF]])
    result = import_timeline(source, make_session())
    assert [e.text for e in result.events] == [SPOOF_KEPT.replace("\n", " ")]


def drawn_rows(table) -> list[str]:
    """The lines the timeline table sends to the terminal, as text."""
    return ["".join(segment.text for segment in table.render_line(y))
            for y in range(table.size.height)]


async def test_the_timeline_table_never_draws_a_control_character(tmp_path):
    from pmconsole.tui.widgets.timeline_table import TimelineTable

    path = demo_copy(tmp_path)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        # Through the model, as every edit comes.
        event = app.store.session.timeline[0]
        app.edit(set_op("timeline", "text", SPOOF, event.id),
                 set_op("timeline", "source", SPOOF, event.id))
        while app.meeting.step < 5:
            await pilot.press("f4")
        await pilot.pause()
        table = app.screen.query_one(TimelineTable)
        rows = drawn_rows(table)
        assert any("real event 99:99 FAKE SPOOFED evil red zw" in row for row in rows), rows
        # And text that never went through the model (built without validation) is cleaned
        # by the table itself: it draws its lines without Textual's help.
        raw = TimelineEvent.model_construct(**{**event.model_dump(), "text": SPOOF,
                                               "source": SPOOF})
        table.events = [raw, *table.events[1:]]
        for row in (*rows, *drawn_rows(table)):
            assert not SPOOFING.search(row), repr(row)


async def test_a_console_form_and_a_bound_field_clean_what_they_are_given(tmp_path):
    from pmconsole.tui.widgets.fields import BoundInput
    from pmconsole.tui.dialogs.record_form import RecordForm
    from pmconsole.tui.widgets.timeline_table import TimelineTable

    app = console(demo_copy(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        title = next(f for f in app.screen.query(BoundInput) if f.ref.field == "title")
        title.value = SPOOF  # what a terminal that passes control characters would type
        await pilot.pause()
        title.commit()
        await pilot.pause()
        assert app.store.session.incident.title == SPOOF_KEPT

        while app.meeting.step < 5:
            await pilot.press("f4")
        await pilot.pause()
        table = app.screen.query_one(TimelineTable)
        event = table.selected()
        table.focus()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RecordForm)
        app.screen.query_one("#field-text").value = SPOOF
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, RecordForm)
        stored = next(e for e in app.store.session.timeline if e.id == event.id)
        assert stored.text == SPOOF_KEPT


async def test_notices_from_any_widget_are_cleaned(tmp_path):
    from textual.notifications import Notify

    notices: list = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            notices.append(message.notification)

    app = console(demo_copy(tmp_path))
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        # A file name or an error quoting one never passed through the model.
        app.screen.notify(f"{SPOOF}.csv: no such file", title=SPOOF, markup=False)
        app.notify(SPOOF, markup=False)
        await pilot.pause()
    assert len(notices) == 2
    for notice in notices:
        assert not SPOOFING.search(notice.message + notice.title), repr(notice)
    assert notices[0].message == f"{SPOOF_KEPT}.csv: no such file"


# -- (g) a paste ---------------------------------------------------------------------------------

PASTED = "before\x1b[31mred\x1b[0mafter \u202eend"


async def paste(pilot, text: str = PASTED) -> None:
    """A paste as the terminal driver hands it to the app, which gives it to the focused
    control."""
    from textual import events

    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def test_a_paste_into_any_of_our_inputs_is_cleaned_and_kept_in_order(tmp_path):
    from pmconsole.tui.widgets.fields import BoundInput
    from pmconsole.tui.dialogs.record_form import RecordForm
    from pmconsole.tui.widgets.form import FormInput
    from pmconsole.tui.widgets.text_field import BoundTextArea
    from pmconsole.tui.widgets.timeline_table import TimelineTable

    app = console(demo_copy(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        title = next(f for f in app.screen.query(BoundInput) if f.ref.field == "title")
        title.focus()
        title.value = "T: "
        title.cursor_position = len(title.value)
        await paste(pilot)
        await pilot.press("x")
        assert title.value == "T: beforeredafter endx"
        await pilot.press("enter")
        await pilot.pause()
        assert app.store.session.incident.title == "T: beforeredafter endx"

        while app.meeting.step < 4:
            await pilot.press("f4")
        await pilot.pause()
        summary = app.screen.query_one(BoundTextArea)
        summary.focus()
        summary.move_cursor(summary.document.end)
        await paste(pilot, PASTED + "\r\nnext line")
        await pilot.press("x")
        assert summary.text.endswith("beforeredafter end\nnext linex"), repr(summary.text[-60:])
        summary.commit()
        assert app.store.session.summary.endswith("beforeredafter end\nnext linex")

        await pilot.press("f4")
        await pilot.pause()
        table = app.screen.query_one(TimelineTable)
        table.focus()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RecordForm)
        field = app.screen.query_one("#field-text", FormInput)
        field.value = ""
        await paste(pilot)
        await pilot.press("x")
        assert field.value == "beforeredafter endx"


async def test_a_paste_into_the_log_search_and_the_feedback_form_is_cleaned(tmp_path):
    from textual.widgets import Input, TextArea

    path = demo_copy(tmp_path)
    app = console(None, sessions_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        query = app.screen.query_one("#query", Input)
        query.focus()
        await paste(pilot)
        assert query.value == "beforeredafter end"
    app = console(path, role="feedback")
    async with app.run_test(size=(120, 40)) as pilot:
        area = app.screen.query_one("#went-well", TextArea)
        area.focus()
        await paste(pilot)
        assert area.text == "beforeredafter end"


def as_keys(text: str) -> list:
    """Key presses as Textual's terminal reader hands out the text it read after an ESC inside
    a paste."""
    from textual import events

    names = {"^": "circumflex_accent", "[": "left_square_bracket", " ": "space",
             "]": "right_square_bracket", ";": "semicolon", "=": "equals_sign", ":": "colon",
             "/": "slash", ".": "full_stop", "\x07": "ctrl+g"}
    return [events.Key(names.get(c, c), c) for c in text]


def as_textual_reads_a_paste(text: str) -> tuple[str, str]:
    """The keys and the paste's text that Textual 8.2.8's terminal reader makes of a bracketed
    paste of ``text`` (seen in tmux, and read in its parser): from an ESC on, characters are
    taken as an escape sequence, handed out as keys ("^" for the ESC) at the next ESC or once
    past 32 characters, when it goes back to collecting the paste. The paste's text is what it
    collected, without its last character."""
    data = text + "\x1b[201~"  # the end of the paste
    keys, collected, i, pasting = "", "", 0, True
    while pasting:
        c = data[i]
        i += 1
        collected += c
        if c != "\x1b":
            continue
        sequence = c
        while True:
            c = data[i]
            i += 1
            if c == "\x1b":
                keys += "^" + sequence[1:]
                sequence = c
                continue
            sequence += c
            if len(sequence) > 32:
                keys += "^" + sequence[1:]
                break
            if sequence == "\x1b[201~":
                pasting = False
                break
    return keys, collected[:-1]


async def paste_as_a_terminal_does(pilot, text: str) -> None:
    """``text`` pasted in a real terminal, as Textual 8.2.8 hands it to the app: keys first,
    then a paste of the rest."""
    from textual import events

    keys, pasted = as_textual_reads_a_paste(text)
    for key in as_keys(keys):
        pilot.app.post_message(key)
    pilot.app.post_message(events.Paste(pasted))
    await pilot.pause()


async def test_a_paste_that_the_terminal_reader_scrambled_is_put_back_in_order(tmp_path):
    from pmconsole.tui.widgets.fields import BoundInput
    from pmconsole.tui.widgets.text_field import BoundTextArea

    app = console(demo_copy(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        title = next(f for f in app.screen.query(BoundInput) if f.ref.field == "title")
        title.focus()
        title.value = "T: "
        title.cursor_position = len(title.value)
        await pilot.pause()
        assert as_textual_reads_a_paste("before\x1b[31mred\x1b[0mafter") == (
            "^[31mred^[0mafter", "before")  # what tmux showed: "^[31mred^[0mafterbefore"
        await paste_as_a_terminal_does(pilot, "before\x1b[31mred\x1b[0mafter")
        await pilot.press("x")
        assert title.value == "T: beforeredafterx"
        # A sequence's text longer than Textual's reader looks through: it collects again.
        title.value = ""
        await pilot.pause()
        await paste_as_a_terminal_does(pilot, f"a\x1b[31m{'L' * 50}\x1b[0m b")
        assert title.value == f"a{'L' * 50} b"
        # OSC strings end at a BEL, which comes as a control key: the words after it stay.
        title.value = ""
        await pilot.pause()
        await paste_as_a_terminal_does(
            pilot, "x\x1b]52;c;ZXZpbA==\x07y \x1b]8;;http://evil\x07link\x1b]8;;\x07 z")
        assert title.value == "xy link z"
        title.value = f"a{'L' * 50} b"
        title.cursor_position = len(title.value)
        await pilot.pause()
        # Typed, not pasted: a "^" typed at a person's pace stays.
        await pilot.press("circumflex_accent")
        await pilot.pause(0.1)
        await paste(pilot, "!")
        assert title.value == f"a{'L' * 50} b^!"

        while app.meeting.step < 4:
            await pilot.press("f4")
        await pilot.pause()
        summary = app.screen.query_one(BoundTextArea)
        summary.focus()
        summary.move_cursor(summary.document.end)
        await pilot.pause()
        await paste_as_a_terminal_does(pilot, " before\x1b[1mbold\x1b[0m after")
        await pilot.press("x")
        assert summary.text.endswith(" beforebold afterx"), repr(summary.text[-40:])


async def test_a_line_break_from_a_hand_edit_is_a_space_in_a_one_line_field(tmp_path):
    """A title hand-edited with a carriage return ("Payment\\r99:99 FAKE") is cleaned into a
    line break; a one-line field shows it as a space, not as a line of its own on screen."""
    from session_files import load_session
    from pmconsole.tui.widgets.fields import BoundInput
    from snapshot_app import console, demo_copy

    path = demo_copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    title = load_session(path).incident.title
    path.write_text(text.replace(f'title = "{title}"', 'title = "Payment\\r99:99 HANDFAKE"', 1),
                    encoding="utf-8")
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        field = next(w for w in app.screen.query(BoundInput) if w.ref.field == "title")
        assert field.value == "Payment 99:99 HANDFAKE"
