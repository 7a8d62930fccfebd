"""The one-page summary as a self-contained HTML page with the timeline drawn in SVG.

The page comes from the Jinja2 templates in ``templates/`` (the page, its CSS and the drawing),
with autoescape on: every value from the session is escaped there, quotes included, and nothing
here writes markup or escapes by hand. What the page shows is worked out in ``common.py`` and
``timeline.py``. Jinja2 is imported when a page is written, not when the console starts.

Never import Textual here.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

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
    zone_label,
)
from pmconsole.exporters.timeline import timeline_layout

if TYPE_CHECKING:
    import jinja2


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("pmconsole.exporters", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def write(session: Session, now: datetime, options: Options = NO_OPTIONS) -> str:
    return _environment().get_template("summary.html.j2").render(page(session, now))


def timeline_svg(session: Session) -> str:
    """The incident's timeline drawing alone, as inline SVG (the published log's pages show
    it), from the same template as the summary's."""
    return _environment().get_template("timeline.svg.j2").render(
        tl=timeline_layout(session), zone=zone_label(session, session.incident.started_at))


def page(session: Session, now: datetime) -> dict:
    """What the page shows, as plain text for the template to escape."""
    inc = session.incident
    durations = session.durations()
    numbers = major_numbers(session)
    events = key_timeline(session)
    return {
        "title": one_line(inc.title) or "Untitled incident",
        "severity": inc.severity,
        "incident_span": incident_span(session),
        "meeting": meeting_line(session),
        "tags": ", ".join(one_line(t) for t in inc.tags),
        "question": [" ".join(p) for p in paragraphs_of(session.question.text)],
        "durations": [
            (key, format_duration(durations[key])) for key in ("detect", "mitigate", "resolve")
        ],
        "tl": timeline_layout(session),
        "zone": zone_label(session, inc.started_at),
        "zone_abbr": session.local(inc.started_at).tzname() or "",
        "summary": [" ".join(p) for p in paragraphs_of(session.summary)],
        "events": [
            {
                "number": numbers.get(e.id),
                "time": event_time(session, e),
                "kind": f"★{numbers[e.id]} {e.kind}" if e.id in numbers else e.kind,
                "text": one_line(e.text),
                "interpretation": e.basis == "interpretation",
                "source": one_line(e.source),
            }
            for e in events
        ],
        "more_events": max(len(session.timeline) - len(events), 0),
        "factor_groups": factor_groups(session),
        "actions": [
            {
                "title": one_line(a.title),
                "owner": one_line(a.owner),
                "due": due_text(a),
                "criterion": one_line(a.criterion),
                "status": a.status,
            }
            for a in session.agreed_actions()
        ],
        "dropped": dropped_line(session),
        "followup": followup_line(session),
        "feedback": feedback_line(session),
        "exported": exported_line(session, now),
        "appendix_title": APPENDIX_TITLE,
        "appendix_note": APPENDIX_NOTE,
        "notes": step_notes(session),
        "words": feedback_words(session),
    }
