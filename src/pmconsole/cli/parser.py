"""The command line's parser: every command, its arguments and its help."""

from __future__ import annotations

import argparse
from typing import Callable

from pmconsole.domain.method import FOLLOWUP, MEETING_MINUTES, span
from pmconsole.domain.model import EVENT_KINDS
from pmconsole.cli.console_commands import cmd_demo, cmd_feedback, cmd_notes, cmd_open, cmd_serve
from pmconsole.cli.log_commands import cmd_actions, cmd_actions_sync, cmd_log_publish, cmd_log_search, cmd_log_stats, cmd_review, review_help
from pmconsole.cli.session_commands import cmd_action_add, cmd_action_done, cmd_check, cmd_export, cmd_followup_set, cmd_import, cmd_new, cmd_timeline_add
from pmconsole.cli.values import Parser, UsageError, bounded, listen_address


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
        p.add_argument("--host", default="127.0.0.1", type=listen_address,
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
        p.epilog_from = review_help  # how to answer, and how to script it
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
