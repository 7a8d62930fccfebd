"""Countdowns for the meeting: computed from a deadline on a monotonic clock, never by counting
ticks, so a stalled event loop or a slow screen cannot make a timer drift.

A ``Countdown`` is a budget of seconds that runs while it is running, and stops exactly when
paused. Its remaining time is always ``budget - run_time``; below zero it is overtime, which
counts up. A countdown never does anything by itself when it reaches zero: the facilitator
moves the meeting on.

The clock is injectable: tests pass a ``FakeClock`` and move time by hand.

Never import Textual here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class FakeClock:
    """A clock for tests and snapshots: time moves only when told to."""

    mono: float = 1000.0
    wall: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc))

    def monotonic(self) -> float:
        return self.mono

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.mono - 1000.0)

    def advance(self, seconds: float) -> None:
        self.mono += seconds


class Countdown:
    """A time budget that runs down while running; pause and resume are exact."""

    def __init__(self, budget_seconds: float, clock: Clock, *, already_run: float = 0.0) -> None:
        self.budget = float(budget_seconds)
        self._clock = clock
        self._run_before = already_run  # seconds run in earlier running stretches
        self._running_since: float | None = None

    @property
    def running(self) -> bool:
        return self._running_since is not None

    def start(self) -> None:
        if self._running_since is None:
            self._running_since = self._clock.monotonic()

    resume = start

    def pause(self) -> None:
        if self._running_since is not None:
            self._run_before += self._clock.monotonic() - self._running_since
            self._running_since = None

    def run_time(self) -> float:
        """Seconds this countdown has been running, in all."""
        current = 0.0
        if self._running_since is not None:
            current = self._clock.monotonic() - self._running_since
        return self._run_before + current

    def remaining(self) -> float:
        """Seconds left; negative in overtime."""
        return self.budget - self.run_time()

    @property
    def overtime(self) -> bool:
        return self.remaining() < 0

    def restart(self, budget_seconds: float | None = None) -> None:
        """Begin again from the full budget (a new speaker's turn, say)."""
        if budget_seconds is not None:
            self.budget = float(budget_seconds)
        was_running = self.running
        self._run_before = 0.0
        self._running_since = self._clock.monotonic() if was_running else None


def format_clock(seconds: float) -> str:
    """12:05 for time left, +03:10 for overtime; whole seconds, rounded towards the deadline."""
    over = seconds < 0
    whole = int(-seconds) if over else int(seconds + 0.999)
    minutes, secs = divmod(whole, 60)
    text = f"{minutes:02d}:{secs:02d}"
    return f"+{text}" if over else text


@dataclass
class MeetingTimers:
    """Every timer of the meeting, so the blame pause can stop and resume all of them at once.
    (The meeting clock is not among them: it is read from the record, see meeting.py.)"""

    clock: Clock
    steps: dict[int, Countdown] = field(default_factory=dict)
    speaker: Countdown | None = None
    paused: bool = False

    def all(self) -> list[Countdown]:
        timers = list(self.steps.values())
        if self.speaker is not None:
            timers.append(self.speaker)
        return timers

    def pause_all(self) -> list[Countdown]:
        """Stop every running timer; return the ones that were running, to resume later."""
        running = [t for t in self.all() if t.running]
        for timer in running:
            timer.pause()
        self.paused = True
        return running

    @staticmethod
    def resume(timers: list[Countdown]) -> None:
        for timer in timers:
            timer.resume()
