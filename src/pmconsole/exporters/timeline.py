"""The incident's timeline laid out for the HTML summary's drawing: phase bands, one lane per
kind with a marker per event (major events large, outlined and numbered), and a time axis on
round local times. Only positions and words are worked out here; ``templates/timeline.svg.j2``
draws them, and Jinja2 escapes every word.

Never import Textual here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmconsole.domain.model import Session, day_label, format_duration
from pmconsole.exporters.common import (
    KIND_PLURAL,
    UTC,
    event_time,
    major_numbers,
    one_line,
)

SVG_WIDTH = 1000
_SVG_LEFT = 112  # room for the lane names
_SVG_RIGHT = 16
_BAND_TOP, _BAND_HEIGHT = 8, 20
_LANE_TOP, _LANE_HEIGHT = 46, 17
_LANES: tuple[str, ...] = ("alert", "decision", "action", "observation")
_KIND_COLOUR = {
    "alert": "#c0392b",
    "action": "#1f7a8c",
    "decision": "#b7791f",
    "observation": "#7b8794",
}
_PHASES = (
    ("detect", "Until detected", "#f4c7c3"),
    ("mitigate", "Until mitigated", "#fbe0b5"),
    ("resolve", "Until resolved", "#cce8cf"),
)
# Tick steps to choose from, in minutes: the smallest that gives at most ten ticks.
_TICK_MINUTES = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440, 2880, 10080, 43200)


@dataclass(frozen=True)
class Marker:
    """The shape of a kind: alert triangle (a path), action square, decision diamond (a path),
    observation dot. Numbers are already written with one decimal."""

    shape: str  # "path", "rect" or "circle"
    d: str = ""  # a path's outline
    x: str = ""  # a square's corner, or a dot's centre
    y: str = ""
    size: str = ""  # a square's side, or a dot's radius


def marker(kind: str, x: float, y: float, r: float) -> Marker:
    if kind == "alert":
        return Marker("path", d=(
            f"M{x:.1f} {y - r * 1.15:.1f}L{x + r * 1.1:.1f} {y + r * 0.85:.1f}H{x - r * 1.1:.1f}Z"
        ))
    if kind == "action":
        s = r * 0.85
        return Marker("rect", x=f"{x - s:.1f}", y=f"{y - s:.1f}", size=f"{2 * s:.1f}")
    if kind == "decision":
        d = r * 1.2
        return Marker("path", d=(
            f"M{x:.1f} {y - d:.1f}L{x + d:.1f} {y:.1f}L{x:.1f} {y + d:.1f}L{x - d:.1f} {y:.1f}Z"
        ))
    return Marker("circle", x=f"{x:.1f}", y=f"{y:.1f}", size=f"{r:.1f}")


def timeline_layout(session: Session) -> dict:
    """Everything the drawing shows, as the template reads it."""
    inc = session.incident
    times = [e.at for e in session.timeline]
    start = min([inc.started_at, *times])
    end = max([inc.resolved_at, *times])
    span = max((end - start).total_seconds(), 60.0)
    pad = span * 0.02
    t0 = start - timedelta(seconds=pad)
    total = span + 2 * pad
    plot = SVG_WIDTH - _SVG_LEFT - _SVG_RIGHT

    def x_of(moment: datetime) -> float:
        return _SVG_LEFT + (moment - t0).total_seconds() / total * plot

    axis_y = _LANE_TOP + _LANE_HEIGHT * len(_LANES) + 4
    layout: dict = {
        "width": SVG_WIDTH, "height": axis_y + 34, "count": len(session.timeline),
        "left": _SVG_LEFT, "right_edge": SVG_WIDTH - _SVG_RIGHT, "plot": plot,
        "band_top": _BAND_TOP, "band_bottom": _BAND_TOP + _BAND_HEIGHT,
        "band_height": _BAND_HEIGHT, "band_text_y": _BAND_TOP + 14,
        "lane_top": _LANE_TOP, "lane_height": _LANE_HEIGHT, "axis_y": axis_y,
    }

    # The phases: consecutive bands from the start to each of detected, mitigated, resolved.
    edges = {"detect": inc.detected_at, "mitigate": inc.mitigated_at, "resolve": inc.resolved_at}
    cursor = inc.started_at
    phases = []
    for key, label, colour in _PHASES:
        edge = edges[key]
        if edge is None or edge < cursor:
            continue
        x1, x2 = x_of(cursor), x_of(edge)
        length = format_duration(edge - cursor)
        tip = text = f"{label} · {length}"
        # Shorten the label to what fits in the band (about 6 px a character at this size).
        room = int((x2 - x1 - 6) / 6)
        if room < len(text):
            text = length if room >= len(length) else ""
        phases.append({
            "key": key, "tip": tip, "text": text, "colour": colour,
            "x": f"{x1:.1f}", "width": f"{max(x2 - x1, 1):.1f}", "middle": f"{(x1 + x2) / 2:.1f}",
        })
        cursor = edge
    layout["phases"] = phases

    # Lanes with their names and a sample of the shape, which doubles as the legend.
    lanes = []
    for i, kind in enumerate(_LANES):
        y = _LANE_TOP + _LANE_HEIGHT * i + _LANE_HEIGHT / 2
        lanes.append({
            "shaded": i % 2 == 0, "top": f"{y - _LANE_HEIGHT / 2:.1f}", "text_y": f"{y + 4:.1f}",
            "colour": _KIND_COLOUR[kind], "marker": marker(kind, _SVG_LEFT - 10, y, 4.5),
            "name": KIND_PLURAL[kind],
        })
    layout["lanes"] = lanes

    # The axis: ticks on round local times, a date where the day changes.
    ticks = []
    last_day: date | None = None
    for tick in _ticks(session, t0, t0 + timedelta(seconds=total)):
        x = x_of(tick)
        local = session.local(tick)
        day = ""
        if local.date() != last_day:
            day = day_label(local.date())
            last_day = local.date()
        ticks.append({
            "x": f"{x:.1f}", "time": f"{local:%H:%M}", "day": day,
            "anchor": "end" if x > SVG_WIDTH - _SVG_RIGHT - 24 else "middle",  # keep it in view
        })
    layout["ticks"] = ticks

    # Events: ordinary ones first, major ones on top.
    numbers = major_numbers(session)
    events = []
    for event in sorted(session.timeline, key=lambda e: (e.id in numbers, e.at, e.id)):
        lane = _LANES.index(event.kind) if event.kind in _LANES else len(_LANES) - 1
        x = x_of(event.at)
        y = _LANE_TOP + _LANE_HEIGHT * lane + _LANE_HEIGHT / 2
        number = numbers.get(event.id)
        basis = " (interpretation)" if event.basis == "interpretation" else ""
        source = f" — {one_line(event.source)}" if event.source.strip() else ""
        events.append({
            "css": f"ev {event.kind}" + (" major" if number else ""),
            "tip": (
                f"{event_time(session, event)} {event.kind}"
                f"{' ★' + str(number) if number else ''}: {one_line(event.text)}{basis}{source}"
            ),
            "colour": _KIND_COLOUR.get(event.kind, "#7b8794"),
            "number": number, "x": f"{x:.1f}",
            "marker": marker(event.kind, x, y, 7 if number else 4.5),
        })
    layout["events"] = events
    return layout


def _ticks(session: Session, first: datetime, last: datetime) -> list[datetime]:
    """Round local times between two moments, at a step giving at most ten of them."""
    span_minutes = (last - first).total_seconds() / 60
    step = next((m for m in _TICK_MINUTES if span_minutes / m <= 10), _TICK_MINUTES[-1])
    if span_minutes / step > 10:
        step = math.ceil(span_minutes / 10)
    # Step on the local wall clock, so ticks fall on 15:00 local, and still do after a change
    # to or from summer time.
    zone = session.zone()
    wall = session.local(first).replace(tzinfo=None)
    minutes = math.ceil((wall - datetime(1970, 1, 1)).total_seconds() / 60 / step) * step
    wall = datetime(1970, 1, 1) + timedelta(minutes=minutes)
    ticks: list[datetime] = []
    while len(ticks) < 100:
        tick = wall.replace(tzinfo=zone).astimezone(UTC)
        if tick > last:
            break
        # A wall time that does not exist (or exists twice) at the change can land out of order.
        if tick >= first and (not ticks or tick > ticks[-1]):
            ticks.append(tick)
        wall += timedelta(minutes=step)
    return ticks
