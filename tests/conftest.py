"""Shared fixtures: every test runs with its own config file and sessions folder, and can build
a clean session (one on which every rule of the method holds) to break on purpose."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest

from pmconsole.domain.model import (
    ActionItem,
    ContributingFactor,
    Evidence,
    Incident,
    LearningQuestion,
    Meeting,
    Participant,
    Session,
    SpeakerTurn,
    StatusChange,
    StepTime,
    TimelineEvent,
)
from pmconsole.cli import main
from session_files import save_session

UTC = timezone.utc
# The clean session's incident ended here; the meeting is 60 h later (inside 48-72 h).
RESOLVED = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
MEETING = RESOLVED + timedelta(hours=60)  # 2024-03-06 22:00 UTC
MEETING_DAY = date(2024, 3, 6)
NOW = MEETING + timedelta(hours=2)  # just after the meeting; never the wall clock
NOW_TEXT = NOW.isoformat()


def run(capsys, *args) -> tuple[int, str, str]:
    """Run ``pmconsole ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    """A message as the command line must give it: one line, no traceback."""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    return err


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """No user config, sessions folder or PMCONSOLE_* override leaks into a test."""
    for name in list(os.environ):
        if name.startswith("PMCONSOLE_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("env")
    monkeypatch.setenv("PMCONSOLE_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("PMCONSOLE_SESSIONS_DIR", str(home / "sessions"))
    monkeypatch.setenv("PMCONSOLE_CACHE_DIR", str(home / "cache"))


def _action(**overrides) -> ActionItem:
    fields = dict(
        title="Page the database on-call when replication lags",
        owner="Sam Rivera",
        due=MEETING_DAY + timedelta(days=14),
        criterion="Alert fires within 2 minutes of lag above 30 s",
        history=[StatusChange(status="open", at=MEETING + timedelta(minutes=70))],
    )
    fields.update(overrides)
    return ActionItem(**fields)


@pytest.fixture
def make_action() -> Callable[..., ActionItem]:
    """An action item that passes every per-action rule (due 14 days after the meeting)."""
    return _action


def _session(**overrides) -> Session:
    at = lambda minutes: MEETING + timedelta(minutes=minutes)  # noqa: E731
    fields = dict(
        incident=Incident(
            title="Checkout outage",
            started_at=RESOLVED - timedelta(minutes=50),
            detected_at=RESOLVED - timedelta(minutes=47),
            resolved_at=RESOLVED,
            tags=["checkout", "database"],
        ),
        meeting=Meeting(
            scheduled_at=MEETING,
            planned_minutes=75,
            current_step=5,
            facilitator="p-fac",
            note_taker="p-note",
            statement_shown_at=at(10),
            feedback_offered=True,
        ),
        question=LearningQuestion(
            text="Recovery took 47 minutes; how do we bring it to 20?", set_at=at(4)
        ),
        summary="Checkout failed for 47 minutes after a replica fell behind.",
        participants=[
            Participant(id="p-fac", name="Fatima Okafor", seniority="lead", involved=False),
            Participant(id="p-note", name="Noah Berg", seniority="mid"),
            Participant(id="p-jun", name="Jun Park", seniority="junior", involved=True),
            Participant(id="p-sen", name="Sam Rivera", seniority="senior", involved=True),
        ],
        steps=[
            StepTime(id="1", started_at=at(0), ended_at=at(3)),
            StepTime(id="2", started_at=at(3), ended_at=at(8)),
            StepTime(id="3", started_at=at(8), ended_at=at(20)),
            StepTime(id="4", started_at=at(20), ended_at=at(30)),
            StepTime(id="5", started_at=at(30)),
        ],
        speaker_turns=[
            SpeakerTurn(id="t-jun", participant_id="p-jun", order=0, planned_minutes=5),
            SpeakerTurn(id="t-sen", participant_id="p-sen", order=1, planned_minutes=7),
        ],
        evidence=[
            Evidence(id="ev-log", kind="log", reference="db-replica.log",
                     submitted_at=MEETING - timedelta(hours=30)),
        ],
        timeline=[
            TimelineEvent(id="e-major", at=RESOLVED - timedelta(minutes=47), kind="alert",
                          text="Replication lag alert fired", major=True),
            TimelineEvent(id="e-minor", at=RESOLVED - timedelta(minutes=5), kind="action",
                          text="Failover to the replica completed"),
        ],
        factors=[
            ContributingFactor(id="f-1", text="Lag alert threshold was 10 minutes",
                               category="tooling", event_ids=["e-major"]),
            ContributingFactor(id="f-2", text="Runbook had no failover step",
                               category="process", event_ids=["e-major"]),
            ContributingFactor(id="f-3", text="One on-call engineer for two systems",
                               category="staffing", event_ids=["e-major"]),
        ],
        actions=[
            _action(id="a-1"),
            _action(id="a-2", title="Add the failover step to the runbook",
                    criterion="Runbook rehearsed; failover done in under 10 minutes"),
            _action(id="a-3", title="Split the database on-call rota",
                    criterion="2 people on call per week"),
        ],
    )
    fields.update(overrides)
    return Session(**fields)


@pytest.fixture
def make_session() -> Callable[..., Session]:
    """A clean session mid-meeting (step 5), checked at NOW: no block and no warning.

    Keyword arguments replace whole top-level fields of the Session."""
    return _session


@pytest.fixture
def write_session(tmp_path) -> Callable[..., Path]:
    """Save a session (default: the clean one) as a TOML file in this test's tmp_path."""

    def write(session: Session | None = None, name: str = "incident.toml") -> Path:
        path = tmp_path / name
        save_session(path, session if session is not None else _session())
        return path

    return write
