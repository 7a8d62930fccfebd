"""The two-week review's progress report: each action of one post-mortem with its status and
the note the review recorded, as Markdown and as a self-contained HTML page, written beside the
session (``NAME.review.md``, ``NAME.review.html``). The published site shows the same rows on the
post-mortem's page (built from the session, so the privacy scan covers them).

Never import Textual here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pmconsole.domain.actions import days_overdue
from pmconsole.domain.model import Session
from pmconsole.domain.review import reviewed_at_review
from pmconsole.exporters.markdown import md_escape

STATUS_WORDS = {"done": "done", "open": "still open", "dropped": "dropped"}


def report_paths(session_path: Path) -> tuple[Path, Path]:
    """Where the report of the session at ``session_path`` is written: Markdown, HTML."""
    stem = session_path.with_suffix("")
    return stem.with_name(stem.name + ".review.md"), stem.with_name(stem.name + ".review.html")


def progress_rows(session: Session, now: datetime) -> list[dict]:
    """One row per action: what it is, its status now, and what the review said of it."""
    today = session.local(now).date()
    rows = []
    for a in session.actions:
        entry = reviewed_at_review(session, a)
        rows.append({
            "title": a.title, "owner": a.owner, "due": a.due.isoformat() if a.due else "",
            "status": STATUS_WORDS[a.status],
            "overdue": days_overdue(a, today),
            "note": entry.note if entry else "",
            "reviewed": entry is not None,
        })
    return rows


def progress_counts(rows: list[dict]) -> str:
    counts = {word: sum(r["status"] == word for r in rows) for word in STATUS_WORDS.values()}
    return ", ".join(f"{n} {word}" for word, n in counts.items())


def _cell(text: str) -> str:
    return md_escape(" ".join(text.split())) or "—"


def progress_markdown(session: Session, now: datetime) -> str:
    rows = progress_rows(session, now)
    held = session.followup_review_held
    title = " ".join((session.incident.title or "Untitled incident").split())
    lines = [
        f"# Two-week review: {md_escape(title, extra='#')}",
        "",
        (f"Held on {held.isoformat()}." if held else "The review has not been held yet.")
        + f" {len(rows)} action{'s' if len(rows) != 1 else ''}: {progress_counts(rows)}.",
        "",
        "| Action | Owner | Due | Status | Review note |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        status = r["status"] + (f" ({r['overdue']} days overdue)" if r["overdue"] else "")
        lines.append(f"| {_cell(r['title'])} | {_cell(r['owner'])} | {r['due'] or '—'} "
                     f"| {status} | {_cell(r['note'])} |")
    return "\n".join(lines) + "\n"


def progress_html(session: Session, now: datetime) -> str:
    from pmconsole.publish.site import _environment

    rows = progress_rows(session, now)
    return _environment().get_template("progress.html").render(
        title=session.incident.title or "Untitled incident", held=session.followup_review_held,
        rows=rows, counts=progress_counts(rows),
    )


def report_files(session_path: Path, session: Session,
                 now: datetime) -> tuple[tuple[Path, bytes], tuple[Path, bytes]]:
    """The progress report of ``session``, Markdown and HTML, with where each goes: beside the
    session (the command line's review and the console's write the same files)."""
    markdown, html = report_paths(session_path)
    return ((markdown, progress_markdown(session, now).encode("utf-8")),
            (html, progress_html(session, now).encode("utf-8")))


def write_files(files: tuple[tuple[Path, bytes], ...]) -> None:
    """Write each file atomically."""
    from pmconsole.storage.toml_file import atomic_write

    for path, data in files:
        atomic_write(path, data)


def write_report(session_path: Path, session: Session, now: datetime) -> tuple[Path, Path]:
    """Write the progress report of ``session`` beside it, each file atomically; where they
    went."""
    files = report_files(session_path, session, now)
    write_files(files)
    return files[0][0], files[1][0]
