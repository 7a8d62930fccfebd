"""A countdown in large digits, redrawn from its deadline on every tick (never by counting
ticks: Textual skips missed ticks, and a stalled loop must not make the timer drift)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Static

from ..clock import Countdown, format_clock
from . import show_text


class CountdownDisplay(Vertical):
    """Big digits and a line under them saying what the digits mean, so overtime is told by
    words and a symbol as well as by colour."""

    DEFAULT_CSS = """
    CountdownDisplay { height: auto; width: auto; }
    CountdownDisplay > Digits { width: auto; }
    CountdownDisplay > .caption { width: auto; }
    CountdownDisplay.-overtime > Digits { color: $error; text-style: bold; }
    CountdownDisplay.-overtime > .caption { color: $error; text-style: bold reverse; }
    CountdownDisplay.-paused > Digits { color: $text-muted; }
    """

    def __init__(self, label: str, countdown: Countdown | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.countdown = countdown

    def compose(self) -> ComposeResult:
        yield Digits("--:--")
        yield Static("", classes="caption", markup=False)

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(0.25, self.redraw)

    def redraw(self) -> None:
        timer = self.countdown
        digits = self.query_one(Digits)
        caption = self.query_one(".caption", Static)
        if timer is None:
            digits.update("--:--")
            show_text(caption, f"{self.label}: not started")
            return
        remaining = timer.remaining()
        digits.update(format_clock(remaining))
        over = remaining < 0
        self.set_class(over, "-overtime")
        self.set_class(not timer.running, "-paused")
        budget = int(timer.budget // 60)
        if over:
            show_text(caption, f"▲ OVERTIME on {self.label} ({budget} min budget)")
        elif not timer.running:
            show_text(caption, f"‖ {self.label} paused · {budget} min budget")
        else:
            show_text(caption, f"▼ {self.label} · {budget} min budget")
