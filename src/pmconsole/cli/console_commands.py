"""The commands that open a screen: the console, the notes pane, the feedback form, the
session picker, the demo, and serve (the same in a browser). Textual is imported only here."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pmconsole.storage import locations
from pmconsole.startup import pause_collector, resume_collector
from pmconsole.storage.oplog import read_snapshot
from pmconsole.storage.toml_file import atomic_write, ensure_folder
from pmconsole.cli.common import session_path
from pmconsole.cli.values import UsageError, one_line


def cmd_open(args: argparse.Namespace) -> int:
    return _run_console(session_path(args), args, role="facilitator")


def cmd_notes(args: argparse.Namespace) -> int:
    return _run_console(session_path(args), args, role="notes")


def cmd_feedback(args: argparse.Namespace) -> int:
    return _run_console(session_path(args), args, role="feedback")


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio

    try:
        from pmconsole.serve import SessionServer
        import textual_serve  # noqa: F401  (installed with pmconsole; said plainly if not)
    except ImportError as err:
        raise UsageError(f"serve needs textual-serve, which is not installed here: {err}") from None
    path = session_path(args)
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
