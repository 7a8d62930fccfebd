"""Inline SVG charts for the published trends page: bars with their numbers written on them, so
a chart reads without colour and without a script.

Every label is escaped here (they may be tags people typed); the SVG is then given to the page
as safe markup. Never import Textual here.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from pmconsole.domain.model import SEVERITY_LEVELS
from pmconsole.domain.method import WINDOW_EARLIEST, WINDOW_LATEST, hours
from pmconsole.domain.trends import (
    DELAY_BANDS, DURATIONS, POSTPONED_AFTER, WINDOW_HOURS, Trends, minutes_text,
)

WIDTH = 720
ROW = 26  # the height of one horizontal bar
LABEL = 170  # room for the labels on the left
PALETTE = ("#b3261e", "#e8710a", "#0b5cad", "#6b6b6b", "#2e7d32", "#7b1fa2")


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def horizontal_bars(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> str:
    """One bar per item, its value written at its end."""
    items = list(items)
    height = max(1, len(items)) * ROW + 8
    top = max((v for _, v in items), default=0) or 1
    plot = WIDTH - LABEL - 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'font-family="system-ui, sans-serif" font-size="13"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = 4 + i * ROW
        w = plot * value / top
        out.append(
            f'<text x="{LABEL - 8}" y="{y + 17}" text-anchor="end" fill="currentColor">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL}" y="{y + 3}" width="{w:.1f}" height="{ROW - 8}" '
            f'fill="{PALETTE[2]}"/>'
            f'<text x="{LABEL + w + 6:.1f}" y="{y + 17}" fill="currentColor">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    if not items:
        out.append(f'<text x="{LABEL}" y="20" fill="currentColor">nothing to show yet</text>')
    out.append("</svg>")
    return "".join(out)


def column_groups(
    title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], *,
    stacked: bool = False, unit: str = "",
) -> str:
    """A column (or a stack) per label and series, each with its value above it, and a legend
    naming the series in words and in order."""
    labels = list(labels)
    names = list(series)
    height, base, left = 260, 210, 40
    n = max(1, len(labels))
    slot = min((WIDTH - left - 10) / n, 140)  # one month is a column, not a wall
    if stacked:
        top = max((sum(v or 0 for v in column) for column in zip(*series.values())), default=0)
    else:
        top = max((v or 0 for values in series.values() for v in values), default=0)
    top = top or 1
    scale = (base - 30) / top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'font-family="system-ui, sans-serif" font-size="11"><title>{escape(title)}</title>',
           f'<line x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="currentColor"/>']
    for i, label in enumerate(labels):
        x0 = left + i * slot
        if stacked:
            y = base
            for k, name in enumerate(names):
                v = series[name][i] or 0
                if not v:
                    continue
                h = v * scale
                y -= h
                out.append(f'<rect x="{x0 + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                           f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}" stroke="#fff"/>')
            total = sum(series[name][i] or 0 for name in names)
            out.append(f'<text x="{x0 + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                       f'fill="currentColor">{escape(_number(total))}</text>')
        else:
            width = slot * 0.8 / max(1, len(names))
            for k, name in enumerate(names):
                v = series[name][i]
                if v is None:
                    continue
                h = v * scale
                x = x0 + slot * 0.1 + k * width
                out.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{width:.1f}" '
                           f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>'
                           f'<text x="{x + width / 2:.1f}" y="{base - h - 3:.1f}" '
                           f'text-anchor="middle" fill="currentColor">'
                           f"{escape(_number(round(v)))}{escape(unit)}</text>")
        out.append(f'<text x="{x0 + slot / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                   f'fill="currentColor">{escape(label)}</text>')
    for k, name in enumerate(names):
        x = left + k * 150
        out.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" '
                   f'fill="{PALETTE[k % len(PALETTE)]}"/>'
                   f'<text x="{x + 16}" y="{height - 12}" fill="currentColor">'
                   f"{k + 1}. {escape(name)}</text>")
    out.append("</svg>")
    return "".join(out)


def trend_charts(t: Trends) -> list[dict]:
    months = list(t.by_month)
    return [
        {"title": "Incidents per month, by severity",
         "svg": column_groups("Incidents per month by severity", months,
                                     {s: [t.by_month[m][s] for m in months]
                                      for s in SEVERITY_LEVELS}, stacked=True),
         "caption": "Stacked from the bottom in the legend's order; the total is written above."},
        {"title": "Median time from the incident's start, by month (minutes)",
         "svg": column_groups(
             "Median minutes to detect, mitigate and resolve by month",
             months, {f"to {d}": [t.durations_by_month[m][d].median for m in months]
                      for d in DURATIONS}),
         "caption": "Overall: " + "; ".join(
             f"to {d} median {minutes_text(t.durations[d].median)}, 90th percentile "
             f"{minutes_text(t.durations[d].p90)}" for d in DURATIONS) + "."},
        {"title": f"When the meeting was held (the method: {WINDOW_HOURS} after the incident "
                   "ended)",
         "svg": horizontal_bars("Meetings by delay", [
             (label, t.meeting_delay.get(band, 0)) for band, label in zip(DELAY_BANDS, (
                 f"before {hours(WINDOW_EARLIEST)} h", f"within {WINDOW_HOURS}",
                 f"{hours(WINDOW_LATEST)} h to {POSTPONED_AFTER}", f"after {POSTPONED_AFTER}",
                 "not scheduled"))]),
         "caption": ""},
        {"title": "Actions by state",
         "svg": horizontal_bars("Actions by state", [
             ("done on time", t.actions.done_on_time), ("done late", t.actions.done_late),
             ("open", t.actions.open), ("overdue", t.actions.overdue),
             ("dropped", t.actions.dropped)]),
         "caption": ""},
        {"title": "Contributing conditions by category",
         "svg": horizontal_bars("Conditions by category", list(t.conditions.items())),
         "caption": ""},
    ]
