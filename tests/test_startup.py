"""What keeps the console's start short, checked for what it must not change: the footer
still shows the right keys, and the garbage collector runs again once the screen is ready."""

from __future__ import annotations

import gc

import pytest
from textual.widgets._footer import FooterKey

from pmconsole import startup
from pmconsole.widgets.keys_footer import KeysFooter
from snapshot_app import console, demo_copy

SIZE = (120, 40)


@pytest.fixture
def demo(tmp_path):
    return demo_copy(tmp_path)


def keys_shown(footer: KeysFooter) -> dict[str, str]:
    return {key.description: key.key for key in footer.query(FooterKey)}


async def test_the_footer_is_rebuilt_only_when_the_keys_it_shows_change(demo):
    app = console(demo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeysFooter)
        keys = list(footer.query(FooterKey))
        assert keys_shown(footer)["Blame pause"] == "f2"
        first = app.focused
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert app.focused is not first
        assert list(footer.query(FooterKey)) == keys  # the same widgets: not rebuilt

        app.set_keymap({"pmconsole.pause": "f12"})
        await pilot.pause()
        await pilot.pause()
        assert keys_shown(footer)["Blame pause"] == "f12"


async def test_the_collector_paused_for_the_start_runs_again_once_the_screen_is_ready(demo):
    startup.pause_collector()
    try:
        assert not gc.isenabled()
        app = console(demo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_collector_someone_else_turned_off_stays_off():
    gc.disable()
    try:
        startup.pause_collector()
        startup.resume_collector()
        assert not gc.isenabled()
    finally:
        gc.enable()
