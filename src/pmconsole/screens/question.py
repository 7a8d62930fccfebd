"""Step 2, Learning question: one question, with templates made from the incident's own
durations. Once set, the question stays in the header for the rest of the meeting."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..model import Session, format_duration
from ..ops import set_op
from ..widgets.fields import BoundInput, FieldRef
from .base import StepView


def target(duration: timedelta) -> str:
    """A round, ambitious target: about half the time it took, in a number people remember."""
    minutes = max(5, int(duration.total_seconds() // 60) // 2)
    step = 5 if minutes < 60 else 15
    return format_duration(timedelta(minutes=max(step, minutes - minutes % step)))


def question_templates(session: Session) -> list[str]:
    """Questions filled with this incident's own durations."""
    d = session.durations()
    templates = []
    if d["resolve"]:
        templates.append(
            f"Recovery took {format_duration(d['resolve'])}; how do we bring it to "
            f"{target(d['resolve'])}?"
        )
    if d["detect"]:
        templates.append(
            f"Detection took {format_duration(d['detect'])}; how do we detect this within "
            f"{target(d['detect'])}?"
        )
    if d["mitigate"]:
        templates.append(
            f"Mitigation took {format_duration(d['mitigate'])}; how do we mitigate within "
            f"{target(d['mitigate'])}?"
        )
    return templates


class QuestionStep(StepView):
    step = 2
    watches = frozenset({"question", "incident"})

    def compose(self) -> ComposeResult:
        yield Static("One learning question", classes="section")
        yield Static(
            "State one concrete question that keeps the discussion on a measurable change.",
            classes="hint",
        )
        yield BoundInput(
            FieldRef("question", "text"),
            id="question",
            placeholder="How did recovery take 45 minutes, and how do we bring it to 20?",
            also=self._stamp,
        )
        yield Static("Start from the incident's own numbers (Enter to use one):", classes="hint")
        yield OptionList(id="templates")

    def _stamp(self, text: str) -> list[dict]:
        """The question counts as set when it first has words (``question.one`` checks it was
        set before step 3)."""
        if text.strip() and self.session.question.set_at is None:
            return [set_op("question", "set_at", self.app.clock.now())]  # type: ignore[attr-defined]
        return []

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        options = self.query_one("#templates", OptionList)
        options.clear_options()
        options.add_options([Option(Text(t)) for t in question_templates(self.session)])

    @on(OptionList.OptionSelected, "#templates")
    def _use_template(self, event: OptionList.OptionSelected) -> None:
        text = event.option.prompt.plain  # type: ignore[union-attr]
        self.edit(set_op("question", "text", text), *self._stamp(text))
        self.query_one("#question", BoundInput).focus()
