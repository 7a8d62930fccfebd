"""Inputs bound to one field of the session.

Typing is committed to the store 0.4 s after the last key, and however fast the typing, at most
0.6 s after the first key not yet saved (at once on Enter or when focus leaves): nothing typed
is only in memory for more than a second. When another
pane changes the same field, the new value is shown unless this input has typing not yet
committed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from textual import events, on
from textual.timer import Timer
from textual.widgets import Input

from pmconsole.tui.keys import KeysInOrder
from pmconsole.domain.model import Session
from pmconsole.domain.text import clean_text
from pmconsole.tui.widgets.paste import PastedKeys, in_pasted_order
from pmconsole.tui.in_console import InConsole
from pmconsole.tui.messages import TypingChanged

COMMIT_DELAY = 0.4  # quiet after the last key
# At the latest after the first unsaved key, however fast the keys come: the promise is one
# second, and a busy event loop may run a timer late.
COMMIT_AT_LATEST = 0.6


@dataclass(frozen=True)
class FieldRef:
    """Which field an input edits: a collection (or singleton), the field, the record id."""

    collection: str
    field: str
    record_id: str | None = None

    @property
    def name(self) -> str:
        """The field as a person says it: "detected at"."""
        return self.field.replace("_", " ")

    def read(self, session: Session) -> Any:
        if self.collection == "session":
            return getattr(session, self.field)
        if self.record_id is None:
            return getattr(getattr(session, self.collection), self.field)
        for record in getattr(session, self.collection):
            if record.id == self.record_id:
                return getattr(record, self.field)
        return None


def plain_text(value: Any) -> str:
    return "" if value is None else str(value)


def parse_local_time(zone: ZoneInfo) -> Callable[[str], datetime | None]:
    """Parse `2026-11-23 14:37` in the incident's zone (an explicit offset also works)."""

    def parse(text: str) -> datetime | None:
        text = text.strip()
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("write a time like 2026-11-23 14:37") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value

    return parse


def format_local_time(zone: ZoneInfo) -> Callable[[Any], str]:
    def fmt(value: Any) -> str:
        if value is None:
            return ""
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return fmt


def parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("write a whole number") from None


def parse_day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("write a date like 2026-12-10") from None


def parse_tags(text: str) -> list[str]:
    return [t for t in (part.strip() for part in text.split(",")) if t]


def format_tags(value: Any) -> str:
    return ", ".join(value or [])


class PastesCleanText:
    """For a one-line text field: a paste goes in where the cursor is, in the order pasted,
    through the one cleaner of user text (its line breaks become spaces rather than losing all
    but the first line, as Textual's Input does). Textual's own handling would put escape
    sequences and control characters in the field as they are, to be drawn as typed; and a
    paste holding an ESC reaches the field out of order (paste.py)."""

    _pasted_keys: PastedKeys | None = None

    def on_key(self, event: events.Key) -> None:
        field: Input = self  # type: ignore[assignment]
        if event.character:
            if self._pasted_keys is None:
                self._pasted_keys = PastedKeys()
            went_in = event.character if event.is_printable else ""
            self._pasted_keys.typed(event.time, field.cursor_position, went_in, event.character)

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # not Input's own handling as well
        field: Input = self  # type: ignore[assignment]
        keys = self._pasted_keys.taken_for(event.time) if self._pasted_keys else None
        if keys is not None:
            start, went_in, typed = keys
            end = start + len(went_in)
            if field.value[start:end] == went_in and field.cursor_position == end:
                field.replace(clean_text(in_pasted_order(event.text, typed), multiline=False),
                              start, end)
                return
        text = clean_text(event.text, multiline=False)
        if not text:
            return
        if field.selection.is_empty:
            field.insert_text_at_cursor(text)
        else:
            field.replace(text, *field.selection)


class CleanInput(PastesCleanText, Input):
    """An Input whose pastes are cleaned as they go in (a search, a filter)."""


class SavesSoon(InConsole):
    """Typing is saved COMMIT_DELAY after the last key, COMMIT_AT_LATEST after the first key
    not yet saved however fast the typing, and at once when focus leaves."""

    _timer: Timer | None = None
    _dirty = False
    _first_unsaved: float | None = None  # when the first key not yet saved was typed
    # The field's typing, as the header's save state reads it (the app asks the fields; they
    # post TypingChanged when it changes): on its way to the store, or refused (a time like
    # "14:9x"), staying marked until a value that can be saved replaces it.
    waiting = False
    refused = False
    ref: FieldRef  # the field of the session it edits

    @property
    def text_typed(self) -> str:
        """What is typed in it, as typed."""
        raise NotImplementedError

    @property
    def unsaved(self) -> bool:
        """Typing is here that is not in the store: still waiting, or refused."""
        return self._dirty and self.is_attached

    def _say_typing(self, *, waiting: bool | None = None, refused: bool | None = None) -> None:
        """Change the state of the field's typing, and tell the app when it changed."""
        before = (self.waiting, self.refused)
        if waiting is not None:
            self.waiting = waiting
        if refused is not None:
            self.refused = refused
        if (self.waiting, self.refused) != before:
            self.post_message(TypingChanged())

    def _typed_now(self) -> None:
        now = time.monotonic()  # the timers' own time, not the app's (a test's clock stands)
        if self._first_unsaved is None:
            self._first_unsaved = now
        self._dirty = True
        self._say_typing(waiting=True)
        self._stop_timer()
        wait = min(COMMIT_DELAY, self._first_unsaved + COMMIT_AT_LATEST - now)
        # Never 0: a key handled after the deadline (a busy loop, a burst of keys) saves at
        # once, and Textual's timer of no interval never fires (it divides by it).
        self._timer = self.set_timer(max(wait, 0.01), self.commit)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_blur(self) -> None:
        self.commit()

    def commit(self) -> None:
        """Save what was typed, if anything was."""
        self._stop_timer()
        if self._dirty:
            self._save()
        # Typing refused (a field marked red) starts a new wait with its next key.
        self._first_unsaved = None
        self._say_typing(waiting=False)

    def _save(self) -> None:
        """Save the typed value; leaves ``_dirty`` set when it is not saved."""
        raise NotImplementedError


class BoundInput(KeysInOrder, PastesCleanText, SavesSoon, Input):
    """An Input that edits one field through the app's store."""

    DEFAULT_CSS = """
    BoundInput.-invalid { border: tall $error; }
    /* A compact field has no border to colour: its background says it is not saved. */
    BoundInput.-textual-compact.-invalid { border: none; background: $error 45%; }
    """

    def __init__(
        self,
        ref: FieldRef,
        *,
        parse: Callable[[str], Any] = lambda text: text,
        fmt: Callable[[Any], str] = plain_text,
        also: Callable[[Any], list[dict]] | None = None,
        while_typing: bool = True,
        **kwargs: Any,
    ) -> None:
        """``while_typing=False`` saves only on Enter or when focus leaves: for numbers and
        times, where a value typed halfway ("7" on the way to "75") must not count."""
        # A number or a time is replaced as a whole, as in the forms: entering it selects it,
        # so what is typed replaces it (appended, "13:50" + "13:45" is no time at all). Free
        # text is added to: entering it does not select, so one stray key loses nothing.
        kwargs.setdefault("select_on_focus", not while_typing)
        # Values are checked by ``parse`` when saved, and ``-invalid`` (the red border) is ours:
        # it stays until a value is saved. Textual's own validation, with no validators, would
        # only restyle the field on every change (and clear that border while typing).
        kwargs.setdefault("validate_on", ())
        compact = kwargs.pop("compact", True)
        super().__init__(**kwargs)
        # Compact (no border) set as Textual's own Footer sets it: setting the reactive would
        # restyle the field, and its four parts, before it is even mounted.
        self.set_reactive(Input.compact, compact)
        self.set_class(compact, "-textual-compact", update=False)
        self.ref = ref
        self._while_typing = while_typing
        self._also = also
        self._parse = parse
        self._fmt = fmt
        self._timer: Timer | None = None
        self._dirty = False

    @property
    def text_typed(self) -> str:
        return self.value

    @property
    def waits_for_enter(self) -> bool:
        """Typed here, and saved only on Enter or when the focus leaves (a time, a number)."""
        return self._dirty and not self._while_typing

    def show_value(self, session: Session) -> None:
        """Show the model's value unless the user is mid-edit here."""
        if self._dirty:
            return
        # One line, as the field is: a line break in the text (a hand edit of the file) is
        # shown as a space, never sent to the terminal.
        text = clean_text(self._fmt(self.ref.read(session)), multiline=False)
        if text != self.value:
            with self.prevent(Input.Changed):
                self.value = text

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._while_typing:
            self._typed_now()
        else:
            self._dirty = True

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.commit()

    def _save(self) -> None:
        try:
            value = self._parse(self.value)
        except ValueError as err:
            self._refused(str(err))
            self.app.notify(
                f"{str(err).rstrip('.')}. What you typed stays in the field, marked, until it "
                "can be saved.",
                title=f"Not saved: {self.ref.name}",
                severity="warning", markup=False,
            )
            return
        if value != self.ref.read(self.app.session_store.session):
            extra = self._also(value) if self._also else []
            if not self.app.edit_field(self.ref, value, *extra):
                self._refused("not saved: see the message")  # the app said why
                return
        self.remove_class("-invalid")
        self.tooltip = None
        self._dirty = False
        self._say_typing(refused=False)

    def _refused(self, why: str) -> None:
        """The typed value stays, marked, and counts as not saved (the header says so, and
        quitting asks first) until a value that can be saved replaces it."""
        self.add_class("-invalid")
        self.tooltip = why
        self._say_typing(refused=True)
