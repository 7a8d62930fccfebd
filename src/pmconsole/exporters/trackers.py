"""The agreed actions shaped for an issue tracker's own importer, so the file imports without
editing: ``pmconsole export FILE --format csv --for jira|github|gitlab|linear``.

Each tracker's columns, date format and status words are the ones its importer documents (cited
at each ``Tracker`` below). What a tracker has no column for goes into the description, which
always holds the success criterion, the staging check, the linked contributing factors, the
owner, the post-mortem the action comes from and, on its last line, ``pmconsole action: <id>``:
``pmconsole actions sync`` finds the action again by that line in a tracker's export.

Owners become what each tracker wants (an e-mail address for Jira and Linear, a login for
GitHub and GitLab) through the roster's ``email`` and ``handle``; an owner with no mapping stays
named in the description and ``unmapped_owners`` lists them for the command line to report.

These files are for an importer, not a spreadsheet: no apostrophe is put before a leading
``=``, which GitLab and Linear would show as typed. Never import Textual here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from pmconsole.domain.model import ActionItem, Session
from pmconsole.domain.text import clean_text
from pmconsole.domain.model import MONTHS
from pmconsole.exporters.common import TRACKER_NAMES, one_line, origin, participant_of

ACTION_MARK = "pmconsole action: "
_MARK = re.compile(r"pmconsole action: ([A-Za-z0-9._-]{1,64})")
LABEL = "post-mortem"  # the label every ticket carries, so a tracker can list them


@dataclass(frozen=True)
class Tracker:
    name: str
    header: tuple[str, ...]
    owner_field: str  # "email" or "handle": what the tracker knows people by
    row: Callable[[Session, ActionItem], list[str]]


def _owner(session: Session, action: ActionItem, field: str) -> str:
    person = participant_of(session, action.owner)
    return (getattr(person, field) or "") if person is not None else ""


def action_ids_in(text: str) -> list[str]:
    """The action ids written into a ticket's description (normally one)."""
    return _MARK.findall(text)


def ticket_body(session: Session, action: ActionItem, *, due: bool = False,
                extra: tuple[str, ...] = ()) -> str:
    """The ticket's description: the action's own words, then what the tracker has no field
    for, then where it comes from and the action id."""
    factors = {f.id: one_line(f.text) for f in session.factors}
    lines: list[str] = []
    if description := clean_text(action.description).strip():
        lines += [description, ""]
    lines.append(f"Success criterion: {one_line(action.criterion) or '(none)'}")
    if due:
        lines.append(f"Due: {action.due.isoformat() if action.due else '(none)'}")
    if action.staging_check:
        lines.append(f"Staging check: {action.staging_check.isoformat()}")
    linked = [factors[i] for i in action.factor_ids if factors.get(i)]
    if linked:
        lines.append("Contributing factors: " + "; ".join(linked))
    lines.append(f"Owner: {one_line(action.owner) or '(none)'}")
    lines += [*extra, "", origin(session), f"{ACTION_MARK}{action.id}"]
    return "\n".join(lines)


# -- Jira Cloud --------------------------------------------------------------------------------
# Jira's CSV importer: a header row with a Summary column, the one required field; people as
# e-mail addresses ("Use email addresses when adding people as assignees"); dates read with the
# importer's date format, Java SimpleDateFormat, whose default is dd/MMM/yy h:mm a.
# https://support.atlassian.com/jira-work-management/docs/prepare-and-structure-your-csv-file
# https://confluence.atlassian.com/servicedeskcloud/importing-data-from-csv-1097176622.html
# https://support.atlassian.com/jira-software-cloud/docs/mapping-csv-data-to-jira-fields
# Status words of Jira's default workflow: To Do, In Progress, Done.

def _jira_date(action: ActionItem) -> str:
    day = action.due
    return f"{day.day:02d}/{MONTHS[day.month - 1]}/{day:%y} 12:00 AM" if day else ""


def _jira(session: Session, a: ActionItem) -> list[str]:
    return [one_line(a.title), "Task", ticket_body(session, a), _owner(session, a, "email"),
            _jira_date(a), "Done" if a.status == "done" else "To Do", LABEL]


# -- GitHub ------------------------------------------------------------------------------------
# GitHub has no CSV importer for issues; the columns are the body parameters of the REST API's
# "Create an issue" (title, body, assignees as logins, labels), for a script or an action to
# post, and a state (open or closed) for it to close what is already done. Issues have no due
# date, so it is in the body. `--format gh` writes the same as `gh issue create` commands.
# https://docs.github.com/en/rest/issues/issues#create-an-issue

def _github(session: Session, a: ActionItem) -> list[str]:
    return [one_line(a.title), ticket_body(session, a, due=True), _owner(session, a, "handle"),
            LABEL, "closed" if a.status == "done" else "open"]


# -- GitLab ------------------------------------------------------------------------------------
# GitLab's issue CSV import reads title, description and due_date (YYYY-MM-DD) and nothing
# else; "You can use the description field to embed quick actions" for assignees and labels.
# https://docs.gitlab.com/ee/user/project/issues/csv_import.html

def _gitlab(session: Session, a: ActionItem) -> list[str]:
    actions = [f"/label ~{LABEL}"]
    if handle := _owner(session, a, "handle"):
        actions.append(f"/assign @{handle}")
    if a.status == "done":
        actions.append("/close")
    body = ticket_body(session, a, extra=("", *actions))
    return [one_line(a.title), body, a.due.isoformat() if a.due else ""]


# -- Linear ------------------------------------------------------------------------------------
# Linear's CSV import reads Title, Description, Priority, Status, Assignee, Created, Completed,
# Labels and Estimate; no due date, so it is in the description. Status is a workflow state of
# Linear's default workflow (Backlog, Todo, In Progress, Done, Canceled); "open" is not one.
# Assignees are matched by e-mail. https://linear.app/docs/import-issues

def _linear(session: Session, a: ActionItem) -> list[str]:
    return [one_line(a.title), ticket_body(session, a, due=True),
            "Done" if a.status == "done" else "Todo", _owner(session, a, "email"), LABEL]


TRACKERS: dict[str, Tracker] = {
    t.name: t for t in (
        Tracker("jira", ("Summary", "Issue Type", "Description", "Assignee", "Due Date",
                         "Status", "Labels"), "email", _jira),
        Tracker("github", ("title", "body", "assignees", "labels", "state"), "handle", _github),
        Tracker("gitlab", ("title", "description", "due_date"), "handle", _gitlab),
        Tracker("linear", ("Title", "Description", "Status", "Assignee", "Labels"), "email",
                _linear),
    )
}


assert tuple(TRACKERS) == TRACKER_NAMES, "every tracker the CSV offers is shaped here"


def unmapped_owners(session: Session, tracker: str) -> list[str]:
    """Owners the tracker cannot be given (no roster entry with its e-mail or handle), each
    once, in the order of the actions: named in the description only."""
    field = TRACKERS[tracker].owner_field
    missing: list[str] = []
    for a in session.agreed_actions():
        owner = one_line(a.owner)
        if owner and not _owner(session, a, field) and owner not in missing:
            missing.append(owner)
    return missing


def write_for(session: Session, tracker: str) -> str:
    spec = TRACKERS[tracker]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spec.header)
    for a in session.agreed_actions():
        writer.writerow([clean_text(cell) for cell in spec.row(session, a)])
    return buffer.getvalue()
