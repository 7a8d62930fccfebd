"""Step 2, Learning question: one question, with templates made from the incident's own
durations. Once set, the question stays in the header for the rest of the meeting."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from pmconsole.domain import rules
from pmconsole.tui.messages import ChooseTemplate
from pmconsole.domain.model import Session, format_duration
from pmconsole.domain.ops import set_op
from pmconsole.tui.widgets import show_text
from pmconsole.tui.widgets.fields import BoundInput, FieldRef
from pmconsole.tui.screens.base import StepView


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


class TemplateList(OptionList):
    """The templates, chosen from the question field (or with the mouse): the focus stays in
    the question, so Tab, Shift+Tab and "?" never leave the typing for the list or the help."""

    can_focus = False

    # The template chosen is told apart by underline as well as colour (a projector).
    DEFAULT_CSS = """
    TemplateList > .option-list--option-highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: bold underline;
    }
    """


class QuestionInput(BoundInput):
    """The question field; ↓/↑ in it choose a template. The field's own keys, so that in a
    burst ("↓ ↓ Enter", as tmux or a quick hand sends it) they act before the Enter after
    them."""

    BINDINGS = [
        Binding("down", "choose(1)", "Next template", id="question.next_template", show=False),
        Binding("up", "choose(-1)", "Previous template", id="question.previous_template",
                show=False),
    ]

    def action_choose(self, delta: int) -> None:
        self.post_message(ChooseTemplate(delta))


class QuestionStep(StepView):
    step = 2
    watches = frozenset({"question", "incident"})

    def compose(self) -> ComposeResult:
        yield Static("One learning question", classes="section")
        yield Static(
            "State one concrete question that keeps the discussion on a measurable change.",
            classes="hint",
        )
        yield QuestionInput(
            FieldRef("question", "text"),
            id="question",
            placeholder="How did recovery take 45 minutes, and how do we bring it to 20?",
            also=self._stamp,
        )
        yield Static("", id="measurable", classes="hint", markup=False)
        yield Static(
            "Or start from the incident's own numbers: ↓/↑ chooses one, Enter uses it",
            classes="hint",
        )
        yield TemplateList(id="templates")

    def _stamp(self, text: str) -> list[dict]:
        """The question counts as set when it first has words (``question.one`` checks it was
        set before step 3)."""
        if text.strip() and self.session.question.set_at is None:
            return [set_op("question", "set_at", self.app.clock.now())]
        return []

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        options = self.query_one("#templates", TemplateList)
        templates = question_templates(self.session)
        if [o.prompt.plain for o in options.options] != templates:  # type: ignore[union-attr]
            options.clear_options()
            options.add_options([Option(Text(t)) for t in templates])
        text = self.session.question.text
        hint = self.query_one("#measurable", Static)
        measurable = not text.strip() or rules.is_measurable(text)
        show_text(hint, "" if measurable else f"▲ {rules.MEASURABLE_QUESTION_HINT}")
        hint.display = not measurable

    @on(ChooseTemplate)
    def _choose_template(self, event: ChooseTemplate) -> None:
        """Move the choice of template (from the question field: the focus stays there)."""
        delta = event.delta
        options = self.query_one("#templates", TemplateList)
        if not options.option_count:
            return
        at = options.highlighted
        options.highlighted = (
            (0 if delta > 0 else options.option_count - 1)
            if at is None
            else max(0, min(options.option_count - 1, at + delta))
        )

    @on(Input.Submitted, "#question")
    def _enter_in_question(self) -> None:
        options = self.query_one("#templates", TemplateList)
        if options.highlighted is not None:
            options.action_select()

    @on(OptionList.OptionSelected, "#templates")
    def _use_template(self, event: OptionList.OptionSelected) -> None:
        text = event.option.prompt.plain  # type: ignore[union-attr]
        event.option_list.highlighted = None  # chosen: Enter saves the question again
        question = self.query_one("#question", BoundInput)
        question.commit()  # typing not yet saved goes first, so the template is what stays
        self.edit(set_op("question", "text", text), *self._stamp(text))
        question.show_value(self.session)
        question.focus()
        question.action_end()
