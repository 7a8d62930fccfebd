"""The log at scale (issue 22): the index's cold build on every core against one process, and
`log publish` of one changed session in a published log, its search index included.

The index build runs on the log the search figures use: 10,000 sessions in the full run, the
quick run's 2,000 scaled to 10,000. The publish is scaled down from the issue's 10,000 sessions
so that the run stays in minutes on a shared machine: a 1,000-session log, its 2 s target for
10,000 scaled to 0.2 s. What a
publish of one change costs grows linearly with the log: for every session a stat and its kept
entry in the manifest (read, and written back), the listing keys; and the changed page's search
bundle, which Pagefind indexes whole: a fixed share of the log (1 in SHARDS, ~63 pages here,
~625 at 10,000). The changed page itself, and the lists it is on, cost the same at any size
(the index page, which lists every session, is rendered again only when its entry changed:
here only the summary changes, as after most edits)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from pmconsole.storage.log_index import PostMortemLog
from pmconsole.storage.toml_file import atomic_write, dump_session, parse_session, read_bytes


def cold_builds(folder: Path, index: Path) -> tuple[float, float]:
    """Seconds for a cold build of the index of ``folder``: on every core, and in one process."""
    times = []
    for workers in (None, 1):
        index.unlink(missing_ok=True)
        log = PostMortemLog(folder, index)
        began = time.perf_counter()
        log.update(workers=workers)
        times.append(time.perf_counter() - began)
        log.close()
    return times[0], times[1]


def _change(path: Path) -> None:
    session = parse_session(read_bytes(path), path)
    session.summary += " Changed after the review."
    atomic_write(path, dump_session(session))


def publish_times(folder: Path, out: Path) -> tuple[float, float, list[str], float]:
    """Seconds for a publish from scratch, and for one with one session changed, both with
    their search index (Pagefind), as the user waits for them; the search bundles the second
    one built (one: the changed page's); and seconds for another such publish as a whole
    `pmconsole log publish` process (Python's start and the imports counted)."""
    from pmconsole.publish.site import publish

    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    shutil.rmtree(out, ignore_errors=True)
    began = time.perf_counter()
    publish(folder, out, now=now)
    cold = time.perf_counter() - began
    files = sorted(folder.glob("*.toml"))
    _change(files[len(files) // 2])
    began = time.perf_counter()
    report = publish(folder, out, now=now)
    one = time.perf_counter() - began
    assert report.rebuilt == [files[len(files) // 2].name], report.rebuilt
    _change(files[len(files) // 3])
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pmconsole", "--sessions-dir", str(folder), "log",
                    "publish", str(out), "--now", now.isoformat()], check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return cold, one, report.search_built, time.perf_counter() - began
