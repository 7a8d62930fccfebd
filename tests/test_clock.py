"""Countdowns keep exact time: computed from a deadline, never by counting ticks."""

from __future__ import annotations

import random

import pytest

from pmconsole.domain.clock import Countdown, FakeClock, MeetingTimers, format_clock


def test_remaining_time_is_exact_through_90_minutes_with_a_stalling_loop():
    clock = FakeClock()
    timer = Countdown(90 * 60, clock)
    timer.start()
    rng = random.Random(7)
    elapsed = 0.0
    while elapsed < 90 * 60:
        # Ticks arrive every 0.25 s, but the event loop stalls at random for up to 20 s.
        step = 0.25 if rng.random() < 0.9 else rng.uniform(0.5, 20.0)
        clock.advance(step)
        elapsed += step
        assert timer.remaining() == pytest.approx(90 * 60 - elapsed, abs=1e-6)
    assert timer.overtime == (elapsed > 90 * 60)


def test_pause_and_resume_are_exact():
    clock = FakeClock()
    timer = Countdown(600, clock)
    timer.start()
    clock.advance(100.5)
    timer.pause()
    clock.advance(3600)  # an hour paused costs nothing
    assert timer.remaining() == pytest.approx(499.5)
    timer.resume()
    clock.advance(0.5)
    assert timer.remaining() == pytest.approx(499.0)


def test_overtime_counts_up_and_is_marked():
    clock = FakeClock()
    timer = Countdown(60, clock)
    timer.start()
    clock.advance(59)
    assert not timer.overtime and format_clock(timer.remaining()) == "00:01"
    clock.advance(131)
    assert timer.overtime
    assert format_clock(timer.remaining()) == "+02:10"


def test_pausing_the_meeting_stops_every_running_timer_and_resumes_only_those():
    clock = FakeClock()
    speaker = Countdown(300, clock)
    step = Countdown(600, clock)
    idle = Countdown(300, clock)  # a later step's timer, not started
    timers = MeetingTimers(clock=clock, steps={1: step, 2: idle}, speaker=speaker)
    speaker.start()
    step.start()
    clock.advance(10)
    running = timers.pause_all()
    assert set(map(id, running)) == {id(speaker), id(step)}
    clock.advance(500)
    assert speaker.remaining() == pytest.approx(290) and step.remaining() == pytest.approx(590)
    timers.resume(running)
    clock.advance(10)
    assert step.remaining() == pytest.approx(580)
    assert idle.remaining() == pytest.approx(300) and not idle.running


def test_a_countdown_reopened_mid_meeting_continues_where_it_was():
    clock = FakeClock()
    timer = Countdown(1200, clock, already_run=300)
    timer.start()
    clock.advance(60)
    assert timer.remaining() == pytest.approx(840)
