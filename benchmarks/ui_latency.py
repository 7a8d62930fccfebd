"""ui_latency_ratio: add an event and redraw the 5,000-event timeline, over a bare DataTable
with the same rows doing the same (adding one row and redrawing)."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from pmconsole.tui.app import make_app
from pmconsole.domain.clock import FakeClock
from pmconsole.storage.config import Settings
from pmconsole.domain.model import TimelineEvent
from pmconsole.domain.ops import add_op
from pmconsole.storage.toml_file import parse_session, read_bytes
from pmconsole.tui.widgets.timeline_table import COLUMNS, TimelineTable

SIZE = (120, 40)


async def ours(path: Path, adds: int) -> list[float]:
    app = make_app(path, clock=FakeClock(), settings=Settings(), poll=False)
    times = []
    async with app.run_test(size=SIZE) as pilot:
        while app.meeting.step < 5:
            await pilot.press("f4")
            await pilot.pause()
        start = app.store.session.incident.started_at
        for i in range(adds):
            began = time.perf_counter()
            app.edit(add_op("timeline", TimelineEvent(at=start, text=f"added {i}")))
            await pilot.pause()
            times.append(time.perf_counter() - began)
    return times


class BareTable(App):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def anchor(path: Path, adds: int) -> list[float]:
    session = parse_session(read_bytes(path), path)
    rows_of = TimelineTable()
    rows_of.events, rows_of.zone = session.sorted_timeline(), session.zone()
    rows = [rows_of.row(i).cells for i in range(rows_of.row_count)]
    app = BareTable()
    times = []
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_columns(*(title for title, _ in COLUMNS), "Event")
        table.add_rows(rows)
        await pilot.pause()
        for i in range(adds):
            began = time.perf_counter()
            table.add_row(*rows[i % len(rows)])
            await pilot.pause()
            times.append(time.perf_counter() - began)
    return times


def measure(path: Path, adds: int) -> tuple[float, float]:
    """Median seconds per add: ours, the anchor's."""
    return (
        statistics.median(asyncio.run(ours(path, adds))),
        statistics.median(asyncio.run(anchor(path, adds))),
    )
