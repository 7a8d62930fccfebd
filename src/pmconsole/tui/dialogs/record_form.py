"""The form of every kind of record: roster people, evidence, timeline events, and the rest,
as a modal dialog that dismisses with the parsed values, or None when cancelled.

The form checks each value with the field's parser and says what is wrong beside the field;
Escape leaves without changing anything; when something was typed, only a second Escape does.
Its controls (``FormField``, ``FormInput``, ``TickBox``, ``TickList``) are widgets/form.py's.
"""

from __future__ import annotations

from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Input, Label, Select, Static

from pmconsole.domain.model import counted
from pmconsole.tui.in_console import InConsole
from pmconsole.tui.keys import AwaitsFocus
from pmconsole.tui.widgets.form import FormField, FormInput, TickBox, TickList


class RecordForm(InConsole, AwaitsFocus, ModalScreen[dict[str, Any] | None]):
    """A modal form; dismisses with the parsed values, or None when cancelled. What is typed
    as it opens (the key that opened it and the text after it, typed together) goes to its
    first field, in order (keys.py)."""

    # Not Textual's first focusable (the scrolling frame around the fields): on_mount focuses
    # the first field.
    AUTO_FOCUS = ""

    DEFAULT_CSS = """
    RecordForm { align: center middle; }
    RecordForm > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    RecordForm .form-title { text-style: bold; padding: 0 0 1 0; }
    RecordForm VerticalScroll { height: auto; max-height: 18; }
    RecordForm .form-error { color: $error; height: auto; }
    RecordForm .form-error.-none { display: none; }
    RecordForm .form-hint { color: $warning; height: auto; }
    RecordForm Label { padding: 1 0 0 0; }
    RecordForm Input, RecordForm Select { background: $boost; }
    RecordForm .form-keys { color: $text-muted; padding: 1 0 0 0; }
    RecordForm .form-keys.-confirm { color: $warning; text-style: bold; }
    """

    KEYS = "Ctrl+S saves (or Enter in a text field) · Tab moves · Escape cancels"
    ASK = "Escape again drops what you typed · Ctrl+S saves it"
    # Escape with something typed asks first; a second Escape within this many seconds drops it.
    DROP_AGAIN = 8.0

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        # Not a priority binding: Ctrl+S then waits behind the keys typed before it (no field
        # of a form takes Ctrl+S itself), so a paste or fast typing is in what it saves.
        Binding("ctrl+s", "save", "Save", id="form.save"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[FormField],
        *,
        check: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None,
        edits: bool = False,
    ) -> None:
        """``check`` looks at the parsed values as a whole (the method's rules) and returns
        (field name, what is wrong) pairs; the form stays open until there are none, so
        nothing typed is lost to a refusal. ``edits``: the form edits a record that another
        pane may change meanwhile, so it gives back only the fields changed in it (an
        untouched field must not write back what it showed when it opened)."""
        super().__init__()
        self.edits = edits
        self.form_title = title
        self.fields = fields
        self.check = check
        self._escape_at: float | None = None  # when Escape last asked before dropping typing

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.form_title, classes="form-title", markup=False)
            with VerticalScroll():
                for f in self.fields:
                    if f.kind == "bool":
                        yield TickBox(f.label, bool(f.value), id=f"field-{f.name}")
                    elif f.kind == "multi":
                        yield Label(f.label, markup=False)
                        yield TickList(f.options, set(f.value or ()), id=f"field-{f.name}")
                    else:
                        yield Label(f.label, markup=False)
                        if f.kind == "choice":
                            yield Select(
                                [(c, c) for c in f.choices],
                                value=f.value if f.value in f.choices else Select.NULL,
                                allow_blank=f.value not in f.choices,
                                id=f"field-{f.name}",
                                compact=True,
                            )
                        else:
                            yield FormInput(
                                f.shown,
                                placeholder=f.placeholder,
                                select_on_focus=f.replaces,
                                id=f"field-{f.name}",
                                compact=True,
                                suggester=(
                                    SuggestFromList(f.suggestions, case_sensitive=False)
                                    if f.suggestions
                                    else None
                                ),
                            )
                    yield Static("", classes="form-error -none", id=f"error-{f.name}", markup=False)
                    if f.hint is not None:
                        yield Static("", classes="form-hint", id=f"hint-{f.name}", markup=False)
            yield Static(self.KEYS, classes="form-keys", id="form-keys")

    def on_mount(self) -> None:
        for f in self.fields:
            self._show_hint(f, f.shown)
        # The first field, not the scrolling frame around the fields: type at once. Focused
        # now, not after the next refresh, so that no key typed with the one that opened the
        # form finds nothing focused.
        self.set_focus(self.query_one(f"#field-{self.fields[0].name}"), scroll_visible=False)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("field-")
        f = next((f for f in self.fields if f.name == name), None)
        if f is not None:
            self._show_hint(f, event.value)
            self._clear_error(f.name)

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _chosen(self, event) -> None:
        control = event.control
        if isinstance(control.parent, TickList):  # one choice of several: the field is the list
            control = control.parent
        self._clear_error((control.id or "").removeprefix("field-"))

    def _clear_error(self, name: str) -> None:
        """A field's error goes once the field is changed: what it said may no longer hold,
        and Ctrl+S checks everything again. So does the question a first Escape asked."""
        if any(f.name == name for f in self.fields):
            self.query_one(f"#error-{name}", Static).set_class(True, "-none")
        if self._escape_at is not None:
            self._ask_before_dropping(None)

    def _ask_before_dropping(self, at: float | None) -> None:
        """Show (at a moment) or take back (None) the question a first Escape asks."""
        self._escape_at = at
        keys = self.query_one("#form-keys", Static)
        keys.update(self.KEYS if at is None else self.ASK)
        keys.set_class(at is not None, "-confirm")

    def _show_hint(self, f: FormField, text: str) -> None:
        if f.hint is not None:
            self.query_one(f"#hint-{f.name}", Static).update(f.hint(text))

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_save()

    def has_typing(self) -> bool:
        """Whether any field differs from what the form opened with."""
        return bool(self._changed())

    def _changed(self) -> set[str]:
        """The fields that differ from what the form opened with."""
        changed = set()
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Checkbox):
                differs = widget.value != bool(f.value)
            elif isinstance(widget, TickList):
                # A value no longer among the options (a condition since removed) cannot be
                # shown as chosen: it is not a change.
                offered = {value for _label, value in f.options}
                differs = set(widget.selected) != set(f.value or ()) & offered
            elif isinstance(widget, Select):
                differs = widget.value != (f.value if f.value in f.choices else Select.NULL)
            else:
                differs = widget.value != f.shown  # type: ignore[union-attr]
            if differs:
                changed.add(f.name)
        return changed

    def action_cancel(self) -> None:
        """Leave without saving. What was typed is not dropped on one key: a first Escape
        says so (an Escape meant for a field's suggestion would otherwise lose the form)."""
        now = self.app.clock.monotonic()
        asked = self._escape_at is not None and now - self._escape_at <= self.DROP_AGAIN
        if self.has_typing() and not asked:
            self._ask_before_dropping(now)
            return
        self.dismiss(None)

    def action_save(self) -> None:
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            try:
                if isinstance(widget, Checkbox):
                    values[f.name] = widget.value
                elif isinstance(widget, TickList):
                    values[f.name] = list(widget.selected)
                elif isinstance(widget, Select):
                    if widget.value is Select.NULL:
                        raise ValueError(f"choose one: {', '.join(f.choices)}")
                    values[f.name] = widget.value
                else:
                    values[f.name] = f.parse(widget.value)  # type: ignore[union-attr]
            except ValueError as err:
                errors[f.name] = str(err)
        if not errors and self.check is not None:
            for name, message in self.check(values):
                errors[name] = f"{errors[name]}; {message}" if name in errors else message
        for f in self.fields:
            error = self.query_one(f"#error-{f.name}", Static)
            error.update(errors.get(f.name, ""))
            error.set_class(f.name not in errors, "-none")
        if errors:
            # Take the person to the first thing to fix, and say there what it is: its error
            # line may be below the fold of a long form.
            first = next(f for f in self.fields if f.name in errors)
            more = len(errors) - 1
            self.notify(
                f"{first.label}: {errors[first.name]}"
                + (f" (and {counted(more, 'more field')} to fix)" if more else ""),
                title="Not saved",
                severity="warning",
                markup=False,
            )
            self.query_one(f"#field-{first.name}").focus()
            return
        if self.edits:
            changed = self._changed()
            values = {name: value for name, value in values.items() if name in changed}
        self.dismiss(values)
