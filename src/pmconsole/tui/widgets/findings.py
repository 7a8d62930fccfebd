"""The method's findings for one step, as badges with their hints."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from pmconsole.domain.rules import Finding
from pmconsole.tui.widgets import show_text

MARK = {"block": "■ BLOCK", "warn": "▲ WARN", "info": "● INFO"}
# Before the meeting starts the method's blocks refuse nothing (the facilitator prepares any
# step): a block says it will, once the meeting runs.
PREPARING_BLOCK = "■ WILL BLOCK"


class FindingsBar(Static):
    """Findings of the current step; user text in them is never read as markup.

    They get at most MAX_LINES lines (the console's stylesheet holds it there): when all of
    them with their hints do not fit, the hints go; when the findings alone do not fit, the
    last line says how many more there are and where to see them."""

    DEFAULT_CSS = """
    FindingsBar { height: auto; padding: 0 1; }
    FindingsBar.-empty { visibility: hidden; }
    """

    MAX_LINES = 6

    _findings: list[Finding] = []
    _preparing = False

    def show(self, findings: list[Finding], *, preparing: bool = False) -> None:
        """``preparing``: the meeting has not started, so blocks do not refuse yet."""
        self._findings = findings
        self._preparing = preparing
        self.set_class(not findings, "-empty")
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        # Several findings of one rule (three late evidence items, say) take one line.
        by_rule: dict[str, list[Finding]] = {}
        for f in self._findings:
            by_rule.setdefault(f.rule, []).append(f)
        width = self.content_size.width
        with_hints = [self._line(group, hint=True, preparing=self._preparing)
                      for group in by_rule.values()]
        if not width or self._height(with_hints, width) <= self.MAX_LINES:
            show_text(self, Content("\n").join(with_hints))
            return
        lines = [self._line(group, hint=False, preparing=self._preparing)
                 for group in by_rule.values()]
        if self._height(lines, width) <= self.MAX_LINES:
            # Say where the hints went, when there is room for it.
            told = [*lines[:-1], lines[-1] + Content.styled(" · F1: the hints", "dim")]
            if self._height(told, width) <= self.MAX_LINES:
                lines = told
        else:
            while len(lines) > 1 and self._height(lines, width) > self.MAX_LINES - 1:
                lines.pop()
            more = len(by_rule) - len(lines)
            lines.append(Content.styled(
                f"… {more} more finding{'s' if more > 1 else ''}: F1 shows them all, with hints",
                "dim"))
        show_text(self, Content("\n").join(lines))

    @staticmethod
    def _height(lines: list[Content], width: int) -> int:
        return sum(len(line.wrap(width)) for line in lines)

    @staticmethod
    def _line(group: list[Finding], *, hint: bool, preparing: bool) -> Content:
        f = group[0]
        style = {"block": "$error", "warn": "$warning", "info": "$text-muted"}[f.severity]
        more = f" (and {len(group) - 1} more like it)" if len(group) > 1 else ""
        return Content.from_markup(
            f"[bold {style}]$mark [/]$message$more" + (" [dim]— $hint[/]" if hint else ""),
            mark=PREPARING_BLOCK if preparing and f.severity == "block" else MARK[f.severity],
            message=f.message,
            more=more,
            hint=f.hint,
        )
