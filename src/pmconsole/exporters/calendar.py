"""The dates as iCalendar: the post-mortem meeting, the follow-up review and each action's due
day.

UIDs are ``meeting-<h>@pmconsole``, ``review-<h>@pmconsole`` and
``action-<action id>-<h>@pmconsole``, where ``<h>`` hashes the incident's title and start:
exporting again, after any other edit, updates the same calendar entries. TEXT values are
escaped as RFC 5545 says.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta

from pmconsole.domain.model import Session
from pmconsole.domain.rules import followup_review_date
from pmconsole.domain.text import clean_text
from pmconsole.exporters.common import UTC, one_line

ICS_PRODID = "-//pmconsole//Post-mortem export//EN"

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


def write(session: Session, now: datetime) -> str:
    inc = session.incident
    key = session_uid_hash(session)
    title = one_line(inc.title) or "Untitled incident"
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
        if question := one_line(session.question.text):
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
            owner = one_line(a.owner) or "no owner"
            about.append(f"- {one_line(a.title)} ({owner}, due {due}, {a.status})")
        event(
            f"review-{key}@pmconsole", f"Follow-up review: {title}", "\n".join(about),
            all_day(review), True,
        )

    for a in session.actions:
        if a.status == "dropped" or a.due is None:
            continue
        about = [
            f"Owner: {one_line(a.owner) or '(none)'}",
            f"Success criterion: {one_line(a.criterion) or '(none)'}",
            f"Status: {a.status}",
        ]
        if a.staging_check:
            about.append(f"Staging check: {a.staging_check.isoformat()}")
        if description := clean_text(a.description).strip():
            about += ["", description]
        about += ["", f"From the post-mortem of: {title}"]
        summary = f"Action due: {one_line(a.title)}"
        if a.status == "done":
            summary = f"Action done: {one_line(a.title)}"
        event(
            f"action-{_ics_action_id(a.id)}-{key}@pmconsole", summary, "\n".join(about),
            all_day(a.due), True,
        )

    lines.append("END:VCALENDAR")
    return "".join(ics_fold(line) + "\r\n" for line in lines)

