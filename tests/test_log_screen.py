"""The post-mortem log in the console: a search that cannot read or write the log's index says
why on the screen, where its thread had died without a word (the screen said "Indexing…" for
ever)."""

from __future__ import annotations

import sqlite3

from textual.widgets import Static

from pmconsole.storage.log_index import PostMortemLog
from pmconsole.tui.screens.log import LogScreen
from snapshot_app import console, demo_copy
from typing_helpers import until


async def test_an_index_that_fails_is_said_on_the_log_screen(tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(PostMortemLog, "update", broken)
    app = console(demo_copy(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(LogScreen())
        await pilot.pause()
        status = lambda: str(app.screen.query_one("#status", Static).render())  # noqa: E731
        await until(pilot, lambda: "disk I/O error" in status(), "the index's failure said")
        assert "the post-mortem log's index cannot be read or written" in status()
