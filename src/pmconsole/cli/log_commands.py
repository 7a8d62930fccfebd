"""The commands over the whole post-mortem log: search, stats, publish, the actions across
post-mortems and their sync from a tracker, and the two-week review."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pmconsole.storage import locations
from pmconsole.domain.actions import status_ops
from pmconsole.domain.model import Session
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import SessionFileError
from pmconsole.cli.common import finish, open_for_edit, progress_on_stderr
from pmconsole.cli.values import Refused, UsageError, one_line, parse_timestamp


def cmd_review(args: argparse.Namespace) -> int:
    from pmconsole.cli.review import cmd_review as review  # its own module: the prompts

    return review(args)


def review_help() -> str:
    from pmconsole.cli.review import HELP

    return HELP


def open_log(args: argparse.Namespace):
    import sqlite3

    from pmconsole.storage.log_index import PostMortemLog, index_path_for

    folder = locations.sessions_dir(args.sessions_dir)
    args.searched = folder  # named when nothing is found
    try:
        log = PostMortemLog(folder)
        log.update(progress=progress_on_stderr("indexing the post-mortem log"))
    except (OSError, sqlite3.Error) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise UsageError(
            f"{index_path_for(folder)}: the post-mortem log's index cannot be written: {reason}"
        ) from None
    return log


def _nothing_found(what: str, folder: Path) -> str:
    """Nothing found, and where it was looked for: the folder may be the wrong one."""
    if not folder.is_dir():
        return (f"no {what}: there is no sessions folder {one_line(str(folder))} "
                "(choose one with --sessions-dir or PMCONSOLE_SESSIONS_DIR)")
    return f"no {what} match in {one_line(str(folder))}"


def cmd_log_search(args: argparse.Namespace) -> int:
    from pmconsole.storage.log_index import LogQueryError, hits_json, parse_since

    now = datetime.now(timezone.utc)
    log = open_log(args)
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
    for sentence in report.blame:
        print(f"warning: {one_line(sentence)}; published as written: reframe it as a "
              "condition of the system, and publish again", file=sys.stderr)
    print(one_line(
        f"published {len(report.rebuilt) + report.kept} post-mortem(s) to {report.out}: "
        f"{len(report.rebuilt)} page(s) built, {report.kept} unchanged"
        + (f", {len(report.removed)} file(s) removed" if report.removed else "")
        + (f", {len(report.search_built)} search bundle(s) built" if report.search_built else "")
    ))
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    now = parse_timestamp(args.now, "--now") if args.now else datetime.now(timezone.utc)
    log = open_log(args)
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
    from pmconsole.exporters.tracker_sync import (
        SyncRefused, plan_log_sync, plan_sync, within_the_open_limit,
    )
    from pmconsole.storage.toml_file import read_regular

    if len(args.paths) != (1 if args.log else 2):
        raise UsageError("actions sync takes FILE EXPORT.csv, or --log EXPORT.csv for every "
                         "post-mortem in the sessions folder")
    now = datetime.now(timezone.utc)
    sessions: dict[str, Session] = {}
    if args.log:
        log = open_log(args)
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
        for line in plan.refused:
            print(one_line(f"{name + ': ' if args.log else ''}{line}"), file=sys.stderr)
        if not plan.changes:
            continue
        store = open_for_edit(Path(name))
        try:
            current = {a.id: a for a in store.session.actions}
            store.edit(*(op for change in plan.changes for op in status_ops(
                current.get(change.action.id, change.action), change.status, change.at,
                change.note)), guard=within_the_open_limit(plan, name))
        except SyncRefused as err:
            raise Refused(str(err)) from None
        finally:
            finish(store)
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
