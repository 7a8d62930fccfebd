"""The method's findings for one step, as badges with their hints."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from ..rules import Finding
from . import show_text

MARK = {"block": "■ BLOCK", "warn": "▲ WARN", "info": "● INFO"}


class FindingsBar(Static):
    """Findings of the current step; user text in them is never read as markup."""

    DEFAULT_CSS = """
    FindingsBar { height: auto; padding: 0 1; }
    FindingsBar.-empty { visibility: hidden; }
    """

    def show(self, findings: list[Finding]) -> None:
        self.set_class(not findings, "-empty")
        # Several findings of one rule (three late evidence items, say) take one line.
        by_rule: dict[str, list[Finding]] = {}
        for f in findings:
            by_rule.setdefault(f.rule, []).append(f)
        parts: list[Content] = []
        for group in by_rule.values():
            f = group[0]
            style = {"block": "$error", "warn": "$warning", "info": "$text-muted"}[f.severity]
            more = f" (and {len(group) - 1} more like it)" if len(group) > 1 else ""
            parts.append(
                Content.from_markup(
                    f"[bold {style}]$mark [/]$message$more [dim]— $hint[/]",
                    mark=MARK[f.severity],
                    message=f.message,
                    more=more,
                    hint=f.hint,
                )
            )
        show_text(self, Content("\n").join(parts))
