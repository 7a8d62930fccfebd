"""The commands that create, edit, check, import into and export one session."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from pmconsole.storage import locations
from pmconsole.domain.actions import agreed, status_ops
from pmconsole.domain.method import MEETING_MINUTES
from pmconsole.domain.model import WRAP_UP, ActionItem, Incident, Meeting, Session, TimelineEvent
from pmconsole.domain.ops import add_op, set_op
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import atomic_write, create_session
from pmconsole.cli.common import finish, open_for_edit, progress_on_stderr, session_path
from pmconsole.cli.values import Refused, UsageError, first_line, one_line, parse_day, parse_timestamp


def cmd_new(args: argparse.Namespace) -> int:
    from pmconsole.storage.config import load_settings

    path = session_path(args)
    if args.from_json:
        return _new_from_json(path, args)
    missing = [flag for flag, value in (("--title", args.title),
                                        ("--incident-start", args.incident_start),
                                        ("--incident-end", args.incident_end)) if not value]
    if missing:
        raise UsageError(f"new needs {', '.join(missing)} (or --from-json EXPORT.json)")
    settings, _ = load_settings(locations.config_file())
    minutes = args.duration if args.duration is not None else settings.planned_minutes
    low, high = MEETING_MINUTES
    if not low <= minutes <= high:
        raise Refused(
            f"meeting.duration: a post-mortem is planned for {low}-{high} minutes, not "
            f"{minutes}; use --duration between {low} and {high}"
        )
    started = parse_timestamp(args.incident_start, "--incident-start")
    ended = parse_timestamp(args.incident_end, "--incident-end")
    if ended < started:
        raise UsageError("--incident-end is before --incident-start")
    try:
        session = Session(
            incident=Incident(
                title=args.title,
                severity=args.severity,
                tags=args.tag or [],
                started_at=started,
                detected_at=parse_timestamp(args.detected, "--detected") if args.detected else None,
                mitigated_at=(
                    parse_timestamp(args.mitigated, "--mitigated") if args.mitigated else None
                ),
                resolved_at=ended,
                timezone=args.timezone,
            ),
            meeting=Meeting(
                scheduled_at=parse_timestamp(args.meeting, "--meeting") if args.meeting else None,
                planned_minutes=minutes,
                statement=settings.statement,
            ),
        )
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        raise UsageError(first_line(err)) from None
    create_session(path, session)  # a write that fails is one line naming the file and why
    print(f"created {path}")
    return 0


def _new_from_json(path: Path, args: argparse.Namespace) -> int:
    """A new session file from a JSON export: the whole session, as exported."""
    from pmconsole.exporters.json_export import session_from_json
    from pmconsole.storage.toml_file import read_regular

    given = [flag for flag in ("title", "incident_start", "incident_end", "detected",
                               "mitigated", "meeting", "duration", "tag")
             if getattr(args, flag)]
    given += [flag for flag, default in (("severity", "SEV2"), ("timezone", "UTC"))
              if getattr(args, flag) != default]
    if given:
        raise UsageError("--from-json takes the whole session from the export; leave out "
                         + ", ".join("--" + flag.replace("_", "-") for flag in given))
    source = Path(args.from_json)
    session = session_from_json(read_regular(source, 64 * 1024 * 1024, "a JSON export"),
                                source)
    create_session(path, session)
    print(f"created {path}")
    return 0


def cmd_timeline_add(args: argparse.Namespace) -> int:
    path = session_path(args)
    read_snapshot(path)  # unreadable files are reported before anything is created
    event = TimelineEvent(
        at=parse_timestamp(args.at, "--at"),
        kind=args.kind,
        text=args.text,
        basis="interpretation" if args.interpretation else "fact",
        major=args.major,
        source=args.source or "",
    )
    store = open_for_edit(path)
    store.edit(add_op("timeline", event))
    finish(store)
    print(event.id)
    return 0


def cmd_action_add(args: argparse.Namespace) -> int:
    from pmconsole.domain import rules

    path = session_path(args)
    snapshot = read_snapshot(path)
    known_factors = {f.id for f in snapshot.factors}
    for fid in args.factor or []:
        if fid not in known_factors:
            raise UsageError(f"{path}: no contributing factor with id {fid!r}")
    try:
        action = ActionItem(
            title=args.title,
            owner=args.owner,
            due=parse_day(args.due, "--due"),
            criterion=args.criterion,
            description=args.description or "",
            factor_ids=args.factor or [],
            staging_check=parse_day(args.staging, "--staging") if args.staging else None,
            due_reason=args.reason or "",
        )
    except ValueError as err:
        raise UsageError(first_line(err)) from None

    def refuse_if_blocked(session: Session) -> None:
        blocked = rules.blocks(rules.check_new_action(session, action))
        if blocked:
            first = blocked[0]
            raise Refused(f"{first.rule}: {first.message} — {first.hint}")

    refuse_if_blocked(snapshot)
    store = open_for_edit(path)
    try:
        action = agreed(action, datetime.now(timezone.utc))
        # Checked again inside the commit's own transaction: with every edit that landed
        # meanwhile, and none landing between the check and the add (eight concurrent adds
        # leave seven open, never more).
        store.edit(add_op("actions", action), guard=refuse_if_blocked)
    finally:
        finish(store)
    print(action.id)
    return 0


def cmd_action_done(args: argparse.Namespace) -> int:
    path = session_path(args)
    snapshot = read_snapshot(path)
    if not any(a.id == args.id for a in snapshot.actions):
        known = ", ".join(a.id for a in snapshot.actions) or "none"
        raise UsageError(f"{path}: no action item with id {args.id!r} (known: {known})")
    store = open_for_edit(path)
    try:
        action = next(a for a in store.session.actions if a.id == args.id)
        ops = status_ops(action, "done", datetime.now(timezone.utc), args.note or "")
        if ops:
            store.edit(*ops)
    finally:
        finish(store)
    print(f"{args.id} done")
    return 0


def cmd_followup_set(args: argparse.Namespace) -> int:
    from pmconsole.domain import rules

    path = session_path(args)
    snapshot = read_snapshot(path)
    day = parse_day(args.date, "DATE")

    def refuse_if_outside(session: Session) -> None:
        outside = rules.review_outside_window(session, day)
        if outside:
            raise Refused(f"{outside.rule}: {outside.message} — {outside.hint}")

    refuse_if_outside(snapshot)
    store = open_for_edit(path)
    try:
        refuse_if_outside(store.session)  # again: the meeting may have moved meanwhile
        store.edit(set_op("session", "followup_review_at", day))
    finally:
        finish(store)
    print(f"follow-up review on {day.isoformat()}")
    return 0


def _looked_at(path: Path):
    """The session for a command that only looks at it; a file changed outside pmconsole is
    said on stderr, as it is shown as it is on disk."""
    said: list[str] = []
    session = read_snapshot(path, said)
    for sentence in said:
        print(f"{path}: {sentence}.", file=sys.stderr)
    return session


def cmd_check(args: argparse.Namespace) -> int:
    from pmconsole.domain import rules

    path = session_path(args)
    session = _looked_at(path)
    now = parse_timestamp(args.now, "--now") if args.now else datetime.now(timezone.utc)
    findings = rules.check(session, now=now)
    from pmconsole.publish.privacy import AllowListError, check_findings

    try:
        findings += check_findings(session, path)  # what publishing the log would refuse
    except AllowListError as err:
        raise UsageError(str(err)) from None
    blocked = rules.blocks(findings)
    if args.json:
        print(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        if not findings:
            print(f"{path}: nothing to report")
        for f in findings:
            where = "wrap-up" if f.step >= WRAP_UP else f"step {f.step}"
            print(f"{f.severity:5}  {where:7}  {f.rule}: {f.message}")
            if f.hint:
                print(f"       {f.hint}")
        print(
            f"{len(blocked)} block, "
            f"{sum(f.severity == 'warn' for f in findings)} warn, "
            f"{sum(f.severity == 'info' for f in findings)} info"
        )
    return 1 if blocked else 0


# The store reads and checks the file before it creates anything beside it, so an unreadable
# file is refused (exit 2) with nothing written.


def cmd_import(args: argparse.Namespace) -> int:
    from pmconsole.storage.config import load_settings
    from pmconsole.importers import ImportRefused, import_timeline

    path = session_path(args)
    snapshot = read_snapshot(path)
    settings, _ = load_settings(locations.config_file())
    try:
        result = import_timeline(
            Path(args.source),
            snapshot,
            fmt=args.format,
            limit_bytes=settings.import_limit_mb * 1024 * 1024,
            progress=progress_on_stderr(f"importing {args.source}"),
            timezone=args.timezone,
            time_field=args.time_field,
            text_field=args.text_field,
            date=args.date,
            channel=args.channel,
        )
    except ImportRefused as err:
        raise UsageError(str(err)) from None
    for problem in result.problems:
        where = f"{problem.where}:" if problem.where else ""
        print(f"{args.source}:{where}{problem.line}: skipped: {problem.message}", file=sys.stderr)
    if args.preview and not _confirmed_after_preview(result, snapshot.zone()):
        return 0
    if result.events:
        store = open_for_edit(path)
        try:
            store.edit(*(add_op("timeline", event) for event in result.events))
        finally:
            finish(store)
    print(result.summary())
    return 0


def _confirmed_after_preview(result, zone) -> bool:
    """--preview: the events an import would add, in the session's zone, then the question
    (asked only on a terminal; anywhere else nothing is written)."""
    for line in result.preview_lines(zone):
        print(one_line(line))
    print(f"{result.summary()} (times shown in {zone.key})")
    if not result.events or not sys.stdin.isatty():
        print("preview only: nothing written")
        return False
    try:
        answer = input(f"Import these {len(result.events)} events? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().casefold() in ("y", "yes"):
        return True
    print("nothing written")
    return False


def cmd_export(args: argparse.Namespace) -> int:
    from pmconsole import exporters

    path = session_path(args)
    form = exporters.FORMATS[args.format]
    if args.tracker and not form.trackers:
        raise UsageError(f"--for {args.tracker}: only csv is shaped for a tracker")
    if (args.label or args.milestone) and args.format != "gh":
        raise UsageError("--label and --milestone are for --format gh")
    session = _looked_at(path)
    shaped = dict(tracker=args.tracker, labels=tuple(args.label), milestone=args.milestone)
    if args.tracker:
        from pmconsole.exporters.trackers import TRACKERS, unmapped_owners

        field = TRACKERS[args.tracker].owner_field  # the roster's email or handle
        for owner in unmapped_owners(session, args.tracker):
            print(f"{owner}: no {field} on the roster for {args.tracker}; named in the "
                  "description only", file=sys.stderr)
    blocked = exporters.one_page_blocks(session)
    if blocked and not args.force:
        first = blocked[0]
        raise Refused(f"{first.rule}: {first.message} — {first.hint} (or export with --force)")
    if args.output == "-":  # as Unix tools take it: the standard output, UTF-8 as the files
        sys.stdout.flush()
        sys.stdout.buffer.write(exporters.export(session, args.format, **shaped).encode("utf-8"))
        sys.stdout.buffer.flush()
        return 0
    out = (Path(args.output) if args.output
           else exporters.default_output(path, args.format, args.tracker))
    if out.resolve() == path.resolve():
        raise UsageError(f"{out}: that is the session file itself; choose another name")
    if ".pmlog" in out.resolve().name:
        raise UsageError(f"{out}: that is a session's edit log, which pmconsole keeps for "
                         "itself; choose another name")
    try:
        taken = out.exists() or out.is_symlink()
    except OSError as err:  # a name too long, a loop of links
        raise UsageError(f"{out}: cannot write: {err.strerror or err}") from None
    if taken and not args.force:
        raise UsageError(f"{out}: already exists; use --force to replace it")
    previous = exporters.previous_export(out, args.format) if taken else None
    text = exporters.export(session, args.format, previous=previous, **shaped)
    try:
        atomic_write(out, text.encode("utf-8"))
    except OSError as err:
        raise UsageError(f"{out}: cannot write: {err.strerror or err}") from None
    print(out)
    return 0
