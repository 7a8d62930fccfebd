"""The one-page summary as Markdown that renders intact under CommonMark and GitHub's dialect.

User text is data, never markup: whatever could start markup is backslash-escaped.
Never import Textual here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from pmconsole.domain.model import Session, format_duration
from pmconsole.exporters.common import (
    NO_OPTIONS,
    Options,
    APPENDIX_NOTE,
    APPENDIX_TITLE,
    dropped_line,
    due_text,
    event_time,
    exported_line,
    factor_groups,
    feedback_line,
    feedback_words,
    followup_line,
    incident_span,
    key_timeline,
    major_numbers,
    meeting_line,
    one_line,
    paragraphs_of,
    step_notes,
)

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


def md_line(text: str) -> str:
    """One line that starts a block (a paragraph line, a list item): escaped inline, and its
    first character escaped too where it would start a heading, quote, list or rule."""
    line = md_escape(text.strip())
    if line[:1] in ("#", ">", "+", "-", "="):
        return "\\" + line
    if match := _MD_ORDERED.match(line):
        return match.group(1) + "\\" + line[len(match.group(1)):]
    return line


def md_cell(text: str) -> str:
    """A table cell: one line, pipes escaped (md_escape does that)."""
    return md_escape(one_line(text))


def _md_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = list(row)
        assert len(cells) == len(header)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write(session: Session, now: datetime, options: Options = NO_OPTIONS) -> str:
    inc = session.incident
    out: list[str] = [f"# {md_escape(one_line(inc.title) or 'Untitled incident', extra='#')}", ""]
    facts = [
        f"**Severity:** {inc.severity}",
        f"**Incident:** {md_escape(incident_span(session))}",
        f"**Post-mortem meeting:** {md_escape(meeting_line(session))}",
    ]
    if inc.tags:
        facts.append(f"**Tags:** {md_escape(', '.join(one_line(t) for t in inc.tags))}")
    # A trailing backslash is CommonMark's hard line break: one fact per line, one paragraph.
    out += [line + "\\" for line in facts[:-1]] + [facts[-1], ""]

    out += ["## Learning question", ""]
    question = paragraphs_of(session.question.text)
    if question:
        for i, paragraph in enumerate(question):
            if i:
                out.append(">")
            out += [f"> {md_line(line)}" for line in paragraph]
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

    summary = paragraphs_of(session.summary)
    if summary:
        out += ["## What happened", ""]
        for paragraph in summary:
            out += [md_line(line) for line in paragraph] + [""]

    out += ["## Key timeline", ""]
    events = key_timeline(session)
    numbers = major_numbers(session)
    if events:
        start = session.local(inc.started_at)
        out += _md_table(
            (f"Time ({start.tzname()})", "Kind", "What happened", "Source"),
            (
                [
                    md_escape(event_time(session, e)),
                    (f"★ {e.kind}" if e.id in numbers else e.kind),
                    md_cell(e.text)
                    + (" *(interpretation)*" if e.basis == "interpretation" else ""),
                    md_cell(e.source),
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
    groups = factor_groups(session)
    if groups:
        for heading, texts in groups:
            out += [f"### {heading}", ""] + [f"- {md_line(t)}" for t in texts] + [""]
    else:
        out += ["*No contributing factors are recorded yet.*", ""]

    out += ["## Actions", ""]
    agreed = session.agreed_actions()
    if agreed:
        out += _md_table(
            ("Action", "Owner", "Due", "Success criterion", "Status"),
            (
                [
                    md_cell(a.title),
                    md_cell(a.owner) or "—",
                    md_escape(due_text(a)),
                    md_cell(a.criterion) or "—",
                    a.status,
                ]
                for a in agreed
            ),
        )
        out.append("")
    else:
        out += ["*No action items are agreed yet.*", ""]
    if dropped := dropped_line(session):
        out += [md_escape(dropped), ""]
    out += [f"**Follow-up review:** {md_escape(followup_line(session))}", ""]

    out += ["## Anonymous feedback", "", md_escape(feedback_line(session)), ""]

    out += ["---", "", f"*{md_escape(exported_line(session, now))}*"]
    out += _appendix_md(session)
    return "\n".join(out) + "\n"


def _appendix_md(session: Session) -> list[str]:
    notes, words = step_notes(session), feedback_words(session)
    if not notes and not words:
        return []
    out = ["", "---", "", f"## {APPENDIX_TITLE}", "", f"*{md_escape(APPENDIX_NOTE)}*", ""]
    for heading, paragraphs in notes:
        out += [f"### {md_escape(heading, extra='#')}", ""]
        for paragraph in paragraphs:
            # A hard line break (trailing backslash) keeps the note-taker's lines as typed.
            lines = [md_line(line) for line in paragraph]
            out += [line + "\\" for line in lines[:-1]] + [lines[-1], ""]
    for heading, answers in words:
        out += [f"### {heading}", ""] + [f"- {md_line(a)}" for a in answers] + [""]
    return out[:-1]

