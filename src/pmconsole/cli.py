"""The command line: `pmconsole …`. Builds the console through one factory (`app.make_app`).

Exit codes: 0 done; 1 refused by a rule of the method (the message names the rule and the way
out); 2 bad usage or unreadable input (the message names the file, and the line where there is
one). No traceback for anything a user can type; a refused or failed command changes nothing.

Textual is imported only by the commands that open a screen, so scripts stay fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, NoReturn

from pydantic import ValidationError

from pmconsole.storage import locations
from pmconsole.domain.text import clean_text
from pmconsole.domain.actions import agreed, status_ops
from pmconsole.domain.method import FOLLOWUP, MEETING_MINUTES, span
from pmconsole.domain.model import error_line, plausible_date, to_utc
from pmconsole.domain.model import (
    EVENT_KINDS, WRAP_UP, ActionItem, Incident, Meeting, Session, TimelineEvent,
)
from pmconsole.domain.ops import OpError, add_op, set_op
from pmconsole.startup import pause_collector, resume_collector
from pmconsole.storage.notices import ReadOnlySession
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.session_store import SessionStore
from pmconsole.storage.toml_file import (
    SessionFileError,
    atomic_write,
    create_session,
    ensure_folder,
)


class UsageError(Exception):
    """Bad input on the command line (exit 2)."""


class Refused(Exception):
    """Refused by a rule of the method (exit 1)."""


# -- parsing values ------------------------------------------------------------------------------


def parse_timestamp(text: str, what: str = "time") -> datetime:
    """ISO 8601 with an offset or Z. A time without a zone is refused: it would be a guess."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{what} {text!r} is not an ISO 8601 time; write it like 2026-11-23T14:32:00Z"
        ) from None
    if value.tzinfo is None:
        raise UsageError(f"{what} {text!r} has no time zone; add Z or an offset like +01:00")
    try:
        return to_utc(value)
    except (ValueError, OverflowError) as err:
        raise UsageError(f"{what} {text!r}: {err}") from None


def bounded(kind: type, low: float, high: float) -> Callable[[str], int | float]:
    """An argparse type for a number within [low, high]: anything else (too large to count
    with, not finite, nan) is refused as bad usage, one line, before any work is done."""
    import math

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
            ) from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r} is out of range ({low:g}-{high:g})")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def parse_day(text: str, what: str = "date") -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise UsageError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD")
    try:
        return plausible_date(date.fromisoformat(text.strip()))
    except ValueError as err:
        raise UsageError(f"{what} {text!r} is not a real date ({err})") from None


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as our UsageError (exit 2, one line, no traceback).

    ``epilog_from``, when set, writes the help's closing text when help is asked for: what it
    needs to import is then imported only for ``--help``, not at every start."""

    epilog_from: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.epilog_from is not None:
            self.epilog = self.epilog_from()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        # main() puts "pmconsole: " in front; name only the subcommand here.
        where = self.prog.removeprefix("pmconsole").strip()
        raise UsageError(f"{where}: {message}" if where else message)


# -- commands ------------------------------------------------------------------------------------


def _session_path(args: argparse.Namespace) -> Path:
    return locations.resolve_session_path(args.file, locations.sessions_dir(args.sessions_dir))


def cmd_new(args: argparse.Namespace) -> int:
    from pmconsole.storage.config import load_settings

    path = _session_path(args)
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
        raise UsageError(_first_line(err)) from None
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


def _open_for_edit(path: Path, role: str = "script") -> SessionStore:
    """The session opened for one command's edit. A file changed on disk since pmconsole
    last wrote it is merged first, deleting nothing acknowledged where its base cannot be
    told, and that is said on stderr."""
    store = SessionStore(path, role=role, keep_acknowledged=True)
    for notice in store.notices:
        if notice.merged:
            print(f"pmconsole: {notice.severity}: {notice.text}", file=sys.stderr)
    return store


def _finish(store: SessionStore) -> None:
    """Write the checkpoint and let go. An edit not committed to the live log is a failure
    (nothing changed); a committed edit whose checkpoint failed is saved, and says so."""
    unsaved = bool(store.pending)
    store.checkpoint()
    # The store says "retrying" for the console, which does retry; a command does not.
    error = store.error.removesuffix("; retrying")
    store.close()
    if unsaved:
        raise SessionFileError(store.path, error or "the edit could not be saved")
    if error:
        print(
            f"pmconsole: warning: saved in the live log {store.log_path.name}, but {error}; "
            "the file is brought up to date by the next command or the console",
            file=sys.stderr,
        )


def cmd_timeline_add(args: argparse.Namespace) -> int:
    path = _session_path(args)
    read_snapshot(path)  # unreadable files are reported before anything is created
    event = TimelineEvent(
        at=parse_timestamp(args.at, "--at"),
        kind=args.kind,
        text=args.text,
        basis="interpretation" if args.interpretation else "fact",
        major=args.major,
        source=args.source or "",
    )
    store = _open_for_edit(path)
    store.edit(add_op("timeline", event))
    _finish(store)
    print(event.id)
    return 0


def cmd_action_add(args: argparse.Namespace) -> int:
    from pmconsole.domain import rules

    path = _session_path(args)
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
        raise UsageError(_first_line(err)) from None

    def refuse_if_blocked(session: Session) -> None:
        blocked = rules.blocks(rules.check_new_action(session, action))
        if blocked:
            first = blocked[0]
            raise Refused(f"{first.rule}: {first.message} — {first.hint}")

    refuse_if_blocked(snapshot)
    store = _open_for_edit(path)
    try:
        action = agreed(action, datetime.now(timezone.utc))
        # Checked again inside the commit's own transaction: with every edit that landed
        # meanwhile, and none landing between the check and the add (eight concurrent adds
        # leave seven open, never more).
        store.edit(add_op("actions", action), guard=refuse_if_blocked)
    finally:
        _finish(store)
    print(action.id)
    return 0


def cmd_action_done(args: argparse.Namespace) -> int:
    path = _session_path(args)
    snapshot = read_snapshot(path)
    if not any(a.id == args.id for a in snapshot.actions):
        known = ", ".join(a.id for a in snapshot.actions) or "none"
        raise UsageError(f"{path}: no action item with id {args.id!r} (known: {known})")
    store = _open_for_edit(path)
    try:
        action = next(a for a in store.session.actions if a.id == args.id)
        ops = status_ops(action, "done", datetime.now(timezone.utc), args.note or "")
        if ops:
            store.edit(*ops)
    finally:
        _finish(store)
    print(f"{args.id} done")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from pmconsole.cli_review import cmd_review as review  # its own module: the prompts

    return review(args)


def _review_help() -> str:
    from pmconsole.cli_review import HELP

    return HELP


def cmd_followup_set(args: argparse.Namespace) -> int:
    from pmconsole.domain import rules

    path = _session_path(args)
    snapshot = read_snapshot(path)
    day = parse_day(args.date, "DATE")

    def refuse_if_outside(session: Session) -> None:
        outside = rules.review_outside_window(session, day)
        if outside:
            raise Refused(f"{outside.rule}: {outside.message} — {outside.hint}")

    refuse_if_outside(snapshot)
    store = _open_for_edit(path)
    try:
        refuse_if_outside(store.session)  # again: the meeting may have moved meanwhile
        store.edit(set_op("session", "followup_review_at", day))
    finally:
        _finish(store)
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

    path = _session_path(args)
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


def _log(args: argparse.Namespace):
    import sqlite3

    from pmconsole.storage.log_index import PostMortemLog, index_path_for

    folder = locations.sessions_dir(args.sessions_dir)
    args.searched = folder  # named when nothing is found
    try:
        log = PostMortemLog(folder)
        log.update(progress=_progress_on_stderr("indexing the post-mortem log"))
    except (OSError, sqlite3.Error) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise UsageError(
            f"{index_path_for(folder)}: the post-mortem log's index cannot be written: {reason}"
        ) from None
    return log


def _progress_on_stderr(what: str):
    """A progress line on stderr, only when stderr is a terminal a person is watching."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else "\r"
        print(f"{what}: {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _nothing_found(what: str, folder: Path) -> str:
    """Nothing found, and where it was looked for: the folder may be the wrong one."""
    if not folder.is_dir():
        return (f"no {what}: there is no sessions folder {one_line(str(folder))} "
                "(choose one with --sessions-dir or PMCONSOLE_SESSIONS_DIR)")
    return f"no {what} match in {one_line(str(folder))}"


def cmd_log_search(args: argparse.Namespace) -> int:
    from pmconsole.storage.log_index import LogQueryError, hits_json, parse_since

    now = datetime.now(timezone.utc)
    log = _log(args)
    try:
        since = parse_since(args.since, now) if args.since else None
        hits = log.search(args.query or "", tags=tuple(args.tag or ()), since=since)
    except LogQueryError as err:
        raise UsageError(str(err)) from None
    finally:
        log.close()
    if args.json:
        print(hits_json(hits))
        return 0
    if not hits:
        print(_nothing_found("post-mortems", args.searched), file=sys.stderr)
    for hit in hits:
        if hit.error:
            print(f"unreadable  {one_line(hit.error)}")
            continue
        tags = " ".join(f"#{t}" for t in hit.tags)
        print(one_line(f"{hit.started_at[:10]}  {hit.severity}  {hit.title}  {tags}"))
        print(f"            {one_line(hit.path)}")
        if hit.snippet:
            print(f"            {one_line(hit.snippet)}")
    return 0


def cmd_log_stats(args: argparse.Namespace) -> int:
    from pmconsole.domain.trends import describe, select, trends
    from pmconsole.storage.log_index import LogQueryError, parse_since
    from pmconsole.storage.log_sessions import read_log

    now = parse_timestamp(args.now, "--now") if args.now else datetime.now(timezone.utc)
    try:
        since = parse_since(args.since, now) if args.since else None
    except LogQueryError as err:
        raise UsageError(str(err)) from None
    folder = locations.sessions_dir(args.sessions_dir)
    contents = read_log(folder)
    chosen = select((s.session for s in contents.sessions), since=since, tags=args.tag or ())
    figures = trends(chosen, now, [(str(p), e) for p, e in contents.unreadable])
    if args.json:
        print(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
        return 0
    if not chosen:
        print(_nothing_found("post-mortems", folder), file=sys.stderr)
    for line in describe(figures):
        print(one_line(line))
    return 0


def cmd_log_publish(args: argparse.Namespace) -> int:
    from pmconsole.publish.privacy import ALLOW_FILE, AllowListError
    from pmconsole.publish.site import PrivacyRefused, PublishError, publish

    now = parse_timestamp(args.now, "--now") if args.now else datetime.now(timezone.utc)
    folder = locations.sessions_dir(args.sessions_dir)
    try:
        report = publish(folder, Path(args.out), now=now, redact=args.redact,
                         include_feedback=args.include_feedback)
    except (PublishError, AllowListError) as err:
        raise UsageError(str(err)) from None
    except PrivacyRefused as refused:
        for finding in refused.findings:
            print(f"pmconsole: {one_line(finding.sentence())}", file=sys.stderr)
        raise Refused(
            f"privacy: {len(refused.findings)} secret(s) or personal data found, listed above; "
            f"nothing was published. Remove them, allow reviewed ones in {folder / ALLOW_FILE}, "
            "or publish with --redact to mask them"
        ) from None
    for name, error in report.unreadable:
        print(f"unreadable, not published: {one_line(error)}", file=sys.stderr)
    if report.redacted:
        print(f"{report.redacted} post-mortem(s) published with secrets or personal data masked",
              file=sys.stderr)
    print(one_line(
        f"published {len(report.rebuilt) + report.kept} post-mortem(s) to {report.out}: "
        f"{len(report.rebuilt)} page(s) built, {report.kept} unchanged"
        + (f", {len(report.removed)} file(s) removed" if report.removed else "")
    ))
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    now = parse_timestamp(args.now, "--now") if args.now else datetime.now(timezone.utc)
    log = _log(args)
    try:
        rows = log.actions(now)
        # A session that cannot be read may hold open actions: never leave it out in silence.
        for hit in log.unreadable():
            print(f"unreadable, its actions not listed: {one_line(hit.error)}", file=sys.stderr)
    finally:
        log.close()
    if not args.all:
        rows = [r for r in rows if r.status != "dropped"]  # no follow-up is owed on them
    if args.open or args.overdue or args.due_within is not None:
        rows = [r for r in rows if r.status == "open"]
    if args.overdue:
        rows = [r for r in rows if r.days_overdue > 0]
    if args.due_within is not None:
        limit = (now + timedelta(days=args.due_within)).date().isoformat()
        rows = [r for r in rows if r.due and r.due <= limit]
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(_nothing_found("actions", args.searched), file=sys.stderr)
    for r in rows:
        late = f"  {r.days_overdue} days overdue" if r.days_overdue else ""
        print(one_line(f"{r.due or '—':10}  {r.status:7}  {r.owner or '—'}: {r.title}{late}"))
        print(f"{'':10}  " + one_line(f"{r.id} in {r.session_title} ({r.path})"))
    return 0


def cmd_actions_sync(args: argparse.Namespace) -> int:
    from pmconsole.exporters.tracker_sync import SyncRefused, plan_log_sync, plan_sync
    from pmconsole.storage.toml_file import read_regular

    if len(args.paths) != (1 if args.log else 2):
        raise UsageError("actions sync takes FILE EXPORT.csv, or --log EXPORT.csv for every "
                         "post-mortem in the sessions folder")
    now = datetime.now(timezone.utc)
    sessions: dict[str, Session] = {}
    if args.log:
        log = _log(args)
        try:
            held = sorted({row.path for row in log.actions(now)})
        finally:
            log.close()
        for name in held:
            try:
                sessions[name] = read_snapshot(Path(name))
            except SessionFileError as err:
                print(f"unreadable, its actions not synced: {one_line(str(err))}",
                      file=sys.stderr)
    else:
        path = locations.resolve_session_path(args.paths[0],
                                              locations.sessions_dir(args.sessions_dir))
        sessions[str(path)] = read_snapshot(path)  # reported before the export is read
    source = Path(args.paths[-1])
    try:
        text = read_regular(source, 64 * 1024 * 1024, "a tracker export").decode("utf-8-sig")
        if args.log:
            plans, unmatched = plan_log_sync(text, str(source), sessions, now)
        else:
            ((name, session),) = sessions.items()
            plan = plan_sync(text, str(source), session, now)
            plans, unmatched = {name: plan}, plan.unmatched
    except UnicodeDecodeError as err:
        raise UsageError(f"{source}: not UTF-8 text ({err.reason} at byte {err.start}); "
                         "export the CSV as UTF-8") from None
    except SyncRefused as err:
        raise UsageError(str(err)) from None
    for line in unmatched:
        print(line, file=sys.stderr)
    for name, plan in plans.items():
        if not plan.changes:
            continue
        store = _open_for_edit(Path(name))
        try:
            current = {a.id: a for a in store.session.actions}
            store.edit(*(op for change in plan.changes for op in status_ops(
                current.get(change.action.id, change.action), change.status, change.at,
                change.note)))
        finally:
            _finish(store)
    changed = unchanged = 0
    for name, plan in plans.items():
        where = f" in {name}" if args.log else ""
        for change in plan.changes:
            print(one_line(f"{change.action.id}{where}: {change.action.status} -> "
                           f"{change.status} ({change.note})"))
        for line in plan.unchanged:
            print(one_line(line + where))
        changed, unchanged = changed + len(plan.changes), unchanged + len(plan.unchanged)
    print(f"{changed} changed, {unchanged} as they were, {len(unmatched)} "
          f"row{'s' if len(unmatched) != 1 else ''} not matched")
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    return _run_console(_session_path(args), args, role="facilitator")


def cmd_notes(args: argparse.Namespace) -> int:
    return _run_console(_session_path(args), args, role="notes")


def cmd_import(args: argparse.Namespace) -> int:
    from pmconsole.storage.config import load_settings
    from pmconsole.importers import ImportRefused, import_timeline

    path = _session_path(args)
    snapshot = read_snapshot(path)
    settings, _ = load_settings(locations.config_file())
    try:
        result = import_timeline(
            Path(args.source),
            snapshot,
            fmt=args.format,
            limit_bytes=settings.import_limit_mb * 1024 * 1024,
            progress=_progress_on_stderr(f"importing {args.source}"),
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
        store = _open_for_edit(path)
        try:
            store.edit(*(add_op("timeline", event) for event in result.events))
        finally:
            _finish(store)
    print(result.summary())
    return 0


def _confirmed_after_preview(result, zone) -> bool:
    """--preview: the events an import would add, in the session's zone, then the question
    (asked only on a terminal; anywhere else nothing is written)."""
    for event in result.events:
        at = event.at.astimezone(zone)
        print(one_line(f"{at:%Y-%m-%d %H:%M:%S}  {event.kind:<11}  "
                       f"{event.source or '—'}: {event.text}"))
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

    path = _session_path(args)
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


def cmd_feedback(args: argparse.Namespace) -> int:
    return _run_console(_session_path(args), args, role="feedback")


def _listen_address(text: str) -> str:
    """An address to listen on: never empty (the web server takes "" for every interface)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "give an address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every "
            "interface")
    return text.strip()


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio

    try:
        from pmconsole.serve import SessionServer
        import textual_serve  # noqa: F401  (installed with pmconsole; said plainly if not)
    except ImportError as err:
        raise UsageError(f"serve needs textual-serve, which is not installed here: {err}") from None
    path = _session_path(args)
    read_snapshot(path)  # a file that cannot be read is said here, not in every browser tab
    roles = [r for r in ("notes", "feedback") if getattr(args, r)] or ["notes", "feedback"]
    server = SessionServer(
        path.resolve(),
        roles,
        host=args.host,
        port=args.port,
        max_connections=args.max_connections,
        idle_seconds=args.idle_minutes * 60,
        sessions_dir=locations.sessions_dir(getattr(args, "sessions_dir", None)),
        out=lambda line: print(one_line(line), flush=True),
    )
    try:
        asyncio.run(server.run_until_stopped())
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    folder = locations.demo_dir()
    ensure_folder(folder)
    path = folder / "demo.toml"
    for old in folder.glob("demo.pmlog*"):
        old.unlink()
    atomic_write(path, locations.bundled_demo().read_bytes())  # owner-only, never through a link
    print(f"demo session copied to {path}", file=sys.stderr)
    return _run_console(path, args, role="facilitator")


def cmd_picker(args: argparse.Namespace) -> int:
    return _run_console(None, args, role="facilitator")


def _run_console(path: Path | None, args: argparse.Namespace, role: str) -> int:
    pause_collector()  # until the first screen is ready (startup.py says why)
    try:
        from pmconsole.tui.app import make_app

        app = make_app(
            path,
            role=role,
            sessions_dir=locations.sessions_dir(getattr(args, "sessions_dir", None)),
            exit_when_ready=getattr(args, "exit_when_ready", False),
        )
        # Benchmarks start real processes without a terminal: they run the app headless.
        app.run(headless=bool(os.environ.get("PMCONSOLE_HEADLESS")))
    finally:
        resume_collector()  # the app resumes it once ready; this covers a start that failed
    return app.return_code or 0


# -- the parser ------------------------------------------------------------------------------


def build_parser(only: str | None = None) -> Parser:
    """The command line's parser; with ``only``, just that command's (see ``named_command``)."""
    parser = Parser(
        prog="pmconsole",
        description="Run a blameless incident post-mortem from the terminal.",
    )
    parser.add_argument("--sessions-dir", help="folder of session files (see README)")
    parser.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")

    def wanted(name: str) -> bool:
        return only is None or name == only

    def parser_for(group, name: str, func: Callable[[argparse.Namespace], int], help: str,
                   description: str | None = None, **more) -> Parser:
        p = group.add_parser(name, help=help, description=description or help, **more)
        p.set_defaults(func=func)
        # --sessions-dir after the command (a group's too: `timeline --sessions-dir DIR add`)
        # as well as before it; given in neither place, the default stands.
        p.add_argument("--sessions-dir", default=argparse.SUPPRESS,
                       help="folder of session files (see README)")
        return p

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str, **more):
        return parser_for(sub, name, func, help, **more)

    if wanted("open"):
        p = command("open", cmd_open, "facilitator console on FILE")
        p.add_argument("file", metavar="FILE")
    if wanted("demo"):
        command("demo", cmd_demo, "a fresh copy of the bundled demo session, opened")
    if wanted("notes"):
        p = command("notes", cmd_notes, "note-taker pane on the same session as the facilitator")
        p.add_argument("file", metavar="FILE")

    if wanted("import"):
        from pmconsole.importers import FORMATS  # the importers' one list of formats

        p = command("import", cmd_import, "import timeline events from a file",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
        p.epilog_from = _import_help  # the formats and columns, from the importer's own lists
        p.add_argument("file", metavar="FILE")
        p.add_argument("source", metavar="SOURCE",
                       help="a file a tool wrote, or a folder (the formats are listed below)")
        p.add_argument("--format", choices=FORMATS, metavar="NAME",
                       help="one of the formats below; guessed from the content when left out")
        p.add_argument("--timezone", metavar="ZONE",
                       help="the zone of times written without one (default: the incident's); "
                            "the summary says which zone was used")
        p.add_argument("--time-field", default="", metavar="PATH",
                       help="JSON: where each record's time is, as a dotted path (alert.startsAt)")
        p.add_argument("--text-field", default="", metavar="PATH",
                       help="JSON: where each record's text is, as a dotted path (alert.summary)")
        p.add_argument("--date", default="", metavar="YYYY-MM-DD",
                       help="Markdown: the day of times without one, when no heading gives it "
                            "(default: the day the incident started)")
        p.add_argument("--channel", default="", metavar="NAME",
                       help="Slack: the channel to read from a whole workspace export")
        p.add_argument("--preview", action="store_true",
                       help="show the events it would add (and the rows it skips) first; "
                            "on a terminal, import them when you say yes")

    if wanted("export"):
        from pmconsole import exporters

        p = command("export", cmd_export, "the one-page summary, actions and calendar")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--format", required=True, choices=list(exporters.FORMATS))
        p.add_argument("--for", dest="tracker", choices=exporters.FORMATS["csv"].trackers,
                       help="csv: the columns, dates and status words of this tracker's importer")
        p.add_argument("--label", action="append", default=[], metavar="LABEL",
                       help="gh: a label for every issue (again for more)")
        p.add_argument("--milestone", metavar="NAME", help="gh: the milestone of every issue")
        p.add_argument("-o", "--output", metavar="OUT",
                       help="where to write (default: beside FILE; - prints it)")
        p.add_argument("--force", action="store_true",
                       help="export a summary over one page; replace an existing OUT")

    if wanted("feedback"):
        p = command("feedback", cmd_feedback, "the anonymous feedback form, one per participant")
        p.add_argument("file", metavar="FILE")

    if wanted("serve"):
        p = command("serve", cmd_serve,
                    "the note-taker view and the feedback form in a browser (one link per role)")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--host", default="127.0.0.1", type=_listen_address,
                       help="address to listen on (default 127.0.0.1: this machine only)")
        p.add_argument("--port", type=bounded(int, 0, 65535), default=8765,
                       help="port (default 8765; 0 picks a free one)")
        p.add_argument("--notes", action="store_true", help="serve the note-taker view")
        p.add_argument("--feedback", action="store_true", help="serve the anonymous feedback form")
        p.add_argument("--max-connections", type=bounded(int, 1, 10_000), default=20, metavar="N",
                       help="connections at once per role (default 20)")
        p.add_argument("--idle-minutes", type=bounded(float, 0.01, 7 * 24 * 60), default=30.0,
                       metavar="MIN",
                       help="close a browser connection idle this long, its edits saved "
                       "(default 30)")

    if wanted("new"):
        p = command("new", cmd_new, "create a new session file")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--title", help="required unless --from-json")
        p.add_argument("--incident-start", metavar="TS", help="required unless --from-json")
        p.add_argument("--incident-end", metavar="TS", help="required unless --from-json")
        p.add_argument("--from-json", metavar="EXPORT.json",
                       help="the whole session from a JSON export (`export --format json`)")
        p.add_argument("--detected", metavar="TS")
        p.add_argument("--mitigated", metavar="TS")
        p.add_argument("--meeting", metavar="TS")
        p.add_argument("--duration", type=bounded(int, 0, 24 * 60), metavar="MIN",
                       help=f"planned minutes, {span(MEETING_MINUTES)}")
        p.add_argument("--severity", default="SEV2", choices=["SEV1", "SEV2", "SEV3", "SEV4"])
        p.add_argument("--tag", action="append", metavar="T")
        p.add_argument("--timezone", default="UTC", help="IANA zone used for display")

    if wanted("timeline"):
        timeline = command("timeline", _needs_subcommand, "timeline events")
        tsub = timeline.add_subparsers(dest="timeline_command", parser_class=Parser,
                                       metavar="ACTION")
        p = parser_for(tsub, "add", cmd_timeline_add, "add one timeline event", "add one event")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--at", required=True, metavar="TS")
        p.add_argument("--kind", required=True, choices=EVENT_KINDS)
        p.add_argument("--text", required=True)
        p.add_argument("--interpretation", action="store_true",
                       help="an interpretation, not a fact")
        p.add_argument("--major", action="store_true")
        p.add_argument("--source", metavar="S")

    if wanted("action"):
        action = command("action", _needs_subcommand, "action items")
        asub = action.add_subparsers(dest="action_command", parser_class=Parser, metavar="ACTION")
        p = parser_for(asub, "add", cmd_action_add, "add an action item")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--title", required=True)
        p.add_argument("--owner", required=True)
        p.add_argument("--due", required=True, metavar="DATE")
        p.add_argument("--criterion", required=True, help="measurable success criterion")
        p.add_argument("--factor", action="append", metavar="ID")
        p.add_argument("--description")
        p.add_argument("--staging", metavar="DATE", help="date to verify the fix in staging")
        p.add_argument("--reason", help="why a due date outside 7-21 days is right (recorded)")
        p = parser_for(asub, "done", cmd_action_done, "mark an action item done", "mark one done")
        p.add_argument("file", metavar="FILE")
        p.add_argument("id", metavar="ID")
        p.add_argument("--note", help="a status note kept in the item's history")

    if wanted("followup"):
        followup = command("followup", _needs_subcommand, "the follow-up review")
        fsub = followup.add_subparsers(dest="followup_command", parser_class=Parser,
                                       metavar="ACTION")
        p = parser_for(fsub, "set", cmd_followup_set, "set the follow-up review's date",
                       "set the day of the follow-up review, after the meeting and within "
                       f"the method's {FOLLOWUP} of it")
        p.add_argument("file", metavar="FILE")
        p.add_argument("date", metavar="DATE", help="YYYY-MM-DD")

    if wanted("review"):
        p = command("review", cmd_review, "the two-week review: each action's status, a report",
                    description="hold the two-week review: record each action's status (done, still open, "
                    "dropped) with a note in its history, mark the review as held, and write "
                    "the progress report beside the session",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
        p.epilog_from = _review_help  # how to answer, and how to script it
        p.add_argument("file", metavar="FILE", nargs="?", help="the post-mortem to review")
        p.add_argument("--all", action="store_true", help="every open action in the log")
        p.add_argument("--status", action="append", metavar="ID=STATE",
                       help="done, open or dropped, without asking")
        p.add_argument("--note", action="append", metavar="ID=TEXT",
                       help="the note kept in the action's history")
        p.add_argument("--now", metavar="TS", help="the time the review is held at (reproducible)")

    if wanted("check"):
        p = command("check", cmd_check, "run the method's rules over a session")
        p.add_argument("file", metavar="FILE")
        p.add_argument("--json", action="store_true")
        p.add_argument("--now", metavar="TS", help="the time to check at (for reproducible checks)")
    if wanted("log"):
        log = command("log", _needs_subcommand, "the post-mortem log")
        lsub = log.add_subparsers(dest="log_command", parser_class=Parser, metavar="ACTION")
        p = parser_for(lsub, "search", cmd_log_search, "search past post-mortems", "search the log")
        p.add_argument("query", nargs="?", metavar="QUERY",
                       help='words, "a phrase", OR, NOT, prefix*')
        p.add_argument("--tag", action="append", metavar="T")
        p.add_argument("--since", metavar="AGE", help="6mo, 2w, 30d, 1y or a date")
        p.add_argument("--json", action="store_true")

        p = parser_for(lsub, "publish", cmd_log_publish, "the log as a static, searchable site",
                       "write the log as a static site with full-text search (Pagefind) into "
                       "OUT, for any static host; only changed post-mortems are built again. "
                       "Refused while a secret or personal data is found that the allow-list "
                       "(docs/publishing.md) does not cover")
        p.add_argument("out", metavar="OUT", help="the site's folder (new, or published before)")
        p.add_argument("--redact", action="store_true",
                       help="publish with secrets and personal data masked instead of refusing")
        p.add_argument("--include-feedback", action="store_true",
                       help="publish the anonymous feedback too (left out unless asked for)")
        p.add_argument("--now", metavar="TS", help="the time to judge overdue actions at")
        p = parser_for(lsub, "stats", cmd_log_stats, "trends across post-mortems",
                       "trends across post-mortems: incidents per month, time to detect, "
                       "mitigate and resolve, the meeting's delay, actions done on time, "
                       "conditions by category, recurring tags")
        p.add_argument("--tag", action="append", metavar="T", help="only post-mortems with T")
        p.add_argument("--since", metavar="AGE", help="6mo, 2w, 30d, 1y or a date")
        p.add_argument("--json", action="store_true")
        p.add_argument("--now", metavar="TS", help="the time to judge at (reproducible)")

    if wanted("actions"):
        p = command("actions", cmd_actions, "the follow-up review: actions across all post-mortems")
        p.add_argument("--open", action="store_true", help="only open actions")
        p.add_argument("--all", action="store_true",
                       help="dropped actions too (left out unless asked for)")
        p.add_argument("--overdue", action="store_true",
                       help="only open actions past their due date")
        p.add_argument("--due-within", type=bounded(int, 0, 365 * 100), metavar="DAYS",
                       help="open actions due within DAYS")
        p.add_argument("--json", action="store_true")
        p.add_argument("--now", metavar="TS", help="the time to review at (reproducible)")
        ssub = p.add_subparsers(dest="actions_command", parser_class=Parser, metavar="ACTION")
        p = parser_for(ssub, "sync", cmd_actions_sync, "status back from an issue tracker",
                       "read a tracker's CSV export of the tickets made from FILE's actions "
                       "and record each ticket's status change in its action's history")
        p.add_argument("paths", nargs="+", metavar="[FILE] EXPORT.csv",
                       help="the session, then the tracker's CSV export")
        p.add_argument("--log", action="store_true",
                       help="every post-mortem in the sessions folder (give only EXPORT.csv)")
    return parser


def _import_help() -> str:
    from pmconsole.importers import csv_columns_help, format_help

    return ("Formats (guessed from the content when --format is left out):\n"
            f"{format_help()}\n\n{csv_columns_help()}")


def _needs_subcommand(args: argparse.Namespace) -> int:
    raise UsageError(f"pmconsole {args.command}: say what to do, see --help")


def one_line(text: str) -> str:
    """Text for a one-line listing or message: no terminal sequences (a file name or a key can
    carry them too), no line breaks."""
    return clean_text(text, multiline=False)


def _first_line(err: ValueError) -> str:
    if isinstance(err, ValidationError):
        return error_line(err)
    return str(err).splitlines()[0]


# Every command build_parser knows (a test holds the two together).
COMMAND_NAMES = frozenset({
    "open", "demo", "notes", "import", "export", "feedback", "serve", "new", "timeline",
    "action", "followup", "check", "log", "actions", "review",
})


def named_command(argv: list[str]) -> str | None:
    """The command a command line names, when that is plain without parsing it: its first word
    after the global options. Building the parser for that command alone saves ~3 ms of every
    start (the others have some sixty arguments between them). Anything less plain (help, an
    abbreviated or unknown option, no command) gets the whole parser, and so the same answer
    and the same messages as ever."""
    words = iter(argv)
    for word in words:
        if word == "--exit-when-ready" or word.startswith("--sessions-dir="):
            continue
        if word == "--sessions-dir":
            next(words, None)
            continue
        return word if word in COMMAND_NAMES else None
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(only=named_command(sys.argv[1:] if argv is None else argv))
    try:
        args = parser.parse_args(argv)
        func = getattr(args, "func", None) or cmd_picker
        return func(args)
    except (UsageError, SessionFileError, OpError, ReadOnlySession) as err:
        print(f"pmconsole: {one_line(str(err))}", file=sys.stderr)
        return 2
    except Refused as err:
        print(f"pmconsole: refused by {one_line(str(err))}", file=sys.stderr)
        return 1
    except OSError as err:
        # The last net for a path the system refuses where no command expected it (a name too
        # long, a loop of links): still one line naming the file, never a traceback.
        where = f"{err.filename}: " if err.filename else ""
        print(f"pmconsole: {one_line(where + (err.strerror or str(err)))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

