"""Exports: the demo session against golden files, every format read back by a real reader
(icalendar, html.parser, csv, json + the model), hostile text inert in every format, and the
one-page refusal.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_exporters.py`` and read the diff before keeping it.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pmconsole.exporters import FORMATS, default_output, export, one_page_blocks
from pmconsole.exporters.actions_csv import CSV_HEADER, csv_cell
from pmconsole.exporters.calendar import session_uid_hash
from pmconsole.exporters.common import key_timeline, one_line
from pmconsole.exporters.markdown import md_cell, md_escape, md_line  # the escaping under test
from pmconsole.domain.text import clean_text
from pmconsole.domain.model import (
    ActionItem,
    ContributingFactor,
    Feedback,
    Incident,
    Session,
    StepNote,
    TimelineEvent,
)
from pmconsole.domain.method import PAGE_WORDS
from session_files import load_session

UTC = timezone.utc
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "sessions" / "demo.toml"
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)

HOSTILE = (
    '<script>alert(1)</script> ](javascript:alert(1)) | a | b | [bold]x[/] '
    '\x1b[31mred\x1b]8;;http://x\x07 =HYPERLINK("http://x") +1 -2 @SUM(A1)'
)
# What is left of it once terminal escapes are removed: every format must show exactly this.
HOSTILE_TEXT = (
    '<script>alert(1)</script> ](javascript:alert(1)) | a | b | [bold]x[/] '
    'red =HYPERLINK("http://x") +1 -2 @SUM(A1)'
)
FORMULA_STARTS = ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx")


@pytest.fixture(scope="module")
def demo() -> Session:
    return load_session(DEMO)


# What the room said: the note-taker's notes on three steps and three anonymous answers.
NOTES = {
    "3": "Jun spoke first: the latency alert was seen at 13:58 but nobody is paged there.\n\n"
         "Pause at 09:22 (blame), resumed after 2 minutes.",
    "5": "Rollback took 8 minutes once decided; the pool size was in the startup log all along.",
    "8": "Next note-taker: Lin.",
}
FEEDBACK = [
    Feedback(id="fb-c", rating=4, comment="Timeline work was calm and quick",
             unsaid="I was afraid to say the deploy checklist is never used"),
    Feedback(id="fb-a", rating=2, unsaid="Seniors talked over the juniors in step 6"),
    Feedback(id="fb-b", comment="Clear actions with owners"),
    Feedback(id="fb-d", rating=5),
]


@pytest.fixture(scope="module")
def held(demo) -> Session:
    """The demo after the meeting: notes taken on three steps, four anonymous answers."""
    return demo.model_copy(update={
        "notes": [StepNote(id=step, text=text) for step, text in NOTES.items()],
        "feedback": FEEDBACK,
        "meeting": demo.meeting.model_copy(update={"feedback_offered": True}),
    })


def _markdown() -> MarkdownIt:
    # CommonMark plus the two GitHub extensions the summary meets: tables and strikethrough.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


class _Tree(HTMLParser):
    """Collects tags, attributes and text, and checks that every element is closed in order."""

    VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr", "source"}
    SVG_SELF_CLOSING = {"path", "rect", "circle", "line"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.SVG_SELF_CLOSING and tag not in self.VOID:
            self.problems.append(f"unexpected self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)

    def parse(self, text: str) -> "_Tree":
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed {self.stack}")
        return self

    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def _unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")[:-1]


def _hostile_session(demo: Session) -> Session:
    """The demo with hostile text in every place a person can type."""
    event = TimelineEvent(
        id="e-hostile", at=demo.incident.started_at + timedelta(minutes=3), kind="alert",
        text=HOSTILE, source=HOSTILE, major=True, basis="interpretation",
    )
    factor = ContributingFactor(id="f-hostile", text=HOSTILE, category="tooling",
                                event_ids=["e-hostile"])
    uncategorised = ContributingFactor(id="f-hostile-2", text="# " + HOSTILE)
    actions = [
        ActionItem(
            id="a-hostile", title=HOSTILE, owner=HOSTILE, criterion=HOSTILE,
            description=HOSTILE + "\nsecond line", due=date(2026, 12, 9),
            factor_ids=["f-hostile", "f-hostile-2"],
        ),
        *(
            ActionItem(
                id=f"a-formula-{n}", title=start, owner=start, criterion=start,
                description=start, due=date(2026, 12, 9),
            )
            for n, start in enumerate(FORMULA_STARTS)
        ),
    ]
    return demo.model_copy(
        update={
            "incident": demo.incident.model_copy(
                update={"title": HOSTILE, "tags": [HOSTILE, "payments"]}
            ),
            "question": demo.question.model_copy(update={"text": HOSTILE}),
            "summary": HOSTILE + "\n\n- " + HOSTILE + "\n    " + HOSTILE,
            "timeline": [*demo.timeline, event],
            "factors": [*demo.factors, factor, uncategorised],
            "actions": [*demo.actions, *actions],
            "feedback": [
                Feedback(id="fb-2", rating=2, comment=HOSTILE, unsaid="# " + HOSTILE),
                Feedback(id="fb-1", rating=5, comment="| useful |"),
            ],
            "notes": [StepNote(id="4", text=HOSTILE + "\n\n- " + HOSTILE)],
        }
    )


# -- golden files -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_demo_export_matches_its_golden_file(demo, fmt):
    text = export(demo, fmt, now=NOW)
    golden = GOLDEN / default_output(Path("demo.toml"), fmt).name
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(text.encode("utf-8"))
    # Bytes, not text: the CRLF line ends of ICS and CSV are part of what is checked.
    assert text.encode("utf-8") == golden.read_bytes()


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_demo_after_the_meeting_matches_its_golden_file(held, fmt):
    """The summary with its appendix: the notes and the feedback's own words."""
    text = export(held, fmt, now=NOW)
    golden = GOLDEN / default_output(Path("demo-after-the-meeting.toml"), fmt).name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8") == golden.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_depends_only_on_the_session_and_now(demo, fmt):
    assert export(demo, fmt, now=NOW) == export(demo.model_copy(deep=True), fmt, now=NOW)
    export(demo, fmt)  # without now it takes the wall clock, and works


def test_unknown_format_and_naive_now_are_refused(demo):
    with pytest.raises(ValueError, match="unknown export format"):
        export(demo, "pdf", now=NOW)
    with pytest.raises(ValueError, match="aware"):
        export(demo, "md", now=datetime(2026, 11, 26, 11, 0))


def test_default_output_sits_beside_the_session():
    folder = Path("/x/sessions")
    names = {fmt: default_output(folder / "incident.toml", fmt) for fmt in FORMATS}
    assert names == {
        "md": folder / "incident.summary.md",
        "html": folder / "incident.html",
        "json": folder / "incident.json",
        "ics": folder / "incident.ics",
        "csv": folder / "incident.actions.csv",
        "gh": folder / "incident.actions.sh",
    }
    assert default_output(folder / "incident.toml", "csv", "jira") == (
        folder / "incident.actions.jira.csv")
    assert default_output(Path("notes"), "md") == Path("notes.summary.md")
    assert all(default_output(Path("a.toml"), f).suffix == FORMATS[f].suffix for f in FORMATS)
    with pytest.raises(ValueError):
        default_output(Path("a.toml"), "pdf")


# -- one page ---------------------------------------------------------------------------------


def test_the_demo_summary_fits_one_page(demo):
    assert one_page_blocks(demo) == []


def test_a_600_word_summary_is_one_block(demo):
    long = demo.model_copy(update={"summary": " ".join(["word"] * 600)})
    (finding,) = one_page_blocks(long)
    assert (finding.rule, finding.severity) == ("facts.one_page", "block")
    assert "600 words" in finding.message and str(PAGE_WORDS) in finding.message


# -- Markdown ---------------------------------------------------------------------------------


def test_markdown_renders_every_section_of_the_demo(demo):
    text = export(demo, "md", now=NOW)
    rendered = _markdown().render(text)
    tree = _Tree().parse(rendered)
    assert not tree.problems
    headings = re.findall(r"<h2>(.*?)</h2>", rendered)
    assert headings == [
        "Learning question", "Durations", "What happened", "Key timeline",
        "Contributing factors", "Actions", "Anonymous feedback",
    ]
    assert "<h1>Payment captures delayed by a backlog on the payment-capture queue</h1>" in rendered
    assert "Mon 23 Nov 2026, 13:50 – 17:40 UTC" in rendered
    assert "47 min" in rendered and "2 h 20 min" in rendered and "3 h 50 min" in rendered
    # Key timeline: the first event (the deploy that set it off, not marked major), majors,
    # alerts and decisions of the demo, in time order, in its zone (UTC).
    assert len(key_timeline(demo)) == 10
    assert key_timeline(demo)[0] == demo.sorted_timeline()[0] and not demo.sorted_timeline()[0].major
    assert "<td>13:41</td>" in rendered  # that deploy
    assert "<td>15:24</td>" in rendered  # the rollback decision
    # Readable source: names with underscores and tildes render as typed.
    assert "DB_POOL_MAX" in rendered and "from ~40 to ~3" in tree.plain()
    assert "<del>" not in rendered and "<s>" not in rendered
    for action in demo.actions:
        assert html.escape(action.title, quote=False) in rendered
        assert action.owner in rendered
    assert "Thu 10 Dec 2026" in rendered
    assert "Exported by pmconsole on Thu 26 Nov 2026, 11:00 UTC." in rendered


def test_markdown_has_the_notes_and_the_feedback_words_in_an_appendix_after_the_page(held):
    text = export(held, "md", now=NOW)
    page, appendix = text.split("\n## Appendix", 1)
    assert "Exported by pmconsole" in page  # the one page ends, with its footer, first
    rendered = _markdown().render(text)
    tree = _Tree().parse(rendered)
    assert not tree.problems
    appendix_html = rendered[rendered.index("<h2>Appendix"):]
    assert re.findall(r"<h3>(.*?)</h3>", appendix_html) == [
        "Notes, step 3: Psychological safety",
        "Notes, step 5: Timeline",
        "Notes, wrap-up",
        "Anonymous feedback: what went well",
        "Anonymous feedback: what was not said in the room",
    ]
    # Every note, paragraphs kept, and every free-text answer, in the appendix only.
    assert "<p>Jun spoke first: the latency alert was seen at 13:58 but nobody is paged " \
           "there.</p>\n<p>Pause at 09:22" in appendix_html
    assert "Next note-taker: Lin." in appendix_html
    for answer in FEEDBACK:
        for words in (answer.comment, answer.unsaid):
            if words:
                assert words in appendix_html and words not in page
    # No order and no identity: each list in the order of its words (not who answered
    # first, nor one person's two answers side by side), with no ids and no ratings.
    went_well = re.findall(r"<li>(.*?)</li>", appendix_html.split("what went well")[1]
                           .split("<h3>")[0])
    assert went_well == sorted(went_well, key=str.casefold) and len(went_well) == 2
    unsaid = re.findall(r"<li>(.*?)</li>", appendix_html.split("not said in the room")[1])
    assert unsaid == ["I was afraid to say the deploy checklist is never used",
                      "Seniors talked over the juniors in step 6"]
    assert "fb-" not in text and "rating" not in appendix.lower()
    # The page says where the words are.
    assert "Their words are in the appendix." in page


def test_markdown_has_no_appendix_when_nothing_was_said(demo, held):
    assert "Appendix" not in export(demo, "md", now=NOW)
    only_ratings = held.model_copy(update={"notes": [], "feedback": [Feedback(rating=3)]})
    text = export(only_ratings, "md", now=NOW)
    assert "Appendix" not in text and "in the appendix" not in text


def test_markdown_key_timeline_is_capped(demo):
    start = demo.incident.started_at
    many = [
        TimelineEvent(id=f"e-x{n:02d}", at=start + timedelta(minutes=n), kind="decision",
                      text=f"decision {n}")
        for n in range(30)
    ]
    session = demo.model_copy(update={"timeline": [*demo.timeline, *many]})
    key = key_timeline(session)
    assert len(key) == 15
    assert {e.id for e in session.major_events()} <= {e.id for e in key}  # majors first
    assert key == sorted(key, key=lambda e: e.at)


def test_markdown_keeps_hostile_text_inert(demo):
    session = _hostile_session(demo)
    text = export(session, "md", now=NOW)
    assert "\x1b" not in text and "\x07" not in text
    assert not re.search(r"(?<!\\)<script", text)
    assert not re.search(r"(?<!\\)\]\(javascript:", text)

    rendered = _markdown().render(text)
    tree = _Tree().parse(rendered)
    assert not tree.problems
    tags = {tag for tag, _ in tree.tags}
    assert not tags & {"script", "a", "img", "del", "s", "code", "pre", "h4", "ol"}
    assert re.findall(r"<h3>(.*?)</h3>", rendered) == [
        "Process", "Tooling", "Staffing", "Communication", "Environment", "Not categorised",
        "Notes, step 4: Facts", "Anonymous feedback: what went well",
        "Anonymous feedback: what was not said in the room",
    ]
    # The appendix too: the notes (a line that starts like a list item stays text) and both
    # kinds of answer come out literally.
    appendix = _Tree().parse(rendered[rendered.index("<h2>Appendix"):]).plain()
    assert appendix.count(HOSTILE_TEXT) == 4, appendix
    assert "- " + HOSTILE_TEXT in appendix and "# " + HOSTILE_TEXT in appendix
    assert "<script" not in rendered and "javascript:" not in "".join(
        str(attrs) for _, attrs in tree.tags
    )
    # The hostile text comes out literally, every time it went in.
    plain = tree.plain()
    assert plain.count(HOSTILE_TEXT) >= 10, plain
    assert "# " + HOSTILE_TEXT in plain  # a factor that starts like a heading stays text
    assert "- " + HOSTILE_TEXT in plain  # a summary line that starts like a list item, too

    # Every table row has as many cells as its header, in the source and once rendered.
    for table in re.findall(r"(?:^\|.*\|\n)+", text, re.MULTILINE):
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table.splitlines()}
        assert len(widths) == 1, table
    for table in re.findall(r"<table>.*?</table>", rendered, re.DOTALL):
        header = len(re.findall(r"<th[ >]", table))
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]:
            assert len(re.findall(r"<td[ >]", row)) == header


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_markdown_escaping_round_trips_any_text(text):
    md = _markdown()
    expected = one_line(text)

    paragraph = _Tree().parse(md.render(md_line(expected)))
    assert not paragraph.problems
    assert {tag for tag, _ in paragraph.tags} <= {"p"}
    assert paragraph.plain() == " ".join(expected.split())

    table = md.render("| h |\n|---|\n| " + md_cell(text) + " |\n")
    cells = re.findall(r"<td>(.*?)</td>", table, re.DOTALL)
    assert len(cells) == 1, table
    assert "<" not in cells[0]
    assert " ".join(html.unescape(cells[0]).split()) == " ".join(expected.split())


def test_md_escape_keeps_ordinary_text_readable():
    readable = "DB_POOL_MAX > 80,000 at 14:37 (SEV2)"
    assert md_escape(readable) == readable
    assert md_escape("_x_ *y* [z](u) <b> a|b ~s~ $5 `c` \\") == (
        "\\_x\\_ \\*y\\* \\[z\\](u) \\<b> a\\|b \\~s\\~ \\$5 \\`c\\` \\\\"
    )
    assert md_escape("AT&T &amp; &#60;") == "AT&T \\&amp; \\&#60;"
    assert md_line("1. first") == "1\\. first"
    assert md_line("# not a heading") == "\\# not a heading"


# -- HTML -------------------------------------------------------------------------------------


def test_html_is_well_formed_self_contained_and_printable(demo):
    text = export(demo, "html", now=NOW)
    tree = _Tree().parse(text)
    assert not tree.problems
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE)
    assert not re.search(r"<script|<link|<iframe|<object|@import|url\(", text, re.IGNORECASE)
    tags = [tag for tag, _ in tree.tags]
    assert "script" not in tags and "img" not in tags and tags.count("style") == 1
    assert not any("href" in attrs or "src" in attrs for _, attrs in tree.tags)
    assert "@page" in text and "@media print" in text
    csp = next(a for t, a in tree.tags if t == "meta" and a.get("http-equiv"))
    assert "default-src 'none'" in csp["content"]


def test_html_has_the_notes_and_the_feedback_words_in_an_appendix_after_the_page(held):
    text = export(held, "html", now=NOW)
    tree = _Tree().parse(text)
    assert not tree.problems
    page, appendix = text.split('<section class="appendix">', 1)
    assert "</footer>" in page  # the one page ends, with its footer, first
    # Printed, the appendix starts on a page of its own: the one page stays one page.
    assert re.search(r"\.appendix \{[^}]*break-before: page", text)
    assert re.findall(r"<h3>(.*?)</h3>", appendix) == [
        "Notes, step 3: Psychological safety",
        "Notes, step 5: Timeline",
        "Notes, wrap-up",
        "Anonymous feedback: what went well",
        "Anonymous feedback: what was not said in the room",
    ]
    assert "<p>Pause at 09:22 (blame), resumed after 2 minutes.</p>" in appendix
    for answer in FEEDBACK:
        for words in (answer.comment, answer.unsaid):
            if words:
                assert f"<li>{words}</li>" in appendix and words not in page
    assert "fb-" not in text
    assert "Their words are in the appendix." in page


def test_html_draws_the_timeline_as_svg(demo):
    text = export(demo, "html", now=NOW)
    tree = _Tree().parse(text)
    assert [t for t, _ in tree.tags].count("svg") == 1
    groups = [a.get("class", "").split() for t, a in tree.tags if t == "g"]
    events = [c for c in groups if "ev" in c]
    assert len(events) == len(demo.timeline)
    assert sum("major" in c for c in events) == len(demo.major_events()) == 4
    for kind in ("alert", "action", "decision", "observation"):
        assert sum(kind in c for c in events) == sum(e.kind == kind for e in demo.timeline)
    # A different shape per kind: the first element drawn inside each kind's group.
    svg = text[text.index("<svg"): text.index("</svg>")]
    shapes = {}
    for kind in ("alert", "action", "decision", "observation"):
        group = re.search(rf'<g class="ev {kind}"[^>]*><title>[^<]*</title>(<\w+)', svg)
        shapes[kind] = group.group(1)
    assert shapes == {"alert": "<path", "action": "<rect", "decision": "<path",
                      "observation": "<circle"}
    # Phases as labelled bands; an axis with local tick labels.
    phases = [" ".join(c) for c in groups if c[:1] == ["phase"]]
    assert phases == ["phase detect", "phase mitigate", "phase resolve"]
    assert "Until detected · 47 min" in svg and "Until mitigated · 1 h 33 min" in svg
    ticks = re.findall(r">(\d\d:\d\d)</text>", svg)
    assert ticks[:2] == ["14:00", "14:30"] and len(ticks) >= 5
    assert "Mon 23 Nov" in svg


def test_a_bare_session_exports_in_every_format():
    bare = Session(
        incident=Incident(
            title="Bare", started_at=datetime(2026, 3, 28, 22, 0, tzinfo=UTC),
            resolved_at=datetime(2026, 3, 31, 3, 0, tzinfo=UTC), timezone="Europe/Berlin",
        )
    )
    texts = {fmt: export(bare, fmt, now=NOW) for fmt in FORMATS}
    assert not _Tree().parse(texts["html"]).problems
    assert "Sat 28 Mar 2026, 23:00 CET – Tue 31 Mar 2026, 05:00 CEST" in texts["md"]
    assert "*No learning question is set yet.*" in texts["md"]
    cal = icalendar.Calendar.from_ical(texts["ics"])
    assert cal.walk("VEVENT") == []  # no meeting, no review date, no actions
    assert _csv_rows(texts["csv"]) == [list(CSV_HEADER)]
    assert Session.model_validate(json.loads(texts["json"])) == bare


def test_svg_ticks_follow_the_local_clock_across_a_change_of_time(demo):
    # Europe/Berlin skips 02:00-03:00 local on 29 March 2026.
    session = Session(
        incident=Incident(
            title="DST", started_at=datetime(2026, 3, 29, 0, 10, tzinfo=UTC),
            resolved_at=datetime(2026, 3, 29, 1, 40, tzinfo=UTC), timezone="Europe/Berlin",
        )
    )
    ticks = re.findall(r">(\d\d:\d\d)</text>", export(session, "html", now=NOW))
    assert ticks == ["01:10", "01:20", "01:30", "01:40", "01:50",
                     "03:00", "03:10", "03:20", "03:30", "03:40"]


def test_html_keeps_hostile_text_inert(demo):
    session = _hostile_session(demo)
    text = export(session, "html", now=NOW)
    assert "\x1b" not in text and "\x07" not in text
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "=HYPERLINK(&#34;http://x&#34;)" in text  # Jinja2 writes a quote as &#34;
    tree = _Tree().parse(text)
    assert not tree.problems
    assert "script" not in {t for t, _ in tree.tags}
    assert not any("href" in a or "src" in a or any(k.startswith("on") for k in a)
                   for _, a in tree.tags)
    assert tree.plain().count(HOSTILE_TEXT) >= 10
    appendix = text[text.index('<section class="appendix">'):]
    assert appendix.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    assert _Tree().parse(appendix[:appendix.index("</section>\n</body>") + 10]).plain().count(
        HOSTILE_TEXT) == 4
    # Inside the SVG too: the hostile event's tooltip holds the text, escaped.
    svg = text[text.index("<svg"): text.index("</svg>")]
    assert "&lt;script&gt;" in svg
    assert len(re.findall(r'<g class="ev ', svg)) == len(session.timeline)


# -- JSON -------------------------------------------------------------------------------------


def test_json_round_trips_the_whole_session(demo):
    session = demo.model_copy(
        update={
            "feedback": [
                Feedback(id="fb-c", rating=3, comment="c"),
                Feedback(id="fb-a", rating=None, comment="a\x1b[31m\x9b1m"),
                Feedback(id="fb-b", rating=5),
            ]
        }
    )
    text = export(session, "json", now=NOW)
    data = json.loads(text)
    assert list(data)[0] == "schema_version" and data["schema_version"] == 1
    assert [f["id"] for f in data["feedback"]] == ["fb-a", "fb-b", "fb-c"]
    assert data["incident"]["started_at"] == "2026-11-23T13:50:00Z"
    back = Session.model_validate(data)
    expected = session.model_copy(
        update={"feedback": sorted(session.feedback, key=lambda f: f.id)}
    )
    assert back == expected
    # The model drops terminal sequences from text as it is entered: nothing in the file can
    # drive a terminal.
    assert back.feedback[0].comment == "a"  # the 7-bit and the 8-bit CSI, parameters and all
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)
    assert text.endswith("}\n")


def test_json_keeps_hostile_text_as_data(demo):
    session = _hostile_session(demo)
    data = json.loads(export(session, "json", now=NOW))
    # The session is built with model_copy (no validation), so the raw text reaches the
    # exporter: JSON keeps it as inert data.
    assert data["incident"]["title"] == HOSTILE
    back = Session.model_validate(data)
    assert back.question.text == clean_text(HOSTILE)  # read back, the model cleans it


# -- iCalendar --------------------------------------------------------------------------------


def test_ics_parses_with_meeting_review_and_actions(demo):
    text = export(demo, "ics", now=NOW)
    cal = icalendar.Calendar.from_ical(text)
    assert not cal.errors
    assert str(cal["VERSION"]) == "2.0" and str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["PRODID"]) == "-//pmconsole//Post-mortem export//EN"
    events = cal.walk("VEVENT")
    assert len(events) == 2 + len(demo.actions)
    assert all(not e.errors for e in events)
    key = session_uid_hash(demo)
    uids = [str(e["UID"]) for e in events]
    assert uids == [
        f"meeting-{key}@pmconsole",
        f"review-{key}@pmconsole",
        *(f"action-{a.id}-{key}@pmconsole" for a in demo.actions),
    ]
    meeting, review, *actions = events
    assert meeting["DTSTART"].dt == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert meeting["DTEND"].dt == datetime(2026, 11, 26, 10, 15, tzinfo=UTC)
    assert "Recovery took 3 hours 50 minutes; how do we bring it under 60 minutes?" in str(
        meeting["DESCRIPTION"]
    )
    assert review["DTSTART"].dt == date(2026, 12, 10)  # meeting day + 14, a DATE
    assert not isinstance(review["DTSTART"].dt, datetime)
    assert review["DTEND"].dt == date(2026, 12, 11)
    for event, action in zip(actions, demo.actions):
        assert event["DTSTART"].dt == action.due
        description = str(event["DESCRIPTION"])
        assert f"Owner: {action.owner}\n" in description
        assert f"Success criterion: {action.criterion}\n" in description  # ; and , round-trip
        assert str(event["SUMMARY"]) == f"Action due: {action.title}"
        assert f"Action id: {action.id}\n" in description
    assert all(e["DTSTAMP"].dt == NOW for e in events)
    assert all(e["SEQUENCE"] == 0 and e["LAST-MODIFIED"].dt == NOW for e in events)
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED"] * len(events)


def test_ics_lines_are_crlf_and_folded_at_75_octets(demo):
    session = demo.model_copy(
        update={"incident": demo.incident.model_copy(update={"title": "Zürich ☕ 🚒 " * 20})}
    )
    raw = export(session, "ics", now=NOW).encode("utf-8")
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75
        line.decode("utf-8")  # never split inside a character
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Post-mortem: " + " ".join(("Zürich ☕ 🚒 " * 20).split())


def test_ics_uids_are_stable_across_exports_and_edits(demo):
    def uids(session, now):
        cal = icalendar.Calendar.from_ical(export(session, "ics", now=now))
        return [str(e["UID"]) for e in cal.walk("VEVENT")]

    edited = demo.model_copy(
        update={
            "actions": [a.model_copy(update={"title": a.title + " (v2)", "due": date(2026, 12, 11)})
                        for a in demo.actions],
            "question": demo.question.model_copy(update={"text": "New question in 10 min?"}),
        }
    )
    assert uids(demo, NOW) == uids(edited, NOW + timedelta(days=3))
    other = demo.model_copy(
        update={"incident": demo.incident.model_copy(
            update={"started_at": demo.incident.started_at + timedelta(minutes=1)})}
    )
    assert set(uids(demo, NOW)).isdisjoint(uids(other, NOW))


def test_ics_leaves_out_what_has_no_date(demo):
    no_meeting = demo.model_copy(
        update={
            "meeting": demo.meeting.model_copy(update={"scheduled_at": None}),
            "actions": [
                demo.actions[0].model_copy(update={"status": "dropped"}),
                demo.actions[1].model_copy(update={"due": None}),
                demo.actions[2].model_copy(update={"status": "done"}),
            ],
        }
    )
    events = icalendar.Calendar.from_ical(export(no_meeting, "ics", now=NOW)).walk("VEVENT")
    # The dropped action stays, cancelled, so a calendar that had it takes it away.
    assert [(str(e["SUMMARY"]), str(e["STATUS"])) for e in events] == [
        (f"Action dropped: {demo.actions[0].title}", "CANCELLED"),
        (f"Action done: {demo.actions[2].title}", "CONFIRMED"),
    ]
    with_review = no_meeting.model_copy(update={"followup_review_at": date(2026, 12, 7)})
    events = icalendar.Calendar.from_ical(export(with_review, "ics", now=NOW)).walk("VEVENT")
    assert str(events[0]["UID"]).startswith("review-")
    assert events[0]["DTSTART"].dt == date(2026, 12, 7)


def test_ics_keeps_hostile_text_inert(demo):
    session = _hostile_session(demo)
    text = export(session, "ics", now=NOW)
    assert "\x1b" not in text and "\x07" not in text
    known = {"BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "UID", "DTSTAMP",
             "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "TRANSP", "SEQUENCE",
             "LAST-MODIFIED", "STATUS", "ACTION", "TRIGGER", "X-PMCONSOLE-DIGEST"}
    for line in _unfold(text):
        name = re.match(r"[A-Z-]+", line)
        assert name and name.group() in known, line
    cal = icalendar.Calendar.from_ical(text)
    assert not cal.errors
    events = cal.walk("VEVENT")
    assert all(not e.errors for e in events)
    assert str(events[0]["SUMMARY"]) == "Post-mortem: " + HOSTILE_TEXT
    hostile = next(e for e in events if "a-hostile" in str(e["UID"]))
    description = str(hostile["DESCRIPTION"])
    assert f"Owner: {HOSTILE_TEXT}\nSuccess criterion: {HOSTILE_TEXT}\n" in description
    assert f"{HOSTILE_TEXT}\nsecond line" in description


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=120))
def test_ics_text_round_trips_any_text(text):
    session = Session(
        incident=Incident(title="t", started_at=datetime(2026, 1, 1, tzinfo=UTC),
                          resolved_at=datetime(2026, 1, 1, 1, tzinfo=UTC)),
        actions=[ActionItem(id="a-1", title="x", due=date(2026, 1, 20), criterion=text)],
    )
    raw = export(session, "ics", now=NOW).encode("utf-8")
    for physical in raw.split(b"\r\n"):
        assert len(physical) <= 75
        physical.decode("utf-8")  # never split inside a character
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[-1]
    criterion = " ".join(clean_text(text).split()) or "(none)"
    assert f"Success criterion: {criterion}\n" in str(event["DESCRIPTION"])


def test_ics_uid_of_an_odd_action_id_is_a_hash(demo):
    odd = demo.actions[0].model_copy(update={"id": "a weird;id,\nwith stuff"})
    session = demo.model_copy(update={"actions": [odd]})
    events = icalendar.Calendar.from_ical(export(session, "ics", now=NOW)).walk("VEVENT")
    uid = str(events[-1]["UID"])
    assert re.fullmatch(r"action-[0-9a-f]{12}-[0-9a-f]{16}@pmconsole", uid)



def _events(text: str) -> dict:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}


def test_ics_uids_survive_a_change_of_the_incident_title(demo):
    retitled = demo.model_copy(update={"incident": demo.incident.model_copy(
        update={"title": "Captures delayed: pool size read from a renamed key"})})
    assert list(_events(export(demo, "ics", now=NOW))) == list(
        _events(export(retitled, "ics", now=NOW)))


def test_ics_sequence_and_last_modified_move_only_for_what_changed(demo):
    first = export(demo, "ics", now=NOW)
    later = NOW + timedelta(days=2)
    again = _events(export(demo, "ics", now=later, previous=first))
    assert {e["SEQUENCE"] for e in again.values()} == {0}
    assert {e["LAST-MODIFIED"].dt for e in again.values()} == {NOW}
    assert {e["DTSTAMP"].dt for e in again.values()} == {later}

    moved = demo.actions[1].model_copy(update={"due": demo.actions[1].due + timedelta(days=1)})
    edited = demo.model_copy(update={"actions": [demo.actions[0], moved, *demo.actions[2:]]})
    second = export(edited, "ics", now=later, previous=first)
    events = _events(second)
    changed = {uid for uid, e in events.items() if e["SEQUENCE"] == 1}
    # The moved action, and the review, whose description lists every action's due day.
    assert changed == {f"action-{moved.id}-{session_uid_hash(demo)}@pmconsole",
                       f"review-{session_uid_hash(demo)}@pmconsole"}
    assert all(events[uid]["LAST-MODIFIED"].dt == later for uid in changed)
    third = _events(export(edited, "ics", now=later + timedelta(days=1), previous=second))
    assert {uid: e["SEQUENCE"] for uid, e in third.items()} == {
        uid: e["SEQUENCE"] for uid, e in events.items()}


def test_ics_cancels_what_was_dropped_or_is_gone(demo):
    first = export(demo, "ics", now=NOW)
    dropped = demo.actions[0].model_copy(update={"status": "dropped"})
    session = demo.model_copy(update={"actions": [dropped, *demo.actions[2:]]})
    events = _events(export(session, "ics", now=NOW + timedelta(days=1), previous=first))
    key = session_uid_hash(demo)
    for action in demo.actions[:2]:  # dropped in the session, and deleted from it
        event = events[f"action-{action.id}-{key}@pmconsole"]
        assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1
        assert "VALARM" not in [c.name for c in event.subcomponents]
    # Another incident's calendar in the file replaced is not cancelled into this one.
    other = demo.model_copy(update={"incident": demo.incident.model_copy(
        update={"started_at": demo.incident.started_at - timedelta(days=30)})})
    mixed = _events(export(demo, "ics", now=NOW, previous=export(other, "ics", now=NOW)))
    assert all(uid.endswith(f"-{key}@pmconsole") for uid in mixed)


def test_ics_owners_with_an_email_attend_and_due_days_remind_a_day_before(demo):
    owner = demo.actions[0].owner
    roster = [p.model_copy(update={"email": "jonas@example.com"}) if p.name == owner else p
              for p in demo.participants]
    assert roster != demo.participants
    session = demo.model_copy(update={"participants": roster})
    events = _events(export(session, "ics", now=NOW))
    key = session_uid_hash(demo)
    action = events[f"action-{demo.actions[0].id}-{key}@pmconsole"]
    attendee = action["ATTENDEE"]
    assert str(attendee) == "mailto:jonas@example.com" and attendee.params["CN"] == owner
    assert "ATTENDEE" not in events[f"action-{demo.actions[1].id}-{key}@pmconsole"]
    for uid in (f"review-{key}@pmconsole", f"action-{demo.actions[0].id}-{key}@pmconsole"):
        (alarm,) = events[uid].walk("VALARM")
        assert alarm["TRIGGER"].dt == timedelta(days=-1) and str(alarm["ACTION"]) == "DISPLAY"
    assert not events[f"meeting-{key}@pmconsole"].walk("VALARM")


def test_export_ics_again_from_the_command_line_updates_the_calendar(tmp_path, capsys):
    from conftest import run

    path = tmp_path / "demo.toml"
    path.write_bytes(DEMO.read_bytes())
    assert run(capsys, "export", path, "--format", "ics")[0] == 0
    out = tmp_path / "demo.ics"
    before = _events(out.read_text(encoding="utf-8"))
    session = load_session(path)
    action = session.actions[0]
    code, _, err = run(capsys, "action", "done", path, action.id)
    assert code == 0, err
    assert run(capsys, "export", path, "--format", "ics", "--force")[0] == 0
    after = _events(out.read_text(encoding="utf-8"))
    assert list(after) == list(before)
    uid = f"action-{action.id}-{session_uid_hash(session)}@pmconsole"
    assert after[uid]["SEQUENCE"] == 1 and str(after[uid]["SUMMARY"]).startswith("Action done")
    assert before[uid]["SEQUENCE"] == 0

# -- CSV --------------------------------------------------------------------------------------


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_reads_back_as_the_actions(demo):
    text = export(demo, "csv", now=NOW)
    header, *rows = _csv_rows(text)
    assert tuple(header) == CSV_HEADER
    assert len(rows) == len(demo.actions)
    factors = {f.id: f.text for f in demo.factors}
    # Each ticket leads back to its post-mortem.
    origin = f"From the post-mortem “{demo.incident.title}” of 2026-11-26."
    for row, action in zip(rows, demo.actions):
        assert row == [
            action.title,
            f"{action.description} {origin}",
            action.owner,
            action.due.isoformat(),
            action.criterion,
            action.status,
            "; ".join(factors[i] for i in action.factor_ids),
            action.staging_check.isoformat() if action.staging_check else "",
        ]
    assert text.endswith("\r\n")


def test_csv_neutralises_formulas_and_keeps_hostile_text_inert(demo):
    session = _hostile_session(demo)
    text = export(session, "csv", now=NOW)
    assert "\x1b" not in text and "\x07" not in text
    header, *rows = _csv_rows(text)
    assert all(len(row) == len(header) for row in rows)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    by_id = dict(zip((a.id for a in session.actions), rows))
    for n, start in enumerate(FORMULA_STARTS):
        row = by_id[f"a-formula-{n}"]
        expected = "'" + clean_text(start)
        assert row[0] == row[2] == row[4] == expected
        assert row[1].startswith(expected + " From the post-mortem “")
    hostile = by_id["a-hostile"]
    assert hostile[0] == hostile[2] == hostile[4] == HOSTILE_TEXT
    assert hostile[1].startswith(HOSTILE_TEXT + "\nsecond line From the post-mortem “")
    assert hostile[6] == HOSTILE_TEXT + "; # " + HOSTILE_TEXT


def test_dropped_actions_are_no_tickets_and_one_line_under_the_summary(demo):
    dropped, kept = demo.actions[0], demo.actions[1:]
    session = demo.model_copy(update={"actions": [
        dropped.model_copy(update={"status": "dropped"}), *kept]})
    header, *rows = _csv_rows(export(session, "csv", now=NOW))
    assert [row[0] for row in rows] == [a.title for a in kept]
    line = f"Dropped in the meeting: {dropped.title}."
    md = export(session, "md", now=NOW)
    table = md.split("## Actions", 1)[1].split(line, 1)[0]
    assert dropped.title not in table and all(a.title in table for a in kept)
    assert line in md
    page = export(session, "html", now=NOW)
    assert html.escape(line, quote=False) in page
    assert page.count(html.escape(dropped.title, quote=False)) == 1  # in that line alone
    # An action with no description still says where it comes from.
    bare = demo.model_copy(update={"actions": [kept[0].model_copy(update={"description": ""})]})
    header, row = _csv_rows(export(bare, "csv", now=NOW))
    assert row[1] == f"From the post-mortem “{demo.incident.title}” of 2026-11-26."


def test_csv_cell_rules():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("\x1b[31m=1") == "'=1"  # stripping the escape must not uncover a formula
    assert csv_cell("a=1") == "a=1"
    assert csv_cell("") == ""


# -- text cleaning ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]8;;http://x\x07link\x1b]8;;\x07", "link"),
        ("\x1b]0;title\x1b\\after", "after"),
        ("\x9b31mred", "red"),
        ("a\x1bcb", "ab"),  # ESC c resets a terminal: both go
        ("end\x1b", "end"),
        ("bell\x07 nul\x00 del\x7f", "bell nul del"),
        ("one\r\ntwo\rthree\tfour", "one\ntwo\nthree\tfour"),
    ],
)
def test_clean_removes_terminal_escapes_and_controls(raw, expected):
    assert clean_text(raw) == expected


# -- one registry of formats ------------------------------------------------------------------


def test_every_place_that_offers_exports_reads_the_one_registry(capsys):
    from pmconsole.cli import main
    from pmconsole.tui.screens.wrapup import WrapUpStep

    with pytest.raises(SystemExit) as exit:
        main(["export", "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    choices = re.search(r"--format \{([^}]*)\}", out).group(1).split(",")
    assert choices == list(FORMATS)
    keys = {b.action: b.key for b in WrapUpStep.BINDINGS if b.action.startswith("export(")}
    assert keys == {f"export('{f.name}')": f.key for f in FORMATS.values()}
    # One key one thing: the formats' keys and the wrap-up's other keys (the two-week review).
    every = [b.key for b in WrapUpStep.BINDINGS]
    assert len(set(every)) == len(every)


def test_the_readme_lists_the_formats_the_registry_has():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (\w) \| `incident(\.[\w.]+)` \| (.+) \|$", readme, re.M)
    assert rows == [
        (f.name, f.key, default_output(Path("incident.toml"), f.name).name[len("incident"):],
         f.description)
        for f in FORMATS.values()
    ]


def test_the_console_imports_no_format_writer_jinja_or_icalendar_at_start():
    probe = (
        "import sys, pmconsole.tui.app, pmconsole.tui.screens.wrapup, pmconsole.exporters; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'icalendar') "
        "or m.startswith('pmconsole.exporters.') and m != 'pmconsole.exporters.common'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- the roster's e-mail and tracker login -----------------------------------------------------


@pytest.mark.parametrize("field, value", [("email", "jo at example"), ("email", "a;b@x.org"),
                                          ("handle", "@jonas"), ("handle", "jonas weber")])
def test_a_bad_email_or_handle_is_one_line_naming_the_file_and_line(tmp_path, capsys, field,
                                                                    value):
    from conftest import one_line, run

    text = DEMO.read_text(encoding="utf-8")
    at = text.index("\n", text.index("name =", text.index("[[participants]]"))) + 1
    path = tmp_path / "roster.toml"
    path.write_text(text[:at] + f'{field} = "{value}"\n' + text[at:], encoding="utf-8")
    code, _, err = run(capsys, "check", path)
    line = text[:at].count("\n") + 1
    assert code == 2
    assert one_line(err).startswith(f"pmconsole: {path}:{line}: participants.0.{field}: ")


def test_email_and_handle_are_kept_and_read_back(demo):
    roster = [demo.participants[0].model_copy(
        update={"email": "amara.okafor@example.com", "handle": "amara-o"})]
    session = demo.model_copy(update={"participants": roster})
    back = Session.model_validate_json(export(session, "json", now=NOW))
    assert (back.participants[0].email, back.participants[0].handle) == (
        "amara.okafor@example.com", "amara-o")


# -- the HTML printed -------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


def test_html_prints_on_one_page_on_letter_and_a4_with_the_appendix_after(demo, held, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium); "
                    "the print test did not run")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.skip(f"playwright is not installed ({err}); the print test did not run")
    pages: dict[tuple[str, str], int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page()
            for name, session in (("demo", demo), ("held", held)):
                path = tmp_path / f"{name}.html"
                path.write_text(export(session, "html", now=NOW), encoding="utf-8")
                page.goto(path.as_uri())
                for paper in ("Letter", "A4"):
                    pdf = page.pdf(format=paper)  # Chromium's own print, as a user prints it
                    pages[name, paper] = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        finally:
            browser.close()
    assert pages == {("demo", "Letter"): 1, ("demo", "A4"): 1,
                     ("held", "Letter"): 2, ("held", "A4"): 2}


# -- the JSON's schema, and an export read back ------------------------------------------------


def test_the_shipped_schema_is_the_models_and_every_json_export_fits_it(demo, held):
    import jsonschema

    from pmconsole.exporters.json_export import schema_text

    shipped = ROOT / "docs" / "session.schema.json"
    if os.environ.get("UPDATE_GOLDEN"):
        shipped.write_text(schema_text(), encoding="utf-8")
    assert shipped.read_text(encoding="utf-8") == schema_text(), (
        "docs/session.schema.json is not the model's: regenerate it with UPDATE_GOLDEN=1")
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    exports = [json.loads(p.read_text(encoding="utf-8")) for p in GOLDEN.glob("*.json")]
    exports += [json.loads(export(s, "json", now=NOW)) for s in (held, _hostile_session(demo))]
    assert len(exports) >= 3
    for data in exports:
        assert list(validator.iter_errors(data)) == []
    wrong = {**exports[0], "incident": {**exports[0]["incident"], "severity": "SEV9"}}
    assert list(validator.iter_errors(wrong))
    assert list(validator.iter_errors({**exports[0], "surprise": 1}))


def test_new_from_json_turns_an_export_back_into_the_session(demo, held, tmp_path, capsys):
    from conftest import one_line, run

    source = tmp_path / "held.json"
    source.write_text(export(held, "json", now=NOW), encoding="utf-8")
    path = tmp_path / "again.toml"
    code, out, err = run(capsys, "new", path, "--from-json", source)
    assert (code, out) == (0, f"created {path}\n"), err
    assert load_session(path) == Session.model_validate(session_data_of(held))

    bad = tmp_path / "bad.json"
    for content, says in (('{"schema_version": 1,\n "incident": {', f"{bad}:2: is not JSON"),
                          ('{"schema_version": 1, "incident": {"title": "x"}}',
                           f"{bad}: incident.started_at: Field required"),
                          ('[1, 2]', f"{bad}: is not a pmconsole JSON export")):
        bad.write_text(content, encoding="utf-8")
        code, _, err = run(capsys, "new", tmp_path / "no.toml", "--from-json", bad)
        assert code == 2 and one_line(err).startswith(f"pmconsole: {says}"), err
        assert not (tmp_path / "no.toml").exists()
    code, _, err = run(capsys, "new", tmp_path / "no.toml", "--from-json", source, "--title", "x")
    assert code == 2 and "leave out --title" in one_line(err)
    code, _, err = run(capsys, "new", tmp_path / "no.toml", "--title", "x")
    assert code == 2 and "--incident-start, --incident-end" in one_line(err)


def session_data_of(session: Session) -> dict:
    from pmconsole.exporters.json_export import session_data

    return session_data(session)
