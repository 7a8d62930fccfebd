"""`pmconsole review FILE` (or `--all`): the two-week review as a meeting of its own.

Each open action is walked, one prompt at a time on a terminal (plain input(), no screen), or
given on the command line (`--status ID=done --note ID="…"`). Nothing is recorded until every
answer is in: then each post-mortem gets, in one edit, a history entry per action reviewed (its
status and note), its new statuses, and the day the review was held (`followup.review` then
holds); and its progress report is written beside it (NAME.review.md and NAME.review.html).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from pmconsole.domain.actions import days_overdue
from pmconsole.domain.model import Session
from pmconsole.domain.review import VERDICT_WORDS, Verdict, review_ops
from pmconsole.storage.oplog import read_snapshot
from pmconsole.cli.common import finish, open_for_edit, session_path
from pmconsole.cli.log_commands import open_log
from pmconsole.cli.values import UsageError, parse_timestamp

HELP = """\
On a terminal, each open action is shown with its owner and due date and asked for:
d done, o still open (Enter), r dropped, then a note for its history; the note may follow
the status on the same line ("d merged in #412"). Nothing is recorded
until the last answer; Ctrl-C or Ctrl-D before that leaves every file as it was.

From a script: --status ID=STATE (STATE: done, open, dropped) and --note ID=TEXT, each as often
as needed; an action given only a note keeps its status, an action given neither is left as it
is. Either way the review is marked as held on the day of --now (default: today) and the
progress report is written beside the session: NAME.review.md and NAME.review.html.
"""

PROMPT = "  status? d done, o still open (Enter), r dropped: "


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items or []:
        action_id, sep, value = item.partition("=")
        if not sep or not action_id.strip():
            raise UsageError(f"{option} {item!r}: write it as ID=VALUE, like {option} a-1=done")
        pairs[action_id.strip()] = value
    return pairs


def _verdict_word(text: str, where: str) -> str:
    word = " ".join(text.strip().lower().replace("-", " ").split())
    if word not in VERDICT_WORDS:
        raise UsageError(f"{where}: {text!r} is not a status; use done, open or dropped")
    return VERDICT_WORDS[word]


def _sessions(args: argparse.Namespace) -> list[tuple[Path, Session]]:
    if args.all == bool(args.file):
        raise UsageError("review: name one session FILE, or --all for every open action")
    if args.file:
        path = session_path(args)
        return [(path, read_snapshot(path))]
    # The log's index says which post-mortems have open actions: only those are read.
    log = open_log(args)
    try:
        paths = sorted({row.path for row in log.actions(datetime.now(timezone.utc))
                        if row.status == "open"})
        for hit in log.unreadable():
            print(f"pmconsole: warning: {hit.error}; not reviewed", file=sys.stderr)
    finally:
        log.close()
    sessions = [(Path(p), read_snapshot(Path(p))) for p in paths]
    return [(path, s) for path, s in sessions if s.open_actions()]


def _ask(path: Path, session: Session, number: int, total: int, now: datetime) -> dict:
    """The verdicts of one post-mortem's open actions, asked one by one."""
    today = session.local(now).date()
    verdicts = {}
    print(f'\nTwo-week review of "{session.incident.title or "Untitled incident"}" ({path.name}, '
          f"{number} of {total}): {len(session.actions)} actions, "
          f"{len(session.open_actions())} open.")
    for done in (a for a in session.actions if a.status != "open"):
        print(f"  already {done.status}: {done.title}")
    for i, action in enumerate(session.open_actions(), 1):
        late = days_overdue(action, today)
        print(f"[{i}/{len(session.open_actions())}] {action.title}")
        print(f"  owner {action.owner or 'none'} · due "
              f"{action.due.isoformat() if action.due else 'not set'}"
              + (f" ({late} days overdue)" if late else "")
              + (f" · done when: {action.criterion}" if action.criterion else ""))
        while True:
            status, note = _status_and_note(input(PROMPT))
            if status is not None:
                break
            print("  type d, o or r (or press Enter for still open), then a note if you like")
        if note:
            print(f"  note: {note}")
        else:
            note = input("  note: ").strip()
        verdicts[action.id] = Verdict(status, note)
    return verdicts


def _status_and_note(answer: str) -> tuple[str | None, str]:
    """An answer to the status prompt: a status word alone ("d", "", "still open"), or followed
    by the note on the same line ("d merged in #412"), as people type when they know both.
    (None, "") when it starts with no status word."""
    text = answer.strip()
    if not text:
        return "open", ""
    for size in (2, 1):  # "still open merged" reads as still open, then the note
        words = text.split(maxsplit=size)
        head = " ".join(words[:size]).lower().rstrip(":,.-")
        if len(words) >= size and head in VERDICT_WORDS:
            return VERDICT_WORDS[head], " ".join(words[size:]).lstrip(":,.- ")
    return None, ""


def cmd_review(args: argparse.Namespace) -> int:
    from pmconsole.publish.progress import progress_counts, progress_rows, write_report

    now = parse_timestamp(args.now, "--now") if args.now else datetime.now(timezone.utc)
    statuses = {k: _verdict_word(v, f"--status {k}") for k, v in _pairs(args.status, "--status").items()}
    notes = _pairs(args.note, "--note")
    sessions = _sessions(args)
    known = {a.id: a for _, s in sessions for a in s.actions}
    for action_id in [*statuses, *notes]:
        if action_id not in known:
            names = ", ".join(known) or "none"
            where = sessions[0][0] if args.file else "review --all"
            raise UsageError(f"{where}: no action item with id {action_id!r} (known: {names})")
    scripted = bool(statuses or notes)
    if not scripted and not sys.stdin.isatty():
        raise UsageError("review: not on a terminal, so give each action's status with "
                         "--status ID=STATE (see pmconsole review --help)")
    if not sessions:
        print("No open actions in the post-mortem log: nothing to review.")
        return 0

    plan = []
    for number, (path, session) in enumerate(sessions, 1):
        if scripted:
            verdicts = {
                a.id: Verdict(statuses.get(a.id, a.status), notes.get(a.id, ""))
                for a in session.actions if a.id in statuses or a.id in notes
            }
        else:
            try:
                verdicts = _ask(path, session, number, len(sessions), now)
            except EOFError:
                raise UsageError("review: the input ended before the last answer; nothing "
                                 "was recorded") from None
            except KeyboardInterrupt:
                print()  # the question's line ends where Ctrl+C was pressed
                print("pmconsole: review: stopped before the last answer; nothing was recorded",
                      file=sys.stderr)
                return 130
        if verdicts or not args.all:
            plan.append((path, verdicts))

    if not scripted:
        print()
    for path, verdicts in plan:
        store = open_for_edit(path)
        try:
            store.edit(*review_ops(store.session, verdicts, now))
        finally:
            finish(store)
        session = read_snapshot(path)
        markdown, html = write_report(path, session, now)
        print(f"{path.name}: review held on {session.followup_review_held.isoformat()}: "
              f"{progress_counts(progress_rows(session, now))}; the report is in "
              f"{markdown.name} and {html.name}")
    return 0
