"""Step 7, actions: how many, how many open, complete, due in the window, measurable, checked
in staging. Each per-action check is a small function, shared by its rule and by
``check_new_action``.

Never import Textual here: the command line, scripts and tests use this without a screen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pmconsole.domain.method import ACTIONS_AGREED, DUE_DAYS, OPEN_LIMIT, STAGING_DAYS, in_words
from pmconsole.domain.model import ActionItem, Session
from pmconsole.domain.rules.base import (
    Finding,
    LogFacts,
    meeting_day,
    quote,
    rule,
    sort_key,
    today,
)

# check_new_action's parameter is named meeting_day (the public API), which hides the function.
_meeting_day_of = meeting_day
from pmconsole.domain.rules.phrasing import VAGUE, is_measurable

STEP = 7


def _incomplete(action: ActionItem) -> Finding | None:
    missing = [
        label
        for label, value in (
            ("owner", action.owner.strip()),
            ("due date", action.due),
            ("success criterion", action.criterion.strip()),
        )
        if not value
    ]
    if not missing:
        return None
    return Finding(
        "actions.complete", "block", STEP,
        f"The action {quote(action.title)} has no {' and no '.join(missing)}.",
        "Give every action an owner, a due date and a measurable success criterion.",
        action.id,
    )


def _outside_due_window(action: ActionItem, day: date) -> Finding | None:
    if action.due is None:
        return None  # actions.complete asks for the date
    days = (action.due - day).days
    low, high = DUE_DAYS
    if low <= days <= high:
        return None
    reason = action.due_reason.strip()
    if reason:
        return Finding(
            "actions.due_window", "info", STEP,
            f"The action {quote(action.title)} is due {days} days after the meeting; "
            f"the reason is recorded: {quote(reason)}.",
            "Check the date at the follow-up review.",
            action.id,
        )
    return Finding(
        "actions.due_window", "block", STEP,
        f"The action {quote(action.title)} is due {days} days after the meeting, "
        f"outside {low}–{high}.",
        f"Set a due date {low}–{high} days after the meeting, or record why it differs.",
        action.id,
    )


def _vague(action: ActionItem) -> Finding | None:
    word = VAGUE.search(action.title) or VAGUE.search(action.criterion)
    if word is None or is_measurable(action.criterion):
        return None
    return Finding(
        "actions.vague", "warn", STEP,
        f"The action {quote(action.title)} is vague ('{word.group()}') and its success "
        f"criterion names nothing to measure.",
        "Say what will be different and how you will see it: 'alert fires within "
        "2 minutes', 'runbook step added and rehearsed'.",
        action.id,
    )


def _staging_too_late(action: ActionItem, day: date) -> Finding | None:
    if action.staging_check is None or action.staging_check <= day + timedelta(days=STAGING_DAYS):
        return None
    return Finding(
        "followup.staging", "warn", STEP,
        f"The staging check of {quote(action.title)} is more than {STAGING_DAYS} days "
        f"after the meeting.",
        f"Verify the fix in staging within {STAGING_DAYS} days, while the assumptions are "
        f"fresh.",
        action.id,
    )


@rule("actions.count", STEP)
def actions_count(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    count = len(session.agreed_actions())
    low, high = ACTIONS_AGREED
    if low <= count <= high:
        return []
    return [
        Finding(
            "actions.count", "warn", STEP,
            f"{count} action item{'s' if count != 1 else ''} agreed, not {low}–{high}.",
            f"Agree {in_words(low)} to {in_words(high)} concrete actions."
            if count < low
            else f"Keep the {in_words(low)} to {in_words(high)} that matter most; too many "
            "dilute focus.",
        )
    ]


@rule("actions.open_limit", STEP)
def actions_open_limit(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    count = len(session.open_actions())
    if count <= OPEN_LIMIT:
        return []
    return [
        Finding(
            "actions.open_limit", "block", STEP,
            f"{count} action items are open; never more than {OPEN_LIMIT}.",
            f"Close or drop actions until at most {in_words(OPEN_LIMIT)} are open.",
        )
    ]


@rule("actions.complete", STEP)
def actions_complete(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    return [f for a in session.agreed_actions() if (f := _incomplete(a))]


@rule("actions.due_window", STEP)
def actions_due_window(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    day = meeting_day(session)
    if day is None:
        return []  # no meeting date to count from
    return [f for a in session.agreed_actions() if (f := _outside_due_window(a, day))]


@rule("actions.vague", STEP)
def actions_vague(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    return [f for a in session.agreed_actions() if (f := _vague(a))]


@rule("followup.staging", STEP)
def followup_staging(session: Session, log: LogFacts, now: datetime) -> list[Finding]:
    day = meeting_day(session)
    current_day = today(session, now)
    findings = []
    for action in session.agreed_actions():
        if day and (late := _staging_too_late(action, day)):
            findings.append(late)
        if action.status == "open" and action.staging_check and action.staging_check < current_day:
            findings.append(
                Finding(
                    "followup.staging", "warn", STEP,
                    f"The staging check date of {quote(action.title)} has passed "
                    f"({action.staging_check.isoformat()}) and the action is still open.",
                    "Run the staging check, or close the action with what was learned.",
                    action.id,
                )
            )
    return findings


def open_limit(session: Session, action: ActionItem) -> list[Finding]:
    """The open limit's block for ``action`` added, or opened again, as an open item: none
    while fewer than OPEN_LIMIT others are open."""
    others_open = [a for a in session.open_actions() if a.id != action.id]
    if len(others_open) < OPEN_LIMIT:
        return []
    return [Finding(
        "actions.open_limit", "block", STEP,
        f"{len(others_open)} action items are already open; the limit is {OPEN_LIMIT}.",
        "Close or drop an open action before adding another.",
        action.id,
    )]


def check_new_action(
    session: Session, action: ActionItem, meeting_day: date | None = None
) -> list[Finding]:
    """What would hold for ``action`` if it were added, or reopened, as an open item.

    The meeting day is the scheduled meeting's, else the ``meeting_day`` given, else today.
    """
    day = _meeting_day_of(session) or meeting_day or datetime.now(session.zone()).date()
    findings = open_limit(session, action)
    checks = (
        _incomplete(action),
        _outside_due_window(action, day),
        _vague(action),
        _staging_too_late(action, day),
    )
    findings += [f for f in checks if f]
    return sorted(findings, key=sort_key)

