"""Snapshots of what a facilitator screen-shares: the session picker, every step of the demo
session, the blame pause and the note-taker pane, at 80x24 and 120x40 (STYLE.md 14).

Each app comes from the snapshot-app factory (frozen clock, no polling, default settings; conftest
removes the user config). The session lives in the test's tmp_path, so every screen is also
checked for the tmp path: a snapshot that shows it would differ from one run to the next."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import DataTable

from pmconsole.tui.widgets import drop_stale_lines

from pmconsole.domain.clock import FakeClock
from session_files import load_session, save_session
from pmconsole.tui.widgets.countdown import CountdownDisplay
from snapshot_app import MEETING_TIME, console, demo_copy, steady

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

# A fixed modification time for each picker file: the picker lists the newest first.
OLDER = 1_790_000_000  # 2026-09-21
NEWER = OLDER + 86_400


async def settle(pilot, folder: Path) -> None:
    """The screen once everything started has finished, as the facilitator sees it."""
    app = pilot.app
    # Background work (the picker's folder scan, the post-mortem log) ends in a redraw.
    await app.workers.wait_for_complete()
    await steady(pilot)
    for screen in app.screen_stack:
        # steady() stops the blink on the top screen only; under the pause banner the console
        # is still drawn, and a focused field there blinks.
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False
        # Workaround for a race in the app (reported; remove it when the app avoids it): a
        # DataTable whose rows change after it is on screen (the picker's rows come from a
        # worker) can be drawn before its idle handler measures the new column widths. Textual
        # 8.2.8 then keeps those lines, because its line cache key does not change when only
        # the widths do (textual#4470), and the columns stay cut to the header widths
        # ("Check", "Payme") until something else redraws the table. Drop the stale lines.
        for table in screen.query(DataTable):
            drop_stale_lines(table)
    await pilot.pause()
    no_tmp_path(pilot, folder)


def no_tmp_path(pilot, folder: Path) -> None:
    """The session's folder is different in every run: it must never be on screen."""
    svg = pilot.app.export_screenshot()
    assert str(folder) not in svg
    assert "tmp" not in svg.lower()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return demo_copy(tmp_path)


# -- the session picker ----------------------------------------------------------------------


@pytest.fixture
def sessions(tmp_path: Path, monkeypatch) -> Path:
    """Two sessions in ./sessions, the checkout one newer, both shown by relative path."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    demo_file = demo_copy(folder, "demo.toml")
    checkout = demo_copy(folder, "2026-11-checkout.toml")
    session = load_session(checkout)
    session.incident.title = "Checkout failed after a replica fell behind"
    save_session(checkout, session)
    os.utime(demo_file, (OLDER, OLDER))
    os.utime(checkout, (NEWER, NEWER))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("size", SIZES)
def test_session_picker(snap_compare, sessions, size):
    async def run_before(pilot) -> None:
        await settle(pilot, sessions)

    app = console(None, sessions_dir=Path("sessions"))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


# -- the facilitator's console, step by step -------------------------------------------------

# Step 1 as the console opens, five minutes after the scheduled time: the meeting not started,
# the start offered. The others with the meeting started (F5) and moved on.
STEP_KEYS = {
    "step1": (),
    "step2": ("f5", "f4"),
    "step3": ("f5", "f4", "f4"),
    "step3-first-speaker": ("f5", "f4", "f4", "n"),
    "step4": ("f5",) + ("f4",) * 3,
    "step5": ("f5",) + ("f4",) * 4,
    "step6": ("f5",) + ("f4",) * 5,
    "step7": ("f5",) + ("f4",) * 6,
    "wrap-up": ("f5",) + ("f4",) * 7,
    "pause": ("f5", "f2"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(STEP_KEYS))
def test_console(snap_compare, demo, screen, size):
    async def run_before(pilot) -> None:
        for key in STEP_KEYS[screen]:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot, demo.parent)

    assert snap_compare(console(demo), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_console_overtime(snap_compare, demo, size):
    """Step 1 has a 3-minute budget; 4 min 10 s in, it is 1 min 10 s over."""
    clock = FakeClock(wall=MEETING_TIME)

    async def run_before(pilot) -> None:
        await pilot.press("f5")
        clock.advance(250)
        # What the quarter-second redraws would show next, drawn now rather than waited for.
        screen = pilot.app.console_screen()
        screen.refresh_header()
        for countdown in screen.query(CountdownDisplay):
            countdown.redraw()
        await settle(pilot, demo.parent)

    assert snap_compare(console(demo, clock=clock), terminal_size=size, run_before=run_before)


# -- the note-taker's pane -------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_notes_pane(snap_compare, demo, size):
    async def run_before(pilot) -> None:
        await settle(pilot, demo.parent)

    assert snap_compare(console(demo, role="notes"), terminal_size=size, run_before=run_before)


# -- a large session: the first screenful of steps 5-7 and the wrap-up with 5,000 events ------


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """The demo grown to 5,000 timeline events, every 7 seconds from the incident's start."""
    from datetime import timedelta

    from pmconsole.domain.model import TimelineEvent

    path = demo_copy(tmp_path)
    session = load_session(path)
    start = session.incident.started_at
    for i in range(5000 - len(session.timeline)):
        session.timeline.append(
            TimelineEvent(id=f"e-big-{i:05d}", at=start + timedelta(seconds=7 * i),
                          kind=("alert", "action", "decision", "observation")[i % 4],
                          text=f"Queue depth {1000 + i} messages; consumer {i % 12} lags",
                          source="grafana")
        )
    save_session(path, session)
    return path


# Each screen at one size (the step views are the same at both sizes, checked on the demo above):
# a 5,000-event session is slow to walk through, and these check the large tables' first screen.
@pytest.mark.parametrize(
    "screen, size",
    [
        pytest.param("step5", (80, 24), id="step5-80x24"),
        pytest.param("step6", (120, 40), id="step6-120x40"),
        pytest.param("step7", (80, 24), id="step7-80x24"),
        pytest.param("wrap-up", (120, 40), id="wrap-up-120x40"),
    ],
)
def test_console_with_5000_events(snap_compare, big, screen, size):
    async def run_before(pilot) -> None:
        for key in STEP_KEYS[screen]:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot, big.parent)

    assert snap_compare(console(big), terminal_size=size, run_before=run_before)


# -- the two-week review ---------------------------------------------------------------------


def test_two_week_review(snap_compare, demo):
    """The first action once recorded done with a note, and come back to: its history."""

    async def run_before(pilot) -> None:
        pilot.app.action_hold_review()
        await pilot.pause()
        await pilot.press("d", "tab", *"merged", "space", *"#412", "enter")
        await pilot.pause()
        await pilot.press("pageup")
        pilot.app.clear_notifications()  # "Recorded …; z undoes it." would hide the keys
        await settle(pilot, demo.parent)

    assert snap_compare(console(demo), terminal_size=(80, 24), run_before=run_before)
