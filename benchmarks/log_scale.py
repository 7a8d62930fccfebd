"""The log at scale (issue 22): the index's cold build on every core against one process, and
`log publish` of one changed session in a published log, with what Pagefind adds.

Scaled down from the issue's 10,000 sessions so that `make bench-quick` stays in minutes on a
shared machine: the index build uses the search figure's 2,000-session log (its targets are per
session), the publish a 1,000-session log (its 2 s target for 10,000 scaled to 0.2 s: the work
left for an unchanged session is linear, a stat and its kept entry)."""

from __future__ import annotations

import shutil
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


def publish_times(folder: Path, out: Path) -> tuple[float, float, float]:
    """Seconds for a publish from scratch (without the search index), for one with one session
    changed, and for Pagefind's index over the whole site (it has no incremental mode)."""
    from pmconsole.publish.site import build_search_index, publish

    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    shutil.rmtree(out, ignore_errors=True)
    began = time.perf_counter()
    publish(folder, out, now=now, search_index=False)
    cold = time.perf_counter() - began
    changed = sorted(folder.glob("*.toml"))[len(list(folder.glob("*.toml"))) // 2]
    session = parse_session(read_bytes(changed), changed)
    session.summary += " Changed after the review."
    atomic_write(changed, dump_session(session))
    began = time.perf_counter()
    report = publish(folder, out, now=now, search_index=False)
    one = time.perf_counter() - began
    assert report.rebuilt == [changed.name], report.rebuilt
    began = time.perf_counter()
    build_search_index(out)
    return cold, one, time.perf_counter() - began
