"""The open actions as a shell script of ``gh issue create`` commands, for GitHub, which has no
CSV importer for issues: the facilitator reads it, then runs it in the repository's folder.

Every value from the session is one shell word through ``shlex.quote``, so nothing a title or a
description holds can run. ``gh issue create`` has no due-date option: the due day is in the
body with the rest (``trackers.ticket_body``). Owners are assigned by their GitHub login (the
roster's ``handle``); labels and a milestone come from the command line. Done actions are named
in a comment, not created.
https://cli.github.com/manual/gh_issue_create

Never import Textual here.
"""

from __future__ import annotations

import shlex
from datetime import datetime

from pmconsole.domain.model import Session
from pmconsole.exporters.common import NO_OPTIONS, Options, one_line, origin, participant_of
from pmconsole.exporters.trackers import LABEL, ticket_body


def write(session: Session, now: datetime, options: Options = NO_OPTIONS) -> str:
    lines = [
        "#!/bin/sh",
        f"# GitHub issues for the open actions. {one_line(origin(session))}",
        "# Written by pmconsole. Read it, then run it where `gh repo view` shows the repository",
        "# (or add --repo OWNER/REPO to each command). It stops at the first command that fails.",
        "set -eu",
    ]
    labels = [LABEL, *(one_line(label) for label in options.labels if one_line(label))]
    for a in session.agreed_actions():
        if a.status == "done":
            lines.append(f"# Already done, not created: {one_line(a.title)} ({a.id})")
            continue
        words = ["gh", "issue", "create", "--title", one_line(a.title),
                 "--body", ticket_body(session, a, due=True)]
        for label in labels:
            words += ["--label", label]
        if options.milestone and one_line(options.milestone):
            words += ["--milestone", one_line(options.milestone)]
        person = participant_of(session, a.owner)
        if person is not None and person.handle:
            words += ["--assignee", person.handle]
        lines.append(" ".join(shlex.quote(w) for w in words))
    return "\n".join(lines) + "\n"
