"""The live operation log: several processes on one session converge, nothing is lost."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pmconsole.domain.model import Incident, Session, TimelineEvent
from pmconsole.domain.ops import LiveSession, add_op, set_op
from pmconsole.storage.oplog import log_path_for, read_snapshot
from pmconsole.storage.session_store import SessionStore
from pmconsole.storage.toml_file import dump_session
from session_files import load_session, save_session

WORKER = Path(__file__).with_name("store_worker.py")
BASE = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)


def make_file(tmp_path: Path, events: int = 5) -> Path:
    session = Session(
        incident=Incident(
            title="Queue backlog", started_at=BASE, resolved_at=BASE + timedelta(hours=3)
        ),
        timeline=[
            TimelineEvent(id=f"shared-{i}", at=BASE + timedelta(minutes=i), text=f"event {i}")
            for i in range(events)
        ],
    )
    path = tmp_path / "incident.toml"
    save_session(path, session)
    return path


def test_edits_from_two_stores_meet(tmp_path):
    path = make_file(tmp_path)
    a = SessionStore(path)
    b = SessionStore(path, role="notes")
    a.edit(set_op("timeline", "text", "from a", "shared-1"))
    b.edit(set_op("timeline", "major", True, "shared-1"))
    result = a.poll()
    assert result.changed
    for store in (a, b):
        store.poll()
        event = store.live.get("timeline", "shared-1")
        assert (event.text, event.major) == ("from a", True)
    a.close()
    b.close()
    on_disk = load_session(path)
    assert next(e for e in on_disk.timeline if e.id == "shared-1").text == "from a"


def test_later_write_of_one_field_wins_and_the_loser_is_told(tmp_path):
    path = make_file(tmp_path)
    a = SessionStore(path)
    b = SessionStore(path, role="notes")
    a.edit(set_op("incident", "title", "A's title"))
    b.edit(set_op("incident", "title", "B's title"))
    notices = a.poll().notices
    assert a.session.incident.title == b.session.incident.title == "B's title"
    assert any("incident title" in n.text for n in notices)
    assert not b.poll().notices


def test_other_pane_is_seen_through_the_heartbeat(tmp_path):
    path = make_file(tmp_path)
    a = SessionStore(path)
    b = SessionStore(path, role="notes")
    assert a.other_panes() == []
    b.poll()
    assert a.other_panes() == ["notes"]
    b.close()
    assert a.other_panes() == []


def test_reopening_replays_the_log_beyond_the_checkpoint(tmp_path):
    path = make_file(tmp_path)
    before = path.read_bytes()
    a = SessionStore(path)
    a.edit(set_op("incident", "title", "not yet in the TOML"))
    assert path.read_bytes() == before  # no checkpoint yet: the log holds it
    # The process dies without closing; a new one finds the edit in the log.
    b = SessionStore(path)
    assert b.session.incident.title == "not yet in the TOML"
    assert read_snapshot(path).incident.title == "not yet in the TOML"


def test_a_damaged_log_entry_is_reported_and_skipped(tmp_path):
    path = make_file(tmp_path)
    a = SessionStore(path)
    a.edit(set_op("incident", "title", "kept"))
    a.edit(set_op("incident", "severity", "SEV1"))
    conn = sqlite3.connect(log_path_for(path))
    conn.execute("UPDATE ops SET body = body || 'x' WHERE seq = (SELECT max(seq) FROM ops)")
    conn.commit()
    conn.close()
    b = SessionStore(path)
    assert b.session.incident.title == "kept"
    assert b.session.incident.severity == "SEV2"


def test_a_log_that_is_not_a_database_is_set_aside(tmp_path):
    path = make_file(tmp_path)
    log_path_for(path).write_bytes(b"this is not sqlite" * 100)
    store = SessionStore(path)
    assert store.session.incident.title == "Queue backlog"
    assert any("set aside" in n.text for n in store.notices)
    store.edit(set_op("incident", "title", "still works"))
    store.close()
    assert load_session(path).incident.title == "still works"


def test_a_hand_edit_while_open_is_merged(tmp_path):
    path = make_file(tmp_path)
    store = SessionStore(path)
    store.edit(set_op("timeline", "text", "edited in the console", "shared-0"))
    store.checkpoint()
    store.edit(set_op("timeline", "major", True, "shared-2"))  # in the log, not the file
    # Someone edits the file by hand (or git pull brings a change).
    text = path.read_text()
    path.write_text(text.replace('title = "Queue backlog"', 'title = "Queue backlog (edited)"'))
    notices = store.poll().notices
    assert any("changed outside pmconsole" in n.text for n in notices)
    session = store.session
    assert session.incident.title == "Queue backlog (edited)"
    assert next(e for e in session.timeline if e.id == "shared-0").text == "edited in the console"
    assert next(e for e in session.timeline if e.id == "shared-2").major is True
    # The merged state is on disk at once, and a fresh reader sees all of it.
    on_disk = load_session(path)
    assert on_disk.incident.title == "Queue backlog (edited)"
    assert next(e for e in on_disk.timeline if e.id == "shared-2").major is True
    store.close()


def test_a_hand_edit_while_closed_is_merged_on_open(tmp_path):
    path = make_file(tmp_path)
    store = SessionStore(path)
    store.edit(set_op("timeline", "text", "from the console", "shared-3"))
    store.close()
    session = load_session(path)
    session.timeline.append(TimelineEvent(id="by-hand", at=BASE, text="typed into the file"))
    path.write_bytes(dump_session(session))
    reopened = SessionStore(path)
    ids = {e.id for e in reopened.session.timeline}
    assert "by-hand" in ids
    assert next(e for e in reopened.session.timeline if e.id == "shared-3").text == (
        "from the console"
    )


def test_an_unreadable_hand_edit_makes_the_session_read_only(tmp_path):
    path = make_file(tmp_path)
    store = SessionStore(path)
    store.edit(set_op("incident", "title", "safe in the log"))
    path.write_text("this = is = not toml\n")
    store.poll()
    assert "cannot be read" in store.read_only
    store.close()
    assert path.read_text() == "this = is = not toml\n"  # never overwritten


def test_disk_trouble_keeps_the_edit_in_memory_and_retries(tmp_path):
    path = make_file(tmp_path)
    store = SessionStore(path)
    real = store._conn

    class Full:
        def execute(self, sql, *args):
            if sql.startswith("BEGIN"):
                raise sqlite3.OperationalError("database or disk is full")
            return real.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(real, name)

    store._conn = Full()
    store.edit(set_op("incident", "title", "typed while the disk was full"))
    assert store.session.incident.title == "typed while the disk was full"
    assert "disk is full" in store.error
    assert store.pending
    store._conn = real
    store.poll()
    assert not store.pending and not store.error
    store.close()
    assert load_session(path).incident.title == "typed while the disk was full"


def test_two_processes_with_300_random_edits_each_converge(tmp_path):
    path = make_file(tmp_path, events=8)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "race", str(path), str(seed), "300", str(barrier)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    first, second = (o["session"] for o in outputs)
    assert first == second

    # None lost: every edit each process made is in the log, and replaying the log in commit
    # order from the starting file gives exactly the state both processes ended with.
    conn = sqlite3.connect(log_path_for(path))
    logged = [json.loads(body) for (body,) in conn.execute("SELECT body FROM ops ORDER BY seq")]
    for output in outputs:
        for op in output["ops"]:
            assert op in logged
    start = LiveSession(
        Session.model_validate(
            {**first, "timeline": [], "incident": {**first["incident"], "title": "Queue backlog"}}
        )
    )
    for i in range(8):
        start.apply(add_op("timeline", TimelineEvent(
            id=f"shared-{i}", at=BASE + timedelta(minutes=i), text=f"event {i}")))
    for op in logged:
        start.apply(op)
    assert start.session.model_dump(mode="json") == first
    assert load_session(path).model_dump(mode="json") == first


@pytest.mark.parametrize("trial", range(20))
def test_kill_9_loses_nothing_committed(tmp_path, trial):
    path = make_file(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "writer", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rng = random.Random(trial)
    acked: list[str] = []
    # Wait until the writer is really writing, then kill it at a random moment.
    first = proc.stdout.readline()
    assert first.startswith("ack "), proc.stderr.read()
    acked.append(first.split()[1])
    deadline = time.monotonic() + rng.uniform(0.05, 0.6)
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("ack "):
            acked.append(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    os.set_blocking(proc.stdout.fileno(), True)
    for line in proc.stdout.read().splitlines():
        if line.startswith("ack "):
            acked.append(line.split()[1])
    # Every TOML on disk parses, and reopening finds every acknowledged edit.
    for toml in tmp_path.glob("*.toml"):
        load_session(toml)
    reopened = SessionStore(path)
    ids = {e.id for e in reopened.session.timeline}
    missing = [a for a in acked if a not in ids]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged events lost"
    reopened.close()
    assert {e.id for e in load_session(path).timeline} >= set(acked)


def test_a_busy_log_is_waited_for_and_never_set_aside(tmp_path, monkeypatch):
    path = make_file(tmp_path)
    first = SessionStore(path)
    first.edit(add_op("timeline", TimelineEvent(at=BASE, text="made while the other opens")))
    import pmconsole.storage.session_store as store_module

    real_connect = SessionStore._connect
    busy = {"left": 3}

    def connect_busy(self):
        if busy["left"]:
            busy["left"] -= 1
            raise sqlite3.OperationalError("database is locked")
        real_connect(self)

    monkeypatch.setattr(SessionStore, "_connect", connect_busy)
    monkeypatch.setattr(store_module.time, "sleep", lambda seconds: None)
    second = SessionStore(path)  # busy three times, then free: it waits, and joins the log
    assert not second.error and not second.notices
    assert any(e.text == "made while the other opens" for e in second.session.timeline)
    # Busy for good: the pane keeps its edits in memory; the log is left where it is.
    busy["left"] = 10_000
    third = SessionStore(path)
    assert third.error and "locked" in third.error
    assert not list(tmp_path.glob("*.broken-*"))
    for store in (first, second):
        store.close()
