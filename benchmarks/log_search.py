"""search_ms_p95: a text query over a log of 2,000 sessions (and the cold index build); and
log_search_ratio: `pmconsole log search` as a whole process at 10,000 sessions against
`pmconsole --help`."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pmconsole.storage.log_index import PostMortemLog
from pmconsole.domain.model import ActionItem, ContributingFactor, Incident, Meeting, Session, TimelineEvent
from pmconsole.storage.toml_file import atomic_write, dump_session

# A log reads like real post-mortems: a few dozen words every one uses, and a long tail of
# specific ones (services, technologies, error names) that few share. Zipf-like sampling.
COMMON = ("database failover certificate expiry queue backlog dns cache deploy rollback quota "
          "latency kafka timeout disk memory replica lag pool throttle config canary alert "
          "paging runbook migration index lock").split()
SPECIFIC = [f"{a}{b}" for a in ("auth", "cart", "geo", "ledger", "mail", "feed", "pay", "ship",
                                "stock", "user", "price", "media")
            for b in ("svc", "api", "worker", "db", "cron", "proxy", "gateway", "sync", "store",
                      "index", "queue", "cache", "bridge", "relay", "router", "agent")]
WORDS = COMMON + SPECIFIC
TAGS = ("payments", "search", "auth", "storage", "network", "billing", "checkout", "mobile")
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _word(rng: random.Random) -> str:
    # Common words half the time; otherwise a specific one, the first few far more often.
    if rng.random() < 0.5:
        return rng.choice(COMMON)
    return SPECIFIC[min(len(SPECIFIC) - 1, int(rng.paretovariate(1.2)) - 1)]


def make_log(folder: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        words = [_word(rng) for _ in range(6)]
        started = START + timedelta(hours=7 * i)
        session = Session(
            incident=Incident(title=f"{words[0]} {words[1]} incident {i}",
                              tags=rng.sample(TAGS, 2), started_at=started,
                              resolved_at=started + timedelta(hours=2)),
            meeting=Meeting(scheduled_at=started + timedelta(hours=60)),
            summary=" ".join(_word(rng) for _ in range(120)),
            timeline=[TimelineEvent(id=f"e-{j}", at=started + timedelta(minutes=j),
                                    text=" ".join(_word(rng) for _ in range(8)))
                      for j in range(20)],
            factors=[ContributingFactor(id=f"f-{j}", text=" ".join(_word(rng) for _ in range(6)))
                     for j in range(4)],
            actions=[ActionItem(id="a-1", title=f"fix {words[2]}", owner="Ann",
                                criterion="p95 under 200 ms")],
        )
        atomic_write(folder / f"pm-{i:05d}.toml", dump_session(session))


def measure(folder: Path, index: Path, queries: int) -> tuple[list[float], float, list[float]]:
    """Seconds per query on a warm index with the freshness check before it (the scan of every
    file's time and size that `log search` and the Log screen make first; the Log screen makes
    it at most once a second while a query is typed), the cold build time, and seconds per
    freshness check alone."""
    log = PostMortemLog(folder, index)
    began = time.perf_counter()
    log.update()
    cold = time.perf_counter() - began
    rng = random.Random(2)
    times, checks = [], []
    for _ in range(queries):
        query = " ".join(_word(rng) for _ in range(rng.choice((1, 2))))
        began = time.perf_counter()
        log.update()
        checked = time.perf_counter()
        log.search(query)
        times.append(time.perf_counter() - began)  # the freshness check counted in
        checks.append(checked - began)
    log.close()
    return times, cold, checks


def process_pairs(folder: Path, cache: Path, pairs: int, word: str) -> tuple[list[float], list[float], float]:
    """Seconds of whole `pmconsole log search WORD --sessions-dir FOLDER` processes and of
    `pmconsole --help` ones, in pairs (which goes first alternating: a pair sees the same
    machine), and the seconds of the first search, which builds the index (in ``cache``) from
    nothing. Every later search finds the index up to date, so what it does before searching is
    the freshness check of every file."""
    env = {**os.environ, "PMCONSOLE_CACHE_DIR": str(cache),
           "PMCONSOLE_CONFIG": str(cache / "none.toml")}
    search = [sys.executable, "-m", "pmconsole", "log", "search", word, "--sessions-dir",
              str(folder)]
    help_ = [sys.executable, "-m", "pmconsole", "--help"]

    def seconds(args: list[str]) -> float:
        began = time.perf_counter()
        subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        return time.perf_counter() - began

    cold = seconds(search)
    searches, helps = [], []
    for i in range(pairs):
        for args in ((search, help_) if i % 2 else (help_, search)):
            (searches if args is search else helps).append(seconds(args))
    return searches, helps, cold
