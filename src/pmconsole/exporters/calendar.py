"""The dates as iCalendar, written with the ``icalendar`` library: the post-mortem meeting, the
follow-up review and each action's due day, so that importing the file again updates the same
entries rather than adding new ones.

- **UIDs** are ``meeting-<h>@pmconsole``, ``review-<h>@pmconsole`` and
  ``action-<action id>-<h>@pmconsole``, where ``<h>`` hashes the incident's start (not its
  title, which people edit): the same for the life of the session and of each action.
- **SEQUENCE and LAST-MODIFIED** move when an entry changes. The export is a pure function, so
  it reads them from the previous export of the same file (``previous``): each entry carries a
  digest of what it says (``X-PMCONSOLE-DIGEST``); an entry whose digest changed gets the next
  SEQUENCE and LAST-MODIFIED now, an unchanged one keeps both. Without a previous export every
  entry starts at SEQUENCE 0.
- **Dropped actions** stay in the calendar with ``STATUS:CANCELLED``, as does an entry of the
  previous export that is no longer in the session (an action deleted, the meeting unset), so a
  calendar that imported it removes it instead of keeping a stale day.
- **Owners and participants** with an e-mail address (``email`` on the roster) are attendees.
- **A reminder** (VALARM) one day before each open action's due day and before the review.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta

from pmconsole.domain.model import ActionItem, Session
from pmconsole.domain.rules import followup_review_date
from pmconsole.domain.text import clean_text
from pmconsole.exporters.common import NO_OPTIONS, UTC, Options, one_line, participant_of

ICS_PRODID = "-//pmconsole//Post-mortem export//EN"
DIGEST = "X-PMCONSOLE-DIGEST"

_ICS_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# A parameter value (the attendee's name) may not hold a double quote or a control character.
_PARAM_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')


def session_uid_hash(session: Session) -> str:
    """A short hash that names this post-mortem in UIDs: the incident's start, which stays put
    while the title, the actions and everything else are edited."""
    key = session.incident.started_at.astimezone(UTC).isoformat().encode("utf-8")
    return hashlib.sha256(key).hexdigest()[:16]


def _ics_action_id(action_id: str) -> str:
    if _ICS_SAFE_ID.fullmatch(action_id):
        return action_id
    return hashlib.sha256(action_id.encode("utf-8")).hexdigest()[:12]


def _text(text: str) -> str:
    """Clean text for a TEXT value; the library escapes it as RFC 5545 says."""
    return clean_text(text).replace("\t", " ")


class _Entry:
    """One calendar entry, as plain values until it is written."""

    def __init__(self, uid: str, summary: str, description: str, *, free: bool) -> None:
        self.uid, self.summary, self.description, self.free = uid, summary, description, free
        self.start: date | datetime | None = None
        self.end: date | datetime | None = None
        self.status = "CONFIRMED"
        self.attendees: list[tuple[str, str]] = []  # (name, e-mail)
        self.reminder = ""  # the reminder's words, a day before; none when empty

    def all_day(self, day: date) -> None:
        self.start, self.end = day, day + timedelta(days=1)

    def digest(self) -> str:
        values = [self.summary, self.description, self.free, str(self.start), str(self.end),
                  self.status, self.attendees, self.reminder]
        return hashlib.sha256(json.dumps(values).encode("utf-8")).hexdigest()[:20]


def _attendees(session: Session, owners: list[str] | None = None) -> list[tuple[str, str]]:
    """(name, e-mail) of the roster (or of these owners) where an e-mail is known."""
    people = session.participants if owners is None else [
        p for owner in owners if (p := participant_of(session, owner)) is not None
    ]
    return [(_PARAM_UNSAFE.sub("", one_line(p.name)), p.email) for p in people if p.email]


def _entries(session: Session) -> list[_Entry]:
    inc = session.incident
    key = session_uid_hash(session)
    title = one_line(inc.title) or "Untitled incident"
    entries: list[_Entry] = []

    meeting = session.meeting
    if meeting.scheduled_at is not None:
        about = [f"Blameless post-mortem of the incident: {title} ({inc.severity})."]
        if question := one_line(session.question.text):
            about.append(f"Learning question: {question}")
        about.append(f"Planned length: {meeting.planned_minutes} minutes.")
        entry = _Entry(f"meeting-{key}@pmconsole", f"Post-mortem: {title}", "\n".join(about),
                       free=False)
        entry.start = meeting.scheduled_at
        entry.end = meeting.scheduled_at + timedelta(minutes=meeting.planned_minutes)
        entry.attendees = _attendees(session)
        entries.append(entry)

    review = followup_review_date(session)
    if review is not None:
        about = [
            f"Follow-up review of the post-mortem of: {title}.",
            "Publish the progress of every action item:",
        ]
        for a in session.agreed_actions():
            due = a.due.isoformat() if a.due else "no due date"
            owner = one_line(a.owner) or "no owner"
            about.append(f"- {one_line(a.title)} ({owner}, due {due}, {a.status})")
        entry = _Entry(f"review-{key}@pmconsole", f"Follow-up review: {title}",
                       "\n".join(about), free=True)
        entry.all_day(review)
        entry.attendees = _attendees(session, [a.owner for a in session.agreed_actions()])
        entry.reminder = f"Tomorrow: follow-up review of the post-mortem of: {title}"
        entries.append(entry)

    for a in session.actions:
        if a.due is not None:
            entries.append(_action_entry(session, a, key, title))
    return entries


def _action_entry(session: Session, a: ActionItem, key: str, title: str) -> _Entry:
    about = [
        f"Action id: {a.id}",
        f"Owner: {one_line(a.owner) or '(none)'}",
        f"Success criterion: {one_line(a.criterion) or '(none)'}",
        f"Status: {a.status}",
    ]
    if a.staging_check:
        about.append(f"Staging check: {a.staging_check.isoformat()}")
    if description := clean_text(a.description).strip():
        about += ["", description]
    about += ["", f"From the post-mortem of: {title}"]
    word = {"done": "done", "dropped": "dropped"}.get(a.status, "due")
    entry = _Entry(f"action-{_ics_action_id(a.id)}-{key}@pmconsole",
                   f"Action {word}: {one_line(a.title)}", "\n".join(about), free=True)
    assert a.due is not None
    entry.all_day(a.due)
    entry.attendees = _attendees(session, [a.owner])
    if a.status == "dropped":
        entry.status = "CANCELLED"
    elif a.status != "done":
        entry.reminder = f"Due tomorrow: {one_line(a.title)}"
    return entry


def _previous_versions(previous: str | None) -> dict[str, tuple[int, str, object]]:
    """UID -> (SEQUENCE, digest, the event) of a previous export; empty when there is none or it
    does not read as a calendar (then every entry starts again at 0)."""
    import icalendar

    if not previous:
        return {}
    try:
        events = icalendar.Calendar.from_ical(previous).walk("VEVENT")
        return {
            str(e["UID"]): (int(e.get("SEQUENCE", 0)), str(e.get(DIGEST, "")), e)
            for e in events if "UID" in e
        }
    except (ValueError, KeyError, TypeError):
        return {}


def write(session: Session, now: datetime, options: Options = NO_OPTIONS) -> str:
    import icalendar

    before = _previous_versions(options.previous)
    cal = icalendar.Calendar()
    for name, value in (("prodid", ICS_PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"),
                        ("method", "PUBLISH")):
        cal.add(name, value)
    stamp = now.astimezone(UTC)
    written: set[str] = set()
    for entry in _entries(session):
        digest = entry.digest()
        sequence, modified = 0, stamp
        if entry.uid in before:
            old_sequence, old_digest, old = before[entry.uid]
            if old_digest == digest and "LAST-MODIFIED" in old:
                sequence, modified = old_sequence, old["LAST-MODIFIED"].dt
            else:
                sequence = old_sequence + 1
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("last-modified", modified)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", _text(entry.summary))
        event.add("description", _text(entry.description))
        event.add("status", entry.status)
        event.add("transp", "TRANSPARENT" if entry.free else "OPAQUE")
        for name, email in entry.attendees:
            attendee = icalendar.vCalAddress(f"mailto:{email}")
            attendee.params["CN"] = name
            attendee.params["ROLE"] = "REQ-PARTICIPANT"
            event.add("attendee", attendee)
        event.add(DIGEST, digest)
        if entry.reminder:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", _text(entry.reminder))
            alarm.add("trigger", timedelta(days=-1))
            event.add_component(alarm)
        cal.add_component(event)
        written.add(entry.uid)
    # What the previous export had and the session no longer has: cancelled, not left stale.
    ours = f"-{session_uid_hash(session)}@pmconsole"  # not another incident's entries
    for uid, (sequence, _, old) in before.items():
        if uid in written or not uid.endswith(ours):
            continue
        if str(old.get("STATUS", "")) != "CANCELLED":
            old["STATUS"] = "CANCELLED"
            old["SEQUENCE"] = sequence + 1
            old.pop("LAST-MODIFIED", None)
            old.add("last-modified", stamp)
            old.pop(DIGEST, None)
            old.subcomponents = [c for c in old.subcomponents if c.name != "VALARM"]
        old.pop("DTSTAMP", None)
        old.add("dtstamp", stamp)
        cal.add_component(old)
    return cal.to_ical().decode("utf-8")
