"""A separate process that edits a session through the store, for the multi-process tests.

    python store_worker.py race FILE SEED COUNT BARRIER_DIR
        COUNT random edits on records shared with the other worker, then wait until every
        worker is done, take in the last edits and print the final session as JSON.
    python store_worker.py writer FILE
        add events until killed, printing "ack ID" once each one is committed.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pmconsole.domain.model import TimelineEvent
from pmconsole.domain.ops import add_op, del_op, set_op
from pmconsole.storage.session_store import SessionStore

BASE = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)


def race(path: Path, seed: int, count: int, barrier: Path) -> None:
    rng = random.Random(seed)
    store = SessionStore(path, role=f"worker-{seed}")
    mine: list[str] = []
    done: list[dict] = []
    for i in range(count):
        store.poll()
        shared = [e.id for e in store.session.timeline if e.id.startswith("shared")]
        roll = rng.random()
        if roll < 0.25:
            event = TimelineEvent(
                id=f"w{seed}-{i}", at=BASE + timedelta(minutes=rng.randrange(600)), text=f"w{seed} {i}"
            )
            op = add_op("timeline", event)
            mine.append(event.id)
        elif roll < 0.30 and mine:
            op = del_op("timeline", mine.pop(rng.randrange(len(mine))))
        elif roll < 0.70:
            op = set_op("timeline", "text", f"w{seed} says {i}", rng.choice(shared))
        elif roll < 0.85:
            op = set_op("timeline", "major", rng.random() < 0.5, rng.choice(shared))
        else:
            op = set_op("incident", "title", f"title from w{seed} at {i}")
        store.edit(op)
        done.append(op)
        if i % 50 == 0:
            store.checkpoint()
    (barrier / f"done-{seed}").touch()
    while len(list(barrier.glob("done-*"))) < 2:
        store.poll()
        time.sleep(0.01)
    store.poll()
    store.checkpoint()
    print(json.dumps({"session": store.session.model_dump(mode="json"), "ops": done}))
    store.close()


def writer(path: Path) -> None:
    store = SessionStore(path, role="writer")
    i = 0
    while True:
        event = TimelineEvent(at=BASE + timedelta(seconds=i), text=f"event {i}")
        store.edit(add_op("timeline", event))
        print(f"ack {event.id}", flush=True)
        i += 1
        if i % 7 == 0:
            store.checkpoint()


if __name__ == "__main__":
    if sys.argv[1] == "race":
        race(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]))
    elif sys.argv[1] == "writer":
        writer(Path(sys.argv[2]))
