"""The console in a real terminal: tmux runs `pmconsole open`, keys are sent as a person (and a
burst from tmux) sends them, and the screen is read back. It fails on any traceback, and on any
change to the session's records beyond those the keys asked for.

.ci/run installs tmux where it is missing; without it these tests say so and are skipped."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from session_files import load_session, save_session
from snapshot_app import demo_copy
from typing_helpers import seven_open

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")

# The records the keys below may not change: opening forms and leaving them, and a refused burst.
RECORDS = ("participants", "evidence", "timeline", "factors", "actions")
NEW_EVENT = "Playbook command removed far more billing servers than meant, input mistyped"


class Terminal:
    """One tmux server of this test's own (its own socket), one window of a given size."""

    def __init__(self, folder: Path, width: int, height: int) -> None:
        self.socket = str(folder / "tmux.sock")
        self.width, self.height = width, height

    def tmux(self, *args: str) -> str:
        done = subprocess.run([TMUX, "-S", self.socket, *args], capture_output=True, text=True,
                              timeout=20)
        return done.stdout

    def start(self, command: str) -> None:
        # The shell prints how the console ended, then waits, so the screen can be read.
        self.tmux("new-session", "-d", "-s", "meeting", "-x", str(self.width), "-y",
                  str(self.height), f"{command}; echo PMCONSOLE-EXIT=$?; sleep 120")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "meeting", "-S", "-200")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "meeting", *keys)

    def burst(self, text: str) -> None:
        """Text sent in one write, as a paste or a quick typist over ssh delivers it."""
        self.tmux("send-keys", "-t", "meeting", "-l", text)

    def wait_for(self, text: str, seconds: float = 30.0) -> str:
        end = time.monotonic() + seconds
        while True:
            shown = self.screen()
            if text in shown:
                return shown
            if "Traceback" in shown or time.monotonic() > end:
                raise AssertionError(f"{text!r} never came on screen:\n{shown}")
            time.sleep(0.1)  # a real terminal: nothing to await but the screen itself

    def wait_gone(self, text: str, seconds: float = 30.0) -> None:
        end = time.monotonic() + seconds
        while text in self.screen():
            if time.monotonic() > end:
                raise AssertionError(f"{text!r} stayed on screen:\n{self.screen()}")
            time.sleep(0.1)

    def leave_form(self, title: str) -> None:
        """Escape, and the form is gone (a key sent right after Escape would be read with it
        as one escape sequence, as in any terminal)."""
        self.keys("Escape")
        self.wait_gone(title)

    def stop(self) -> None:
        self.tmux("kill-server")


def session_with_ticked_records(folder: Path) -> Path:
    """The demo, its first event and its first major one interpretations, seven actions
    open. (Its people marked involved are there already.)"""
    path = demo_copy(folder)
    session = load_session(path)
    session.sorted_timeline()[0].basis = "interpretation"
    session.major_events()[0].basis = "interpretation"
    save_session(path, session)
    seven_open(path)
    return path


def records(path: Path) -> dict[str, list[dict]]:
    session = load_session(path)
    return {name: sorted((r.model_dump() for r in getattr(session, name)),
                         key=lambda r: r["id"]) for name in RECORDS}


@pytest.mark.slow
@pytest.mark.parametrize("width,height", [(80, 24), (120, 40)])
def test_a_meeting_in_a_real_terminal_edits_every_kind_and_changes_nothing_unasked(
    tmp_path, width, height
):
    path = session_with_ticked_records(tmp_path)
    before = records(path)
    term = Terminal(tmp_path, width, height)
    term.start(f"{sys.executable} -m pmconsole open {path}")
    try:
        term.wait_for("Step 1 of 7")
        # Step 1: the roster is the last control; a person marked involved, edited and left.
        term.keys("BTab")
        term.keys("BTab")
        term.keys("Home")
        term.keys("e")
        term.wait_for("Edit Lin Chen")
        term.leave_form("Edit Lin Chen")
        # Step 5: an event marked interpretation, edited and left.
        for step in (2, 3, 4, 5):
            term.keys("F4")
            term.wait_for(f"Step {step} of 7")
        term.keys("Home")
        term.keys("e")
        term.wait_for("Edit the event")
        term.leave_form("Edit the event")
        # A new event typed as a quick typist over ssh sends it: the key that opens the form
        # with its text, then Tab and End, Backspaces and the time, each a write of its own.
        term.burst(f"a{NEW_EVENT}")
        term.keys("Tab", "End")
        for _ in range(8):
            term.keys("BSpace")
        term.burst("18:00")
        term.wait_for("18:00")
        term.keys("C-s")
        term.wait_gone("Add a timeline event")
        # Step 6: a condition of the first major event (an interpretation too).
        term.keys("F4")
        term.wait_for("Step 6 of 7")
        term.keys("Tab")
        term.keys("e")
        term.wait_for("Edit the condition")
        term.leave_form("Edit the condition")
        # Step 7: seven open; "a" and a title typed at once change nothing.
        term.keys("F4")
        term.wait_for("Step 7 of 7")
        term.burst("aAdd dashboard alarm, drop x")
        term.wait_for("did nothing")
        term.keys("C-q")
        shown = term.wait_for("PMCONSOLE-EXIT=")
    finally:
        term.stop()
    assert "Traceback" not in shown
    assert "PMCONSOLE-EXIT=0" in shown, shown
    after = records(path)
    added = [e for e in after["timeline"] if e["text"] == NEW_EVENT]
    assert len(added) == 1, [e["text"] for e in after["timeline"]][-3:]
    assert added[0]["at"].astimezone(load_session(path).zone()).strftime("%H:%M") == "18:00"
    after["timeline"] = [e for e in after["timeline"] if e["text"] != NEW_EVENT]
    assert after == before
