"""A drawn strip of the incident: a time axis with the detect, mitigate and resolve phases, and
a marker per event by kind. Redrawn from the model whenever the timeline changes."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widget import Widget

from pmconsole.domain.model import Session
from pmconsole.tui.in_console import InConsole

MARKS = {"alert": "!", "action": "▲", "decision": "◆", "observation": "·"}
KIND_STYLE = {"alert": "bold red", "action": "bold cyan", "decision": "bold yellow",
              "observation": "dim"}
PHASES = (("to detect", "on red"), ("to mitigate", "on dark_orange3"), ("to resolve", "on green4"))


def strip_lines(session: Session, width: int) -> list[Text]:
    """Three lines: event markers, the phases, and the clock times at both ends."""
    width = max(20, width)
    inc = session.incident
    times = [e.at for e in session.timeline]
    start = min([inc.started_at, *times])
    end = max([inc.resolved_at, *times])
    span = max(1.0, (end - start).total_seconds())
    origin = start.timestamp()
    last = width - 1

    def column(moment: datetime) -> int:
        return min(last, int((moment.timestamp() - origin) / span * last))

    marks = [" "] * width
    styles = [""] * width
    # Alerts and decisions win a shared column over observations: they matter more on a strip.
    priority = {"observation": 0, "action": 1, "decision": 2, "alert": 3}
    rank = [-1] * width
    for event in session.timeline:
        col = column(event.at)
        if priority[event.kind] > rank[col]:
            rank[col] = priority[event.kind]
            marks[col] = "★" if event.major else MARKS[event.kind]
            styles[col] = KIND_STYLE[event.kind]
    markers = Text()
    for mark, style in zip(marks, styles):
        markers.append(mark, style)

    edges = [inc.started_at, inc.detected_at, inc.mitigated_at, inc.resolved_at]
    phases = Text()
    cursor = 0
    previous = column(inc.started_at)
    phases.append(" " * previous)
    cursor = previous
    for (label, style), edge in zip(PHASES, edges[1:]):
        if edge is None:
            continue
        col = column(edge)
        length = max(0, col - cursor)
        phases.append(label[:length].center(length, "─") if length else "", style)
        cursor = col
    phases.append(" " * max(0, width - cursor))

    zone = session.zone()
    left = f"{start.astimezone(zone):%H:%M}"
    right = f"{end.astimezone(zone):%H:%M}"
    legend = "! alert  ▲ action  ◆ decision  · observation  ★ major"
    axis = left + legend.center(max(0, width - len(left) - len(right))) + right
    return [markers, phases, Text(axis[:width], "dim")]


class TimelineStrip(InConsole, Widget):
    DEFAULT_CSS = """
    TimelineStrip { height: 3; }
    """

    def render(self) -> Text:
        session = self.app.session_store.session
        return Text("\n").join(strip_lines(session, self.size.width))
