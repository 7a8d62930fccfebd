"""The command line: `pmconsole …`. Builds the console through one factory (`app.make_app`).

Exit codes: 0 done; 1 refused by a rule of the method (the message names the rule and the way
out); 2 bad usage or unreadable input (the message names the file, and the line where there is
one). No traceback for anything a user can type; a refused or failed command changes nothing.

Textual is imported only by the commands that open a screen, so scripts stay fast.
"""

from __future__ import annotations

import sys

from pmconsole.domain.ops import OpError
from pmconsole.storage.notices import ReadOnlySession
from pmconsole.storage.toml_file import SessionFileError
from pmconsole.cli.values import (  # noqa: F401  (the command line's public names)
    Refused, UsageError, bounded, one_line, parse_day, parse_timestamp,
)
from pmconsole.cli.parser import build_parser  # noqa: F401
from pmconsole.cli.console_commands import cmd_picker  # noqa: F401


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
