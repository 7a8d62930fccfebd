"""A countdown in large digits, redrawn from its deadline on every tick (never by counting
ticks: Textual skips missed ticks, and a stalled loop must not make the timer drift)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from textual.content import Content
from textual.renderables.digits import Digits
from textual.widget import Widget

from pmconsole.domain.clock import Countdown, format_clock

# How each state looks: the digits, then the line under them. Overtime is told by words and a
# symbol as well as by colour.
LOOKS = {
    "running": ("", ""),
    "paused": ("$text-muted", ""),
    "overtime": ("bold $error", "bold reverse $error"),
}


def big_digits(text: str, bold: bool = False) -> list[str]:
    """``text`` as the three rows of Textual's large digits."""
    rows = "".join(segment.text for segment in Digits(text).render(Style(bold=bold)))
    return rows.split("\n")[:3]


class CountdownDisplay(Widget):
    """Big digits and a line under them saying what the digits mean. One widget drawing four
    lines: it is on every step's first screen and redrawn four times a second."""

    DEFAULT_CSS = """
    CountdownDisplay { height: 4; width: auto; text-wrap: nowrap; }
    """

    def __init__(self, label: str, countdown: Countdown | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.countdown = countdown
        # Why the timer does not run, when the meeting does not ("meeting not started",
        # "meeting ended"); "" while the meeting is on.
        self.stopped = ""
        self._shown: tuple[str, str, str] = ("--:--", f"{label}: not started", "running")

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(0.25, self.redraw)

    def shown(self) -> tuple[str, str, str]:
        """What the countdown shows now: the digits, the line under them, and the state
        (running, paused or overtime)."""
        return self._shown

    def redraw(self) -> None:
        timer = self.countdown
        if timer is None:
            shown = ("--:--", f"{self.label}: not started", "running")
        else:
            remaining = timer.remaining()
            budget = int(timer.budget // 60)
            if remaining < 0:
                shown = (format_clock(remaining),
                         f"▲ OVERTIME on {self.label} ({budget} min budget)", "overtime")
            elif not timer.running and self.stopped:
                shown = (format_clock(remaining), f"■ {self.label} · {budget} min · {self.stopped}",
                         "paused")
            elif not timer.running:
                shown = (format_clock(remaining), f"‖ {self.label} paused · {budget} min budget",
                         "paused")
            else:
                shown = (format_clock(remaining), f"▼ {self.label} · {budget} min budget",
                         "running")
        if shown != self._shown:
            before = self._width(self._shown)
            self._shown = shown
            self.refresh(layout=self._width(shown) != before)

    @staticmethod
    def _width(shown: tuple[str, str, str]) -> int:
        return max(Digits.get_width(shown[0]), cell_len(shown[1]))  # a name may be wide

    def render(self) -> Content:
        digits, caption, state = self._shown
        digits_look, caption_look = LOOKS[state]
        rows = "\n".join(big_digits(digits, bold=state == "overtime"))
        return Content.assemble((rows, digits_look), "\n", (caption, caption_look))
