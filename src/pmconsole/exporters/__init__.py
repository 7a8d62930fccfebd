"""Session -> documents: the one-page summary (Markdown, HTML with an SVG timeline), the whole
session (JSON), the dates (iCalendar) and the action items (CSV).

``export(session, fmt, now=...)`` returns the whole document as text. It is a pure function of
the session and ``now``: nothing here reads a file, writes one or looks at the clock unless
``now`` is None. The caller decides where the text goes (``default_output`` names the usual
file) and refuses to export an over-long summary unless forced (``one_page_blocks``).

Decisions the formats share:

- **User text is data, never markup.** Terminal escape sequences and C0/C1 control characters
  (except newline and tab) are removed from every text value in md, html, ics and csv. Markdown
  backslash-escapes whatever could start markup in CommonMark or GitHub's dialect; HTML goes
  through ``html.escape(quote=True)`` everywhere, SVG included, and the page carries a
  Content-Security-Policy that forbids scripts and every fetch; iCalendar escapes TEXT values as
  RFC 5545 says; CSV cells that a spreadsheet would read as a formula get a leading apostrophe.
- **JSON is the plain session**, ``session.model_dump(mode="json")`` with feedback sorted by id,
  not wrapped in an envelope: it has the same shape as the TOML file (``schema_version`` is its
  first key, so a reader can still tell the version), ``Session.model_validate`` reads it back
  as it is, and docs/session-format.md already documents this shape. JSON escaping makes any
  text inert, so the data is kept exactly as stored; only DEL, the C1 controls and U+2028/2029
  are written as ``\\u`` escapes so that printing the file cannot drive a terminal.
- **Times** are shown in the incident's time zone (the incident line adds UTC, which logs and
  summaries often use); day and month names are spelled here, not by the C library, so the
  output does not change with the locale.
- **iCalendar UIDs** are ``meeting-<h>@pmconsole``, ``review-<h>@pmconsole`` and
  ``action-<action id>-<h>@pmconsole``, where ``<h>`` hashes the incident's title and start:
  exporting again, after any other edit, updates the same calendar entries.
- **CSV** has the columns of ``CSV_HEADER``, one row per action in the session's order, UTF-8
  without a byte-order mark, CRLF line ends. Dropped actions are left out: a tracker importing
  the file would open a ticket for each. The description ends with the post-mortem it comes
  from (the incident's title and the meeting's day), so a ticket leads back to it.
- **Dropped actions** are named in one line under the summary's table of actions, not in it.
- **What was said in the room** (the note-taker's notes per step and the anonymous feedback's
  own words) follows the one page in an appendix, after its footer (printed, on a page of its
  own), so the page stays one page whatever was said. The page keeps the feedback's count and
  average. The answers are listed without order or identity: "what went well" and "what was not
  said" in two lists, each in the order of its words, so neither who answered first nor one
  person's two answers can be told. Sessions with neither notes nor words have no appendix.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from pmconsole.domain.model import (
    FACTOR_CATEGORIES,
    STEP_NAMES,
    WRAP_UP,
    ActionItem,
    Feedback,
    Session,
    TimelineEvent,
    format_duration,
)
from pmconsole.domain.meeting import meeting_clock
from pmconsole.domain.text import clean_text
from pmconsole.domain.rules import OPEN_LIMIT, Finding, LogFacts, facts_one_page, followup_review_date

FORMATS: tuple[str, ...] = ("md", "html", "json", "ics", "csv")
SUFFIX: dict[str, str] = {
    "md": ".md", "html": ".html", "json": ".json", "ics": ".ics", "csv": ".csv"
}
# What goes between the session's stem and the suffix in the default file name.
_DEFAULT_INFIX: dict[str, str] = {"md": ".summary", "csv": ".actions"}

KEY_TIMELINE_ROWS = 15  # the key timeline table of the summary holds at most this many events
CSV_HEADER: tuple[str, ...] = (
    "Title",
    "Description",
    "Owner",
    "Due date",
    "Success criterion",
    "Status",
    "Linked factors",
    "Staging check",
)
ICS_PRODID = "-//pmconsole//Post-mortem export//EN"

UTC = timezone.utc
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_KIND_PLURAL = {
    "alert": "Alerts",
    "decision": "Decisions",
    "action": "Actions",
    "observation": "Observations",
}


# -- the public API ----------------------------------------------------------------------------


def export(session: Session, fmt: str, *, now: datetime | None = None) -> str:
    """The whole document in ``fmt`` (one of ``FORMATS``) as text."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _EXPORTERS[fmt](session, now)


def one_page_blocks(session: Session) -> list[Finding]:
    """The ``facts.one_page`` block findings: empty when the summary fits on one page."""
    # The rule reads neither the log nor the time; any aware moment will do.
    findings = facts_one_page(session, LogFacts(), datetime(2000, 1, 1, tzinfo=UTC))
    return [f for f in findings if f.severity == "block"]


def default_output(session_path: Path, fmt: str) -> Path:
    """Where an export goes unless told otherwise: beside the session file.

    ``incident.toml`` -> ``incident.summary.md``, ``incident.html``, ``incident.json``,
    ``incident.ics``, ``incident.actions.csv``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    session_path = Path(session_path)
    stem = session_path.name.removesuffix(".toml") or session_path.name
    return session_path.with_name(stem + _DEFAULT_INFIX.get(fmt, "") + SUFFIX[fmt])


# -- text that came from people ----------------------------------------------------------------

def _one_line(text: str) -> str:
    """Clean text with every run of white space (newlines too) as one space."""
    return " ".join(clean_text(text).split())


def _paragraphs(text: str) -> list[list[str]]:
    """Clean text as paragraphs (split at blank lines), each a list of stripped lines."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in clean_text(text).split("\n"):
        line = " ".join(line.split())
        if line:
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


# -- times -------------------------------------------------------------------------------------


def _day(day: date) -> str:
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _zone_label(session: Session, moment: datetime) -> str:
    """The zone's abbreviation at that moment (CET), with its IANA name when they differ."""
    abbr = session.local(moment).tzname() or ""
    name = session.incident.timezone
    return name if abbr in ("", name) else f"{abbr} ({name})"


def _moment(session: Session, moment: datetime) -> str:
    """Thu 26 Nov 2026, 10:00 CET"""
    local = session.local(moment)
    return f"{_day(local.date())}, {local:%H:%M} {local.tzname()}"


def _incident_span(session: Session) -> str:
    """Mon 23 Nov 2026, 14:50 – 18:40 CET (Europe/Berlin), or both days when it spans more."""
    inc = session.incident
    start, end = session.local(inc.started_at), session.local(inc.resolved_at)
    zone = _zone_label(session, inc.resolved_at)
    if start.date() == end.date():
        same_abbr = start.tzname() == end.tzname()
        first = f"{start:%H:%M}" if same_abbr else f"{start:%H:%M} {start.tzname()}"
        span = f"{_day(start.date())}, {first} – {end:%H:%M} {zone}"
    else:
        span = (
            f"{_day(start.date())}, {start:%H:%M} {start.tzname()} – "
            f"{_day(end.date())}, {end:%H:%M} {zone}"
        )
    if start.utcoffset() or end.utcoffset():
        # Logs, alerts and often the summary itself speak UTC: give readers both clocks.
        first_utc, last_utc = inc.started_at.astimezone(UTC), inc.resolved_at.astimezone(UTC)
        if first_utc.date() == last_utc.date():
            span += f"; {first_utc:%H:%M} – {last_utc:%H:%M} UTC"
        else:
            span += (
                f"; {first_utc.day} {_MONTHS[first_utc.month - 1]} {first_utc:%H:%M} – "
                f"{last_utc.day} {_MONTHS[last_utc.month - 1]} {last_utc:%H:%M} UTC"
            )
    return span


def _event_time(session: Session, event: TimelineEvent) -> str:
    """14:37 on the incident's first day; Tue 24 Nov 01:10 on any other."""
    first_day = session.local(session.incident.started_at).date()
    local = session.local(event.at)
    clock = f"{local:%H:%M}"
    if local.date() != first_day:
        clock = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {clock}"
    if local.tzname() != session.local(session.incident.started_at).tzname():
        clock += f" {local.tzname()}"
    return clock


def _meeting_line(session: Session) -> str:
    meeting = session.meeting
    at = meeting.scheduled_at
    if at is None:
        return "not scheduled yet"
    line = f"{_moment(session, at)}, {meeting.planned_minutes} min planned"
    if meeting.ended_at is not None:
        # The length as the console's meeting clock showed it at the end: pauses left out.
        held = meeting_clock(session, meeting.ended_at).elapsed
        line += f", {round(held / 60)} min held"
    return line


def _exported_line(session: Session, now: datetime) -> str:
    return f"Exported by pmconsole on {_moment(session, now)}."


# -- what the summary shows --------------------------------------------------------------------


def key_timeline(session: Session) -> list[TimelineEvent]:
    """The events the summary lists: the first event (what set the incident off) and the major
    events, then alerts, then decisions, at most ``KEY_TIMELINE_ROWS`` of them, in time
    order."""
    rank = {"alert": 1, "decision": 2}
    ordered = session.sorted_timeline()
    first = ordered[0].id if ordered else None
    candidates = [e for e in ordered if e.major or e.kind in rank or e.id == first]
    chosen = sorted(candidates, key=lambda e: (
        0 if e.major or e.id == first else rank[e.kind], e.at, e.id))
    return sorted(chosen[:KEY_TIMELINE_ROWS], key=lambda e: (e.at, e.id))


def _major_numbers(session: Session) -> dict[str, int]:
    """Major events numbered 1, 2, … in time order: the SVG and the table share the numbers."""
    return {e.id: n for n, e in enumerate(session.major_events(), start=1)}


def _factor_groups(session: Session) -> list[tuple[str, list[str]]]:
    """(heading, factor texts) by category in the method's order; uncategorised last."""
    groups: list[tuple[str, list[str]]] = []
    for category in (*FACTOR_CATEGORIES, None):
        texts = [
            _one_line(f.text)
            for f in session.factors
            if f.category == category and f.text.strip()
        ]
        if texts:
            groups.append((category.capitalize() if category else "Not categorised", texts))
    return groups


def _feedback_line(session: Session) -> str:
    answers = session.feedback
    if not answers:
        if session.meeting.feedback_offered:
            return "The anonymous feedback form was offered; no answers yet."
        return "The anonymous feedback form has not been offered yet."
    ratings = [f.rating for f in answers if f.rating is not None]
    line = f"{len(answers)} anonymous answer{'s' if len(answers) != 1 else ''}"
    if ratings:
        average = sum(ratings) / len(ratings)
        line += f"; average rating {average:.1f} of 5"
        if len(ratings) != len(answers):
            line += f" ({len(ratings)} rated)"
    line += "."
    if _feedback_words(session):
        line += " Their words are in the appendix."
    return line


# -- the appendix: what was said in the room ---------------------------------------------------

APPENDIX_TITLE = "Appendix — notes and anonymous feedback"
APPENDIX_NOTE = (
    "What was said in the room, after the one-page summary and not part of it: the "
    "note-taker's notes per step, and the anonymous answers in their own words, without order "
    "or names."
)


def _step_heading(step_id: str) -> tuple[int, str]:
    """(place, heading) of a step's notes: "Notes, step 3: Psychological safety"."""
    if step_id.isdigit() and 1 <= int(step_id) <= len(STEP_NAMES):
        return int(step_id), f"Notes, step {step_id}: {STEP_NAMES[int(step_id) - 1]}"
    if step_id == str(WRAP_UP):
        return WRAP_UP, "Notes, wrap-up"
    return WRAP_UP + 1, f"Notes, {_one_line(step_id)}"  # a hand-written id, last


def _step_notes(session: Session) -> list[tuple[str, list[list[str]]]]:
    """(heading, paragraphs) of every step with notes, in step order."""
    notes = [
        (*_step_heading(note.id), paragraphs)
        for note in session.notes
        if (paragraphs := _paragraphs(note.text))
    ]
    return [(heading, paragraphs) for _, heading, paragraphs in sorted(notes, key=lambda n: n[:2])]


def _feedback_words(session: Session) -> list[tuple[str, list[str]]]:
    """(heading, answers) for what went well and what was not said, each list in the order of
    its words: nothing in it tells who answered first, nor pairs one person's two answers."""
    groups = []
    for heading, field in (("what went well", "comment"),
                           ("what was not said in the room", "unsaid")):
        words = [w for f in session.feedback if (w := _one_line(getattr(f, field)))]
        if words:
            groups.append((f"Anonymous feedback: {heading}",
                           sorted(words, key=lambda w: (w.casefold(), w))))
    return groups


def _followup_line(session: Session) -> str:
    review = followup_review_date(session)
    open_count = len(session.open_actions())
    opened = (
        f"{open_count} action item{'s' if open_count != 1 else ''} open "
        f"(never more than {OPEN_LIMIT})."
    )
    if review is None:
        return f"Not set yet (two weeks after the meeting, once that is scheduled). {opened}"
    return f"{_day(review)} — publish the progress of every action. {opened}"


def _due_text(action: ActionItem) -> str:
    due = _day(action.due) if action.due else "no due date"
    if action.staging_check:
        due += f" (staging check {_day(action.staging_check)})"
    return due


# -- Markdown ----------------------------------------------------------------------------------

# Characters that start markup anywhere in a line, in CommonMark or GitHub's dialect
# (~ strikes through, $ starts maths on GitHub, | splits table cells).
_MD_ANYWHERE = frozenset("\\`*[]<|~$")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def md_escape(text: str, *, extra: str = "") -> str:
    """One line of clean text with every inline markup character backslash-escaped.

    ``_`` is left alone between two letters or digits, where CommonMark never reads it as
    emphasis (``DB_POOL_MAX`` stays readable); ``&`` only where it would start an entity.
    ``extra`` names more characters to escape (``#`` in a heading).
    """
    out: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in _MD_ANYWHERE or ch in extra:
            out.append("\\" + ch)
        elif ch == "_" and not (
            0 < i < last and text[i - 1].isalnum() and text[i + 1].isalnum()
        ):
            out.append("\\_")
        else:
            out.append(ch)
    return _MD_ENTITY.sub(r"\\&", "".join(out))


def _md_line(text: str) -> str:
    """One line that starts a block (a paragraph line, a list item): escaped inline, and its
    first character escaped too where it would start a heading, quote, list or rule."""
    line = md_escape(text.strip())
    if line[:1] in ("#", ">", "+", "-", "="):
        return "\\" + line
    if match := _MD_ORDERED.match(line):
        return match.group(1) + "\\" + line[len(match.group(1)):]
    return line


def _md_cell(text: str) -> str:
    """A table cell: one line, pipes escaped (md_escape does that)."""
    return md_escape(_one_line(text))


def _md_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = list(row)
        assert len(cells) == len(header)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def export_md(session: Session, now: datetime) -> str:
    inc = session.incident
    out: list[str] = [f"# {md_escape(_one_line(inc.title) or 'Untitled incident', extra='#')}", ""]
    facts = [
        f"**Severity:** {inc.severity}",
        f"**Incident:** {md_escape(_incident_span(session))}",
        f"**Post-mortem meeting:** {md_escape(_meeting_line(session))}",
    ]
    if inc.tags:
        facts.append(f"**Tags:** {md_escape(', '.join(_one_line(t) for t in inc.tags))}")
    # A trailing backslash is CommonMark's hard line break: one fact per line, one paragraph.
    out += [line + "\\" for line in facts[:-1]] + [facts[-1], ""]

    out += ["## Learning question", ""]
    question = _paragraphs(session.question.text)
    if question:
        for i, paragraph in enumerate(question):
            if i:
                out.append(">")
            out += [f"> {_md_line(line)}" for line in paragraph]
    else:
        out.append("*No learning question is set yet.*")
    out.append("")

    durations = session.durations()
    out += ["## Durations", ""]
    out += _md_table(
        ("Time to detect", "Time to mitigate", "Time to resolve"),
        [[format_duration(durations[k]) for k in ("detect", "mitigate", "resolve")]],
    )
    out += ["", "*Each from the start of the incident.*", ""]

    summary = _paragraphs(session.summary)
    if summary:
        out += ["## What happened", ""]
        for paragraph in summary:
            out += [_md_line(line) for line in paragraph] + [""]

    out += ["## Key timeline", ""]
    events = key_timeline(session)
    numbers = _major_numbers(session)
    if events:
        start = session.local(inc.started_at)
        out += _md_table(
            (f"Time ({start.tzname()})", "Kind", "What happened", "Source"),
            (
                [
                    md_escape(_event_time(session, e)),
                    (f"★ {e.kind}" if e.id in numbers else e.kind),
                    _md_cell(e.text)
                    + (" *(interpretation)*" if e.basis == "interpretation" else ""),
                    _md_cell(e.source),
                ]
                for e in events
            ),
        )
        left = len(session.timeline) - len(events)
        note = "★ major event."
        if left > 0:
            note += f" {left} more event{'s' if left != 1 else ''} in the session's full timeline."
        out += ["", f"*{note}*", ""]
    else:
        out += ["*No major events, alerts or decisions are on the timeline yet.*", ""]

    out += ["## Contributing factors", ""]
    groups = _factor_groups(session)
    if groups:
        for heading, texts in groups:
            out += [f"### {heading}", ""] + [f"- {_md_line(t)}" for t in texts] + [""]
    else:
        out += ["*No contributing factors are recorded yet.*", ""]

    out += ["## Actions", ""]
    agreed = session.agreed_actions()
    if agreed:
        out += _md_table(
            ("Action", "Owner", "Due", "Success criterion", "Status"),
            (
                [
                    _md_cell(a.title),
                    _md_cell(a.owner) or "—",
                    md_escape(_due_text(a)),
                    _md_cell(a.criterion) or "—",
                    a.status,
                ]
                for a in agreed
            ),
        )
        out.append("")
    else:
        out += ["*No action items are agreed yet.*", ""]
    if dropped := _dropped_line(session):
        out += [md_escape(dropped), ""]
    out += [f"**Follow-up review:** {md_escape(_followup_line(session))}", ""]

    out += ["## Anonymous feedback", "", md_escape(_feedback_line(session)), ""]

    out += ["---", "", f"*{md_escape(_exported_line(session, now))}*"]
    out += _appendix_md(session)
    return "\n".join(out) + "\n"


def _appendix_md(session: Session) -> list[str]:
    notes, words = _step_notes(session), _feedback_words(session)
    if not notes and not words:
        return []
    out = ["", "---", "", f"## {APPENDIX_TITLE}", "", f"*{md_escape(APPENDIX_NOTE)}*", ""]
    for heading, paragraphs in notes:
        out += [f"### {md_escape(heading, extra='#')}", ""]
        for paragraph in paragraphs:
            # A hard line break (trailing backslash) keeps the note-taker's lines as typed.
            lines = [_md_line(line) for line in paragraph]
            out += [line + "\\" for line in lines[:-1]] + [lines[-1], ""]
    for heading, answers in words:
        out += [f"### {heading}", ""] + [f"- {_md_line(a)}" for a in answers] + [""]
    return out[:-1]


# -- HTML --------------------------------------------------------------------------------------


def _h1(text: str) -> str:
    """User text as one clean line, escaped for HTML and SVG, quotes included."""
    return html.escape(_one_line(text), quote=True)


_CSS = """
:root { --ink: #1d2329; --muted: #5b6670; --rule: #c9d0d6; --alert: #c0392b;
  --decision: #b7791f; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 60rem; padding: 1.2rem; color: var(--ink);
  font: 10pt/1.35 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
h1 { font-size: 15pt; margin: 0 0 .2rem; line-height: 1.2; }
h2 { font-size: 10.5pt; margin: .9rem 0 .3rem; padding-bottom: .1rem;
  border-bottom: 1px solid var(--rule); text-transform: uppercase; letter-spacing: .04em; }
h3 { font-size: 9.5pt; margin: .4rem 0 .1rem; }
p { margin: .2rem 0; }
.facts { color: var(--muted); margin: 0; }
.facts b { color: var(--ink); }
.sev { display: inline-block; padding: 0 .35em; border: 1px solid var(--ink); font-weight: 700; }
.lead { display: grid; grid-template-columns: 2fr 1fr; gap: 1rem; align-items: start; }
blockquote { margin: .2rem 0; padding: .25rem .6rem; border-left: 4px solid var(--ink);
  font-size: 11pt; font-weight: 600; }
.durations { display: grid; grid-template-columns: repeat(3, 1fr); gap: .3rem; margin: 0; }
.durations div { border: 1px solid var(--rule); padding: .2rem .35rem; }
.durations dt { font-size: 8pt; color: var(--muted); }
.durations dd { margin: 0; font-weight: 700; }
.durations .detect { border-top: 4px solid var(--alert); }
.durations .mitigate { border-top: 4px solid var(--decision); }
.durations .resolve { border-top: 4px solid #3c8d40; }
figure { margin: .3rem 0 0; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 8pt; color: var(--muted); }
.two { display: grid; grid-template-columns: 1fr 1.15fr; gap: 1rem; align-items: start; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
th, td { text-align: left; vertical-align: top; padding: .12rem .3rem;
  border-bottom: 1px solid var(--rule); }
th { font-weight: 600; color: var(--muted); }
td.time, td.owner { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.major td { font-weight: 600; }
.kind { white-space: nowrap; }
.note { font-size: 8pt; color: var(--muted); }
.interp { font-style: italic; color: var(--muted); font-weight: 400; }
.factors { columns: 2; column-gap: 1rem; }
.factors li { break-inside: avoid; }
.factors h3, h2 { break-after: avoid; }
.factors ul, .feedback ul { margin: 0 0 .3rem; padding-left: 1rem; }
.factors li, .feedback li { margin: 0; }
footer { margin-top: .8rem; font-size: 7.5pt; color: var(--muted); }
.appendix { margin-top: 1.5rem; padding-top: .3rem; border-top: 3px double var(--rule);
  break-before: page; }
.appendix section { break-inside: avoid; }
@page { margin: 8mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 7.2pt; line-height: 1.2; }
  .factors { columns: 3; column-gap: .8rem; }
  h1 { font-size: 12pt; }
  h2 { font-size: 7.8pt; margin: .35rem 0 .12rem; }
  h3 { font-size: 7.5pt; margin: .2rem 0 0; }
  blockquote { font-size: 8.5pt; padding: .1rem .4rem; }
  table { font-size: 6.9pt; }
  th, td { padding: .05rem .2rem; }
  .durations dt, .note, figcaption { font-size: 6.5pt; }
  footer { margin-top: .15rem; font-size: 6.5pt; }
  figure, tr, blockquote { break-inside: avoid; }
}
""".strip()


def export_html(session: Session, now: datetime) -> str:
    inc = session.incident
    title = _h1(inc.title) or "Untitled incident"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Defence in depth: even if something slipped through escaping, nothing runs or loads.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Post-mortem: {title}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{title}</h1>",
        f'<p class="facts"><span class="sev">{html.escape(inc.severity)}</span> · '
        f"<b>Incident</b> {html.escape(_incident_span(session))} · "
        f"<b>Post-mortem meeting</b> {html.escape(_meeting_line(session))}"
        + (
            f" · <b>Tags</b> {html.escape(', '.join(_one_line(t) for t in inc.tags))}"
            if inc.tags
            else ""
        )
        + "</p>",
        "</header>",
    ]

    durations = session.durations()
    question = _paragraphs(session.question.text)
    question_html = (
        "".join(f"<p>{html.escape(' '.join(p))}</p>" for p in question)
        if question
        else '<p class="note">No learning question is set yet.</p>'
    )
    parts += [
        '<div class="lead">',
        f'<section><h2>Learning question</h2><blockquote>{question_html}</blockquote></section>',
        '<section><h2>Durations</h2><dl class="durations">',
        *(
            f'<div class="{key}"><dt>Time to {key}</dt>'
            f"<dd>{html.escape(format_duration(durations[key]))}</dd></div>"
            for key in ("detect", "mitigate", "resolve")
        ),
        "</dl></section>",
        "</div>",
        "<section>",
        "<h2>Timeline</h2>",
        "<figure>",
        timeline_svg(session),
        "<figcaption>Every event of the timeline, in "
        f"{html.escape(_zone_label(session, inc.started_at))}. Large numbered markers: "
        "major events, numbered as in the key timeline.</figcaption>",
        "</figure>",
        "</section>",
    ]

    summary = _paragraphs(session.summary)
    parts.append('<div class="two">')
    if summary:
        parts += [
            "<section>",
            "<h2>What happened</h2>",
            *(f"<p>{html.escape(' '.join(p))}</p>" for p in summary),
            "</section>",
        ]
    parts += ["<section>", "<h2>Key timeline</h2>", _key_timeline_html(session), "</section>"]
    parts.append("</div>")

    parts += ["<section>", "<h2>Contributing factors</h2>"]
    groups = _factor_groups(session)
    if groups:
        parts.append('<div class="factors">')
        for heading, texts in groups:
            parts += [
                f"<section><h3>{html.escape(heading)}</h3><ul>",
                *(f"<li>{html.escape(t)}</li>" for t in texts),
                "</ul></section>",
            ]
        parts.append("</div>")
    else:
        parts.append('<p class="note">No contributing factors are recorded yet.</p>')
    parts.append("</section>")

    parts += ["<section>", "<h2>Actions</h2>"]
    agreed = session.agreed_actions()
    if agreed:
        parts += [
            "<table>",
            "<thead><tr><th>Action</th><th>Owner</th><th>Due</th><th>Success criterion</th>"
            "<th>Status</th></tr></thead>",
            "<tbody>",
            *(
                f"<tr><td>{_h1(a.title)}</td><td class=\"owner\">{_h1(a.owner) or '—'}</td>"
                f"<td>{html.escape(_due_text(a))}</td><td>{_h1(a.criterion) or '—'}</td>"
                f"<td>{html.escape(a.status)}</td></tr>"
                for a in agreed
            ),
            "</tbody>",
            "</table>",
        ]
    else:
        parts.append('<p class="note">No action items are agreed yet.</p>')
    if dropped := _dropped_line(session):
        parts.append(f'<p class="note">{html.escape(dropped)}</p>')
    parts += ["</section>", '<div class="two">']
    parts += [
        "<section>",
        "<h2>Follow-up review</h2>",
        f"<p>{html.escape(_followup_line(session))}</p>",
        "</section>",
        '<section class="feedback">',
        "<h2>Anonymous feedback</h2>",
        f"<p>{html.escape(_feedback_line(session))}</p>",
    ]
    parts += [
        "</section>",
        "</div>",
        f"<footer>{html.escape(_exported_line(session, now))}</footer>",
        *_appendix_html(session),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _appendix_html(session: Session) -> list[str]:
    notes, words = _step_notes(session), _feedback_words(session)
    if not notes and not words:
        return []
    parts = [
        '<section class="appendix">',
        f"<h2>{html.escape(APPENDIX_TITLE)}</h2>",
        f'<p class="note">{html.escape(APPENDIX_NOTE)}</p>',
    ]
    for heading, paragraphs in notes:
        parts += [
            f"<section><h3>{html.escape(heading)}</h3>",
            *(f"<p>{'<br>'.join(html.escape(line) for line in p)}</p>" for p in paragraphs),
            "</section>",
        ]
    for heading, answers in words:
        parts += [
            f'<section class="feedback"><h3>{html.escape(heading)}</h3><ul>',
            *(f"<li>{html.escape(a)}</li>" for a in answers),
            "</ul></section>",
        ]
    parts.append("</section>")
    return parts


def _key_timeline_html(session: Session) -> str:
    events = key_timeline(session)
    if not events:
        return '<p class="note">No major events, alerts or decisions are on the timeline yet.</p>'
    numbers = _major_numbers(session)
    start = session.local(session.incident.started_at)
    rows = []
    for e in events:
        number = numbers.get(e.id)
        kind = f"★{number} {e.kind}" if number else e.kind
        interp = (
            ' <span class="interp">(interpretation)</span>' if e.basis == "interpretation" else ""
        )
        source = f' <span class="note">— {_h1(e.source)}</span>' if e.source.strip() else ""
        row_class = ' class="major"' if number else ""
        rows.append(
            f"<tr{row_class}>"
            f'<td class="time">{html.escape(_event_time(session, e))}</td>'
            f'<td class="kind">{html.escape(kind)}</td>'
            f"<td>{_h1(e.text)}{interp}{source}</td></tr>"
        )
    left = len(session.timeline) - len(events)
    more = (
        f'<p class="note">{left} more event{"s" if left != 1 else ""} in the full timeline '
        f"(drawn above).</p>"
        if left > 0
        else ""
    )
    return (
        "<table>"
        f"<thead><tr><th>{html.escape(start.tzname() or '')}</th><th>Kind</th>"
        "<th>What happened</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table>" + more
    )


# -- the timeline as SVG -----------------------------------------------------------------------

_SVG_WIDTH = 1000
_SVG_LEFT = 112  # room for the lane names
_SVG_RIGHT = 16
_BAND_TOP, _BAND_HEIGHT = 8, 20
_LANE_TOP, _LANE_HEIGHT = 46, 17
_LANES: tuple[str, ...] = ("alert", "decision", "action", "observation")
_KIND_COLOUR = {
    "alert": "#c0392b",
    "action": "#1f7a8c",
    "decision": "#b7791f",
    "observation": "#7b8794",
}
_PHASES = (
    ("detect", "Until detected", "#f4c7c3"),
    ("mitigate", "Until mitigated", "#fbe0b5"),
    ("resolve", "Until resolved", "#cce8cf"),
)
# Tick steps to choose from, in minutes: the smallest that gives at most ten ticks.
_TICK_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080, 43200)


def _marker(kind: str, x: float, y: float, r: float) -> str:
    """The shape of a kind: alert triangle, action square, decision diamond, observation dot."""
    if kind == "alert":
        return (
            f'<path d="M{x:.1f} {y - r * 1.15:.1f}L{x + r * 1.1:.1f} {y + r * 0.85:.1f}'
            f'H{x - r * 1.1:.1f}Z"/>'
        )
    if kind == "action":
        s = r * 0.85
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}"/>'
    if kind == "decision":
        d = r * 1.2
        return (
            f'<path d="M{x:.1f} {y - d:.1f}L{x + d:.1f} {y:.1f}L{x:.1f} {y + d:.1f}'
            f'L{x - d:.1f} {y:.1f}Z"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"/>'


def timeline_svg(session: Session) -> str:
    """The incident drawn as inline SVG: phase bands, one lane per kind with a marker per
    event (major events large, outlined and numbered), and a time axis in local time."""
    inc = session.incident
    times = [e.at for e in session.timeline]
    start = min([inc.started_at, *times])
    end = max([inc.resolved_at, *times])
    span = max((end - start).total_seconds(), 60.0)
    pad = span * 0.02
    t0 = start - timedelta(seconds=pad)
    total = span + 2 * pad
    plot = _SVG_WIDTH - _SVG_LEFT - _SVG_RIGHT

    def x_of(moment: datetime) -> float:
        return _SVG_LEFT + (moment - t0).total_seconds() / total * plot

    axis_y = _LANE_TOP + _LANE_HEIGHT * len(_LANES) + 4
    height = axis_y + 34
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_SVG_WIDTH} {height}" '
        f'role="img" aria-labelledby="tl-title" font-family="system-ui, sans-serif" '
        f'font-size="11">',
        f'<title id="tl-title">Timeline of the incident: {len(session.timeline)} event'
        f'{"s" if len(session.timeline) != 1 else ""}</title>',
    ]

    # The phases: consecutive bands from the start to each of detected, mitigated, resolved.
    edges = {"detect": inc.detected_at, "mitigate": inc.mitigated_at, "resolve": inc.resolved_at}
    cursor = inc.started_at
    out.append('<g class="phases">')
    for key, label, colour in _PHASES:
        edge = edges[key]
        if edge is None or edge < cursor:
            continue
        x1, x2 = x_of(cursor), x_of(edge)
        length = format_duration(edge - cursor)
        text = f"{label} · {length}"
        out.append(
            f'<g class="phase {key}"><title>{html.escape(text)}</title>'
            f'<rect x="{x1:.1f}" y="{_BAND_TOP}" width="{max(x2 - x1, 1):.1f}" '
            f'height="{_BAND_HEIGHT}" fill="{colour}"/>'
        )
        # Shorten the label to what fits in the band (about 6 px a character at this size).
        room = int((x2 - x1 - 6) / 6)
        if room < len(text):
            text = length if room >= len(length) else ""
        if text:
            out.append(
                f'<text x="{(x1 + x2) / 2:.1f}" y="{_BAND_TOP + 14}" text-anchor="middle" '
                f'font-size="10.5">{html.escape(text)}</text>'
            )
        out.append("</g>")
        cursor = edge
    out.append("</g>")
    out.append(
        f'<text x="{_SVG_LEFT - 8}" y="{_BAND_TOP + 14}" text-anchor="end" '
        f'fill="#5b6670">Phases</text>'
    )

    # Lanes with their names and a sample of the shape, which doubles as the legend.
    out.append('<g class="lanes">')
    for i, kind in enumerate(_LANES):
        y = _LANE_TOP + _LANE_HEIGHT * i + _LANE_HEIGHT / 2
        if i % 2 == 0:
            out.append(
                f'<rect x="{_SVG_LEFT}" y="{y - _LANE_HEIGHT / 2:.1f}" width="{plot}" '
                f'height="{_LANE_HEIGHT}" fill="#f3f5f7"/>'
            )
        out.append(
            f'<g fill="{_KIND_COLOUR[kind]}">{_marker(kind, _SVG_LEFT - 10, y, 4.5)}</g>'
            f'<text x="{_SVG_LEFT - 20}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_KIND_PLURAL[kind]}</text>"
        )
    out.append("</g>")

    # The axis: ticks on round local times, a date where the day changes.
    out.append(
        f'<g class="axis" fill="#5b6670"><line x1="{_SVG_LEFT}" y1="{axis_y}" '
        f'x2="{_SVG_WIDTH - _SVG_RIGHT}" y2="{axis_y}" stroke="#5b6670"/>'
    )
    last_day: date | None = None
    for tick in _ticks(session, t0, t0 + timedelta(seconds=total)):
        x = x_of(tick)
        local = session.local(tick)
        anchor = "end" if x > _SVG_WIDTH - _SVG_RIGHT - 24 else "middle"  # keep it in view
        out.append(
            f'<line x1="{x:.1f}" y1="{_LANE_TOP - 4}" x2="{x:.1f}" y2="{axis_y + 4}" '
            f'stroke="#c9d0d6" stroke-width="0.8"/>'
            f'<text x="{x:.1f}" y="{axis_y + 15}" text-anchor="{anchor}">{local:%H:%M}</text>'
        )
        if local.date() != last_day:
            out.append(
                f'<text x="{x:.1f}" y="{axis_y + 28}" text-anchor="{anchor}" font-size="9.5">'
                f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}</text>"
            )
            last_day = local.date()
    out.append("</g>")

    # Events: ordinary ones first, major ones on top.
    numbers = _major_numbers(session)
    ordered = sorted(session.timeline, key=lambda e: (e.id in numbers, e.at, e.id))
    out.append('<g class="events">')
    for event in ordered:
        lane = _LANES.index(event.kind) if event.kind in _LANES else len(_LANES) - 1
        x = x_of(event.at)
        y = _LANE_TOP + _LANE_HEIGHT * lane + _LANE_HEIGHT / 2
        number = numbers.get(event.id)
        basis = " (interpretation)" if event.basis == "interpretation" else ""
        source = f" — {_one_line(event.source)}" if event.source.strip() else ""
        tip = (
            f"{_event_time(session, event)} {event.kind}{' ★' + str(number) if number else ''}"
            f": {_one_line(event.text)}{basis}{source}"
        )
        css = f"ev {event.kind}" + (" major" if number else "")
        colour = _KIND_COLOUR.get(event.kind, "#7b8794")
        if number:
            out.append(
                f'<g class="{css}"><title>{html.escape(tip)}</title>'
                f'<line x1="{x:.1f}" y1="{_BAND_TOP + _BAND_HEIGHT}" x2="{x:.1f}" '
                f'y2="{axis_y}" stroke="#1d2329" stroke-width="1" stroke-dasharray="3 2"/>'
                f'<g fill="{colour}" stroke="#1d2329" stroke-width="1.6">'
                f"{_marker(event.kind, x, y, 7)}</g>"
                f'<circle cx="{x:.1f}" cy="{_LANE_TOP - 7}" r="7" fill="#1d2329"/>'
                f'<text x="{x:.1f}" y="{_LANE_TOP - 3.2}" text-anchor="middle" font-size="10" '
                f'font-weight="700" fill="#ffffff">{number}</text></g>'
            )
        else:
            out.append(
                f'<g class="{css}" fill="{colour}" fill-opacity="0.9"><title>{html.escape(tip)}'
                f"</title>{_marker(event.kind, x, y, 4.5)}</g>"
            )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _ticks(session: Session, first: datetime, last: datetime) -> list[datetime]:
    """Round local times between two moments, at a step giving at most ten of them."""
    span_minutes = (last - first).total_seconds() / 60
    step = next((m for m in _TICK_MINUTES if span_minutes / m <= 10), _TICK_MINUTES[-1])
    if span_minutes / step > 10:
        step = math.ceil(span_minutes / 10)
    # Step on the local wall clock, so ticks fall on 15:00 local, and still do after a change
    # to or from summer time.
    zone = session.zone()
    wall = session.local(first).replace(tzinfo=None)
    minutes = math.ceil((wall - datetime(1970, 1, 1)).total_seconds() / 60 / step) * step
    wall = datetime(1970, 1, 1) + timedelta(minutes=minutes)
    ticks: list[datetime] = []
    while len(ticks) < 100:
        tick = wall.replace(tzinfo=zone).astimezone(UTC)
        if tick > last:
            break
        # A wall time that does not exist (or exists twice) at the change can land out of order.
        if tick >= first and (not ticks or tick > ticks[-1]):
            ticks.append(tick)
        wall += timedelta(minutes=step)
    return ticks


# -- JSON --------------------------------------------------------------------------------------

# Inside JSON strings, as \u escapes: a terminal would obey them, a JSON reader does not care.
_JSON_INERT = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}


def session_data(session: Session) -> dict:
    """The whole session as JSON-ready data, anonymous feedback in id order."""
    data = session.model_dump(mode="json")
    data["feedback"] = sorted(data["feedback"], key=lambda f: f["id"])
    return data


def export_json(session: Session, now: datetime) -> str:
    text = json.dumps(session_data(session), indent=2, ensure_ascii=False)
    return text.translate(_JSON_INERT) + "\n"


# -- iCalendar ---------------------------------------------------------------------------------

_ICS_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def ics_text(text: str) -> str:
    """A TEXT value escaped as RFC 5545 section 3.3.11 says."""
    text = clean_text(text).replace("\t", " ")
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )


def ics_fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 character or an escape."""
    pieces: list[str] = []
    current, size = "", 0
    for atom in re.findall(r"\\.|.", line, re.DOTALL):
        octets = len(atom.encode("utf-8"))
        if size + octets > 75:
            pieces.append(current)
            current, size = " ", 1
        current += atom
        size += octets
    pieces.append(current)
    return "\r\n".join(pieces)


def session_uid_hash(session: Session) -> str:
    """A short hash that names this post-mortem in UIDs: the same for every export of it."""
    inc = session.incident
    key = f"{inc.title}\n{inc.started_at.isoformat()}".encode("utf-8")
    return hashlib.sha256(key).hexdigest()[:16]


def _ics_action_id(action_id: str) -> str:
    if _ICS_SAFE_ID.fullmatch(action_id):
        return action_id
    return hashlib.sha256(action_id.encode("utf-8")).hexdigest()[:12]


def _ics_stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _ics_date(day: date) -> str:
    return f"{day:%Y%m%d}"


def export_ics(session: Session, now: datetime) -> str:
    inc = session.incident
    key = session_uid_hash(session)
    title = _one_line(inc.title) or "Untitled incident"
    stamp = _ics_stamp(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{ICS_PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]

    def event(uid: str, summary: str, description: str, when: list[str], free: bool) -> None:
        lines.extend(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                f"DTSTAMP:{stamp}",
                *when,
                f"SUMMARY:{ics_text(summary)}",
                f"DESCRIPTION:{ics_text(description)}",
                f"TRANSP:{'TRANSPARENT' if free else 'OPAQUE'}",
                "END:VEVENT",
            ]
        )

    def all_day(day: date) -> list[str]:
        return [
            f"DTSTART;VALUE=DATE:{_ics_date(day)}",
            f"DTEND;VALUE=DATE:{_ics_date(day + timedelta(days=1))}",
        ]

    meeting = session.meeting
    if meeting.scheduled_at is not None:
        when = [f"DTSTART:{_ics_stamp(meeting.scheduled_at)}"]
        if meeting.planned_minutes > 0:
            end = meeting.scheduled_at + timedelta(minutes=meeting.planned_minutes)
            when.append(f"DTEND:{_ics_stamp(end)}")
        about = [f"Blameless post-mortem of the incident: {title} ({inc.severity})."]
        if question := _one_line(session.question.text):
            about.append(f"Learning question: {question}")
        about.append(f"Planned length: {meeting.planned_minutes} minutes.")
        event(f"meeting-{key}@pmconsole", f"Post-mortem: {title}", "\n".join(about), when, False)

    review = followup_review_date(session)
    if review is not None:
        about = [
            f"Follow-up review of the post-mortem of: {title}.",
            "Publish the progress of every action item:",
        ]
        for a in session.actions:
            if a.status == "dropped":
                continue
            due = a.due.isoformat() if a.due else "no due date"
            owner = _one_line(a.owner) or "no owner"
            about.append(f"- {_one_line(a.title)} ({owner}, due {due}, {a.status})")
        event(
            f"review-{key}@pmconsole", f"Follow-up review: {title}", "\n".join(about),
            all_day(review), True,
        )

    for a in session.actions:
        if a.status == "dropped" or a.due is None:
            continue
        about = [
            f"Owner: {_one_line(a.owner) or '(none)'}",
            f"Success criterion: {_one_line(a.criterion) or '(none)'}",
            f"Status: {a.status}",
        ]
        if a.staging_check:
            about.append(f"Staging check: {a.staging_check.isoformat()}")
        if description := clean_text(a.description).strip():
            about += ["", description]
        about += ["", f"From the post-mortem of: {title}"]
        summary = f"Action due: {_one_line(a.title)}"
        if a.status == "done":
            summary = f"Action done: {_one_line(a.title)}"
        event(
            f"action-{_ics_action_id(a.id)}-{key}@pmconsole", summary, "\n".join(about),
            all_day(a.due), True,
        )

    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)


# -- CSV ---------------------------------------------------------------------------------------

# Line breaks too: clean_text() turns a leading CR into LF, and some spreadsheets skip either.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """Clean text that no spreadsheet will run: a leading apostrophe before a formula start."""
    text = clean_text(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _dropped_line(session: Session) -> str:
    dropped = [_one_line(a.title) for a in session.actions if a.status == "dropped"]
    return f"Dropped in the meeting: {'; '.join(dropped)}." if dropped else ""


def _origin(session: Session) -> str:
    """The post-mortem an action comes from, for a tracker's ticket."""
    at = session.meeting.scheduled_at
    day = f" of {session.local(at).date().isoformat()}" if at is not None else ""
    return f"From the post-mortem “{_one_line(session.incident.title)}”{day}."


def export_csv(session: Session, now: datetime) -> str:
    factors = {f.id: _one_line(f.text) for f in session.factors}
    origin = _origin(session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for a in session.agreed_actions():
        linked = "; ".join(factors[i] for i in a.factor_ids if factors.get(i))
        row = (
            a.title,
            f"{a.description.rstrip()} {origin}" if a.description.strip() else origin,
            a.owner,
            a.due.isoformat() if a.due else "",
            a.criterion,
            a.status,
            linked,
            a.staging_check.isoformat() if a.staging_check else "",
        )
        writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


_EXPORTERS = {
    "md": export_md,
    "html": export_html,
    "json": export_json,
    "ics": export_ics,
    "csv": export_csv,
}
