"""The controls of a record's form (dialogs/record_form.py): a field's description, its one-line
input, tick boxes and a list of them, and the parser of a field that must not be empty."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from textual.app import ComposeResult
from textual.content import Content
from textual.containers import VerticalScroll
from textual.widgets import Checkbox, Input

from pmconsole.tui.keys import KeysInOrder
from pmconsole.domain.text import clean_text
from pmconsole.tui.widgets.fields import PastesCleanText


@dataclass
class FormField:
    name: str
    label: str
    value: Any = ""
    kind: str = "text"  # "text", "choice", "bool" or "multi" (several of ``options``)
    choices: tuple[str, ...] = ()
    parse: Callable[[str], Any] = field(default=lambda text: text)
    placeholder: str = ""
    # Said under the field as it is typed ("" when there is nothing to say).
    hint: Callable[[str], str] | None = None
    suggestions: tuple[str, ...] = ()  # completions offered while typing (roster names)
    options: tuple[tuple[str, str], ...] = ()  # (label, value) pairs of a "multi" field
    # A time, a date or a number: entering the field selects it, so what is typed replaces it.
    # Text is not selected: typing adds to it (a first key must not wipe a condition).
    replaces: bool = False

    @property
    def shown(self) -> str:
        """The value as a one-line field shows it: a line break (a hand edit of the file can
        hold one) is a space, never drawn to the terminal as a line of its own."""
        return clean_text(str(self.value), multiline=False)


class FormInput(KeysInOrder, PastesCleanText, Input):
    """A form's text field: keys typed together act in the order typed (Tab, Backspace); a
    paste is cleaned as it goes in."""


# Textual draws a tick box as ▐X▌ (a radio button as ▐●▌) whether on or not, and tells the two
# apart by colour alone: on a projector, or to someone who does not see the colours, every one
# looks chosen.
TICKED, UNTICKED = Checkbox.BUTTON_INNER, " "


class EmptyWhenOff:
    """For a Checkbox or RadioButton: its mark only when it is on.

    The mark is read from the value each time the button is drawn, so it holds from the
    button's first frame, whatever the order in which Textual sets the value up (a box built
    ticked once crashed here: its value was set inside the base constructor, before anything
    this class sets)."""

    MARK: ClassVar[str] = TICKED

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802  # Textual's name for the mark it draws
        return self.MARK if self.value else UNTICKED  # type: ignore[attr-defined]


class TickBox(EmptyWhenOff, Checkbox):
    """A checkbox whose box is empty when it is not ticked."""


class TickList(VerticalScroll, can_focus=False):
    """Several choices, each a tick box whose box is empty when not chosen: which of them are
    chosen is ``selected``, in the order offered."""

    DEFAULT_CSS = """
    TickList { height: auto; max-height: 6; }
    TickList > TickBox { width: 1fr; }
    """

    def __init__(self, options: tuple[tuple[str, str], ...], chosen: set[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = options
        self._chosen = chosen

    def compose(self) -> ComposeResult:
        for label, value in self.options:
            yield TickBox(Content(label), value in self._chosen, name=value, compact=True)

    @property
    def selected(self) -> list[str]:
        return [box.name for box in self.query(TickBox) if box.value and box.name is not None]


def required(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text.strip():
            raise ValueError(f"{what} is needed")
        return text.strip()

    return parse
