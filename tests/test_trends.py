"""Trends across post-mortems (`pmconsole log stats`): known answers on small hand-made logs."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from conftest import run
from pmconsole.domain.model import (
    ActionItem, ContributingFactor, Incident, Meeting, Session, StatusChange,
)
from pmconsole.domain.trends import delay_band, select, spread, trends
from session_files import save_session

UTC = timezone.utc
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def incident(
    title: str, started: datetime, *, severity: str = "SEV2", tags=(), detect=None, resolve=60,
    meeting_after_h: float | None = 60, factors=(), actions=(),
) -> Session:
    ended = started + timedelta(minutes=resolve)
    return Session(
        incident=Incident(
            title=title, severity=severity, tags=list(tags), started_at=started,
            detected_at=started + timedelta(minutes=detect) if detect is not None else None,
            resolved_at=ended,
        ),
        meeting=Meeting(
            scheduled_at=ended + timedelta(hours=meeting_after_h)
            if meeting_after_h is not None else None
        ),
        factors=[ContributingFactor(text=t, category=c) for t, c in factors],
        actions=list(actions),
    )


def action(status: str, due: date, *, agreed: datetime, done: datetime | None = None):
    history = [StatusChange(status="open", at=agreed)]
    if done is not None:
        history.append(StatusChange(status=status, at=done))
    return ActionItem(title="Do a thing", owner="Ann", due=due, criterion="in 5 minutes",
                      status=status, history=history)


def small_log() -> list[Session]:
    march = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    april = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
    agreed = datetime(2026, 4, 13, 12, 0, tzinfo=UTC)
    return [
        incident("Checkout database failover", march, severity="SEV1", tags=["db", "checkout"],
                 detect=5, resolve=30, meeting_after_h=50,
                 factors=[("Lag alert too slow", "tooling"), ("No runbook step", "process")]),
        incident("Search database timeout", march + timedelta(days=3), tags=["db"], detect=15,
                 resolve=90, meeting_after_h=80, factors=[("One on-call", "staffing")]),
        incident("Login failover", april, severity="SEV1", tags=["auth", "db"], detect=10,
                 resolve=120, meeting_after_h=200, factors=[("Old certificate", None)],
                 actions=[
                     action("done", date(2026, 4, 25), agreed=agreed,
                            done=datetime(2026, 4, 24, 9, 0, tzinfo=UTC)),
                     action("done", date(2026, 4, 25), agreed=agreed,
                            done=datetime(2026, 4, 30, 9, 0, tzinfo=UTC)),
                     action("open", date(2026, 5, 1), agreed=agreed),
                     action("open", date(2026, 6, 1), agreed=agreed),
                     action("dropped", date(2026, 5, 1), agreed=agreed,
                            done=datetime(2026, 4, 20, tzinfo=UTC)),
                 ]),
        incident("Unscheduled", april + timedelta(days=1), severity="SEV3", resolve=10,
                 meeting_after_h=None),
    ]


def test_spread_is_nearest_rank():
    assert spread([]).count == 0 and spread([]).median is None
    s = spread([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    assert (s.count, s.median, s.p90) == (10, 55.0, 90)
    assert spread([7]).p90 == 7


def test_figures_of_a_small_log():
    t = trends(small_log(), NOW)
    assert t.incidents == 4
    assert t.by_month == {
        "2026-03": {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 0},
        "2026-04": {"SEV1": 1, "SEV2": 0, "SEV3": 1, "SEV4": 0},
    }
    assert t.durations["detect"].count == 3 and t.durations["detect"].median == 10
    assert t.durations["resolve"].median == 60 and t.durations["resolve"].p90 == 120
    assert t.durations_by_month["2026-03"]["resolve"].median == 60
    assert t.meeting_delay == {"early": 0, "in_window": 1, "late": 1, "postponed": 1,
                               "not_scheduled": 1}
    assert t.meeting_delay_hours.median == 80
    a = t.actions
    assert (a.agreed, a.done, a.done_on_time, a.done_late, a.open, a.overdue, a.dropped) == (
        4, 2, 1, 1, 2, 1, 1)
    assert a.open_age_days.median == 37  # agreed 13 April, judged 20 May
    assert t.conditions["tooling"] == 1 and t.conditions["uncategorised"] == 1
    assert t.conditions_by_month["2026-03"] == {"tooling": 1, "process": 1, "staffing": 1}
    assert t.recurring_tags == [("db", 3)]
    assert ("database", 2) in t.recurring_terms and ("failover", 2) in t.recurring_terms


def test_select_by_since_and_tag():
    log = small_log()
    assert [s.incident.title for s in select(log, tags=["auth"])] == ["Login failover"]
    assert len(select(log, since=date(2026, 4, 1))) == 2
    assert select(log, tags=["DB "], since=date(2026, 3, 4))[0].incident.title == (
        "Search database timeout")


def test_delay_band_edges():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert delay_band(incident("a", start, meeting_after_h=48)) == "in_window"
    assert delay_band(incident("a", start, meeting_after_h=72)) == "in_window"
    assert delay_band(incident("a", start, meeting_after_h=47.9)) == "early"
    assert delay_band(incident("a", start, meeting_after_h=7 * 24 + 1)) == "postponed"


def test_log_stats_command(capsys, tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    for i, session in enumerate(small_log()):
        save_session(folder / f"pm-{i}.toml", session)
    (folder / "broken.toml").write_text("incident = [\n")
    code, out, err = run(capsys, "--sessions-dir", folder, "log", "stats", "--json",
                         "--now", NOW.isoformat(), "--tag", "db")
    assert code == 0, err
    data = json.loads(out)
    assert data["incidents"] == 3
    assert data["actions"]["overdue"] == 1
    assert data["unreadable"][0]["path"].endswith("broken.toml")
    code, out, err = run(capsys, "--sessions-dir", folder, "log", "stats", "--since",
                         "2026-04-01", "--now", NOW.isoformat())
    assert code == 0, err
    assert out.startswith("2 post-mortems\n")
    assert "overdue 1" in out and "unreadable, not counted" in out and "broken.toml" in out
    code, out, err = run(capsys, "--sessions-dir", folder, "log", "stats", "--since", "soon")
    assert code == 2 and "--since" in err and "Traceback" not in err


async def test_the_trends_screen_draws_the_log_from_the_palette(tmp_path):
    from snapshot_app import console
    from textual_plotext import PlotextPlot

    folder = tmp_path / "sessions"
    folder.mkdir()
    for i, session in enumerate(small_log()):
        save_session(folder / f"pm-{i}.toml", session)
    (folder / "broken.toml").write_text("incident = [\n")
    app = console(None, sessions_dir=folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Trends across")
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "TrendsScreen"
        assert screen.figures is not None and screen.figures.incidents == 4
        assert str(screen.query_one("#status").render()) == "4 post-mortems · 1 unreadable, not counted"
        assert len(screen.query(PlotextPlot)) == 4
        figures = str(screen.query_one("#figures").render())
        assert "overdue" in figures and "broken.toml" in figures
        await pilot.press("escape")
        assert type(app.screen).__name__ != "TrendsScreen"


def test_the_console_starts_without_the_plotting_library():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import sys, pmconsole.tui.app, pmconsole.cli; "
         "print('textual_plotext' in sys.modules, 'plotext' in sys.modules)"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.stdout.split() == ["False", "False"], done.stderr
