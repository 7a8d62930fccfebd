"""What the exports share: user text as clean lines and paragraphs, times spelled in the
incident's zone (names of days and months spelled here, not by the C library, so the output does
not change with the locale), and what the one-page summary shows, in whatever markup a format
puts it.

Never import Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from pmconsole.domain.meeting import meeting_clock
from pmconsole.domain.model import (
    FACTOR_CATEGORIES,
    MONTHS,
    STEP_NAMES,
    WRAP_UP,
    ActionItem,
    Participant,
    Session,
    TimelineEvent,
    day_label,
)
from pmconsole.domain.method import OPEN_LIMIT
from pmconsole.domain.rules import followup_review_date
from pmconsole.domain.text import clean_text

UTC = timezone.utc


@dataclass(frozen=True)
class Options:
    """What a writer may be told besides the session and the time."""

    previous: str | None = None  # the export this one replaces (the calendar reads it)
    tracker: str | None = None  # the issue tracker the actions are shaped for (csv)
    labels: tuple[str, ...] = ()  # labels for the tickets (gh)
    milestone: str | None = None  # a milestone for the tickets (gh)


NO_OPTIONS = Options()
# The issue trackers the actions CSV can be shaped for (trackers.py has each one's columns).
TRACKER_NAMES = ("jira", "github", "gitlab", "linear")
KEY_TIMELINE_ROWS = 15  # the key timeline table of the summary holds at most this many events
KIND_PLURAL = {
    "alert": "Alerts",
    "decision": "Decisions",
    "action": "Actions",
    "observation": "Observations",
}


# -- text that came from people ----------------------------------------------------------------

def one_line(text: str) -> str:
    """Clean text with every run of white space (newlines too) as one space."""
    return " ".join(clean_text(text).split())


def paragraphs_of(text: str) -> list[list[str]]:
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


def spell_day(day: date) -> str:
    return f"{day_label(day)} {day.year}"


def zone_label(session: Session, moment: datetime) -> str:
    """The zone's abbreviation at that moment (CET), with its IANA name when they differ."""
    abbr = session.local(moment).tzname() or ""
    name = session.incident.timezone
    return name if abbr in ("", name) else f"{abbr} ({name})"


def moment_text(session: Session, moment: datetime) -> str:
    """Thu 26 Nov 2026, 10:00 CET"""
    local = session.local(moment)
    return f"{spell_day(local.date())}, {local:%H:%M} {local.tzname()}"


def incident_span(session: Session) -> str:
    """Mon 23 Nov 2026, 14:50 – 18:40 CET (Europe/Berlin), or both days when it spans more."""
    inc = session.incident
    start, end = session.local(inc.started_at), session.local(inc.resolved_at)
    zone = zone_label(session, inc.resolved_at)
    if start.date() == end.date():
        same_abbr = start.tzname() == end.tzname()
        first = f"{start:%H:%M}" if same_abbr else f"{start:%H:%M} {start.tzname()}"
        span = f"{spell_day(start.date())}, {first} – {end:%H:%M} {zone}"
    else:
        span = (
            f"{spell_day(start.date())}, {start:%H:%M} {start.tzname()} – "
            f"{spell_day(end.date())}, {end:%H:%M} {zone}"
        )
    if start.utcoffset() or end.utcoffset():
        # Logs, alerts and often the summary itself speak UTC: give readers both clocks.
        first_utc, last_utc = inc.started_at.astimezone(UTC), inc.resolved_at.astimezone(UTC)
        if first_utc.date() == last_utc.date():
            span += f"; {first_utc:%H:%M} – {last_utc:%H:%M} UTC"
        else:
            span += (
                f"; {first_utc.day} {MONTHS[first_utc.month - 1]} {first_utc:%H:%M} – "
                f"{last_utc.day} {MONTHS[last_utc.month - 1]} {last_utc:%H:%M} UTC"
            )
    return span


def event_time(session: Session, event: TimelineEvent) -> str:
    """14:37 on the incident's first day; Tue 24 Nov 01:10 on any other."""
    first_day = session.local(session.incident.started_at).date()
    local = session.local(event.at)
    clock = f"{local:%H:%M}"
    if local.date() != first_day:
        clock = f"{day_label(local.date())} {clock}"
    if local.tzname() != session.local(session.incident.started_at).tzname():
        clock += f" {local.tzname()}"
    return clock


def meeting_line(session: Session) -> str:
    meeting = session.meeting
    at = meeting.scheduled_at
    if at is None:
        return "not scheduled yet"
    line = f"{moment_text(session, at)}, {meeting.planned_minutes} min planned"
    if meeting.ended_at is not None:
        # The length as the console's meeting clock showed it at the end: pauses left out.
        held = meeting_clock(session, meeting.ended_at).elapsed
        line += f", {round(held / 60)} min held"
    return line


def exported_line(session: Session, now: datetime) -> str:
    return f"Exported by pmconsole on {moment_text(session, now)}."


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


def major_numbers(session: Session) -> dict[str, int]:
    """Major events numbered 1, 2, … in time order: the SVG and the table share the numbers."""
    return {e.id: n for n, e in enumerate(session.major_events(), start=1)}


def factor_groups(session: Session) -> list[tuple[str, list[str]]]:
    """(heading, factor texts) by category in the method's order; uncategorised last."""
    groups: list[tuple[str, list[str]]] = []
    for category in (*FACTOR_CATEGORIES, None):
        texts = [
            one_line(f.text)
            for f in session.factors
            if f.category == category and f.text.strip()
        ]
        if texts:
            groups.append((category.capitalize() if category else "Not categorised", texts))
    return groups


def feedback_line(session: Session) -> str:
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
    if feedback_words(session):
        line += " Their words are in the appendix."
    return line


# -- the appendix: what was said in the room ---------------------------------------------------

APPENDIX_TITLE = "Appendix — notes and anonymous feedback"
APPENDIX_NOTE = (
    "What was said in the room, after the one-page summary and not part of it: the "
    "note-taker's notes per step, and the anonymous answers in their own words, without order "
    "or names."
)


def step_heading(step_id: str) -> tuple[int, str]:
    """(place, heading) of a step's notes: "Notes, step 3: Psychological safety"."""
    if step_id.isdigit() and 1 <= int(step_id) <= len(STEP_NAMES):
        return int(step_id), f"Notes, step {step_id}: {STEP_NAMES[int(step_id) - 1]}"
    if step_id == str(WRAP_UP):
        return WRAP_UP, "Notes, wrap-up"
    return WRAP_UP + 1, f"Notes, {one_line(step_id)}"  # a hand-written id, last


def step_notes(session: Session) -> list[tuple[str, list[list[str]]]]:
    """(heading, paragraphs) of every step with notes, in step order."""
    notes = [
        (*step_heading(note.id), paragraphs)
        for note in session.notes
        if (paragraphs := paragraphs_of(note.text))
    ]
    return [(heading, paragraphs) for _, heading, paragraphs in sorted(notes, key=lambda n: n[:2])]


def feedback_words(session: Session) -> list[tuple[str, list[str]]]:
    """(heading, answers) for what went well and what was not said, each list in the order of
    its words: nothing in it tells who answered first, nor pairs one person's two answers."""
    groups = []
    for heading, field in (("what went well", "comment"),
                           ("what was not said in the room", "unsaid")):
        words = [w for f in session.feedback if (w := one_line(getattr(f, field)))]
        if words:
            groups.append((f"Anonymous feedback: {heading}",
                           sorted(words, key=lambda w: (w.casefold(), w))))
    return groups


def followup_line(session: Session) -> str:
    review = followup_review_date(session)
    open_count = len(session.open_actions())
    opened = (
        f"{open_count} action item{'s' if open_count != 1 else ''} open "
        f"(never more than {OPEN_LIMIT})."
    )
    if review is None:
        return f"Not set yet (two weeks after the meeting, once that is scheduled). {opened}"
    return f"{spell_day(review)} — publish the progress of every action. {opened}"


def due_text(action: ActionItem) -> str:
    due = spell_day(action.due) if action.due else "no due date"
    if action.staging_check:
        due += f" (staging check {spell_day(action.staging_check)})"
    return due


def dropped_line(session: Session) -> str:
    dropped = [one_line(a.title) for a in session.actions if a.status == "dropped"]
    return f"Dropped in the meeting: {'; '.join(dropped)}." if dropped else ""


def origin(session: Session) -> str:
    """The post-mortem an action comes from, for a tracker's ticket."""
    at = session.meeting.scheduled_at
    day = f" of {session.local(at).date().isoformat()}" if at is not None else ""
    return f"From the post-mortem “{one_line(session.incident.title)}”{day}."



def participant_of(session: Session, owner: str) -> Participant | None:
    """The roster's participant an action's owner names: by name (case and spacing aside), or
    by the handle or e-mail written as the owner. None when nobody matches, or more than one."""
    wanted = " ".join(clean_text(owner).split()).casefold().removeprefix("@")
    if not wanted:
        return None
    found = [
        p for p in session.participants
        if wanted in (" ".join(p.name.split()).casefold(), (p.handle or "").casefold(),
                      (p.email or "").casefold())
    ]
    return found[0] if len(found) == 1 else None
