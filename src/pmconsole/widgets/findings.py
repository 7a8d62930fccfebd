"""The method's findings for one step, as badges with their hints."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..rules import Finding

MARK = {"block": "■ BLOCK", "warn": "▲ WARN", "info": "● INFO"}


class FindingsBar(Static):
    """Findings of the current step; user text in them is never read as markup."""

    DEFAULT_CSS = """
    FindingsBar { height: auto; padding: 0 1; }
    FindingsBar.-empty { display: none; }
    """

    def show(self, findings: list[Finding]) -> None:
        self.set_class(not findings, "-empty")
        parts: list[Content] = []
        for f in findings:
            style = {"block": "$error", "warn": "$warning", "info": "$text-muted"}[f.severity]
            line = Content.from_markup(
                f"[bold {style}]$mark[/] $message [dim]— $hint[/]",
                mark=MARK[f.severity],
                message=f.message,
                hint=f.hint,
            )
            parts.append(line)
        self.update(Content("\n").join(parts))
