"""The saving guarantees of issue 23: typing is in the store within a second however fast it is
typed, a stale or reverted file never deletes acknowledged edits, a log deleted while open is
rebuilt, the seven-open limit holds under concurrent adds, and a file this version cannot write
opens read-only."""

from __future__ import annotations

import re

import pytest

from pmconsole.clock import FakeClock
from pmconsole.store import SessionStore, load_session
from snapshot_app import MEETING_TIME, console, demo_copy

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


async def test_a_newer_schema_session_opens_read_only_with_a_message(demo):
    text = demo.read_text(encoding="utf-8")
    demo.write_text(re.sub(r"(?m)^schema_version = \d+", "schema_version = 99", text), "utf-8")
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.store.read_only
        assert "newer pmconsole" in app.store.read_only
        assert app.save_state() == "READ-ONLY"
        shown = [n.message for n in app._notifications]
        assert any("newer pmconsole" in m for m in shown), shown
        for key in ("f5", "f4", "f3", "p", "p", "ctrl+q"):
            await pilot.press(key)  # a refused edit is said, never a crash
        await pilot.pause()
    assert "schema_version = 99" in demo.read_text(encoding="utf-8")  # never written
