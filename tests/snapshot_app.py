"""Builds the console for tests and snapshots: a copy of the demo session, a frozen clock, no
polling of the live log, no user config (conftest points PMCONSOLE_CONFIG at an empty file)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pmconsole.storage import locations
from pmconsole.tui.app import PmConsole, make_app
from pmconsole.domain.clock import FakeClock
from pmconsole.domain.text import clean_text
from pmconsole.storage.config import Settings

# Five minutes after the demo meeting was scheduled.
MEETING_TIME = datetime(2026, 11, 26, 9, 5, tzinfo=timezone.utc)


def demo_copy(folder: Path, name: str = "demo.toml") -> Path:
    path = folder / name
    shutil.copyfile(locations.bundled_demo(), path)
    return path


def console(
    path: Path | None,
    *,
    role: str = "facilitator",
    clock: FakeClock | None = None,
    poll: bool = False,
    sessions_dir: Path | None = None,
) -> PmConsole:
    app = make_app(
        path,
        role=role,
        clock=clock or FakeClock(wall=MEETING_TIME),
        settings=Settings(),
        poll=poll,
        sessions_dir=sessions_dir,
    )
    app.told = listen(app)  # type: ignore[attr-defined]
    return app


@dataclass(frozen=True)
class Told:
    """One notice the console showed, as the user read it."""

    message: str
    title: str
    severity: str
    markup: bool


def listen(app: PmConsole) -> list[Told]:
    """Every notice ``app`` shows from now on, oldest first (through ``App.notify``, the one
    way a notice is shown), cleaned as the console cleans it."""
    told: list[Told] = []
    show = app.notify

    def notify(message: str, *, title: str = "", **kwargs) -> None:
        told.append(Told(clean_text(message), clean_text(title, multiline=False),
                         kwargs.get("severity", "information"), kwargs.get("markup", True)))
        show(message, title=title, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return told


async def steady(pilot) -> None:
    """No blinking cursor, nothing still to draw: the screen as a person would see it."""
    await pilot.pause()
    for screen in pilot.app.screen_stack:  # a console under the pause banner still draws
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False
    await pilot.pause()
