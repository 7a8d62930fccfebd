"""Text areas: one whose pastes are cleaned, and one bound to a text field of the session (the
summary, the note-taker's notes).

Apart from ``fields`` because Textual's TextArea takes a while to import, and the first screen
of a meeting has none.
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.widgets import TextArea

from pmconsole.tui.keys import KeysInOrder
from pmconsole.domain.model import Session
from pmconsole.domain.text import clean_text
from pmconsole.tui.widgets.fields import FieldRef, SavesSoon, plain_text
from pmconsole.tui.widgets.paste import PastedKeys, in_pasted_order


class CleanTextArea(TextArea):
    """A TextArea whose pastes are cleaned as they go in, in the order pasted (paste.py)."""

    _pasted_keys: PastedKeys | None = None

    def on_key(self, event: events.Key) -> None:
        if event.character:
            if self._pasted_keys is None:
                self._pasted_keys = PastedKeys()
            went_in = "\n" if event.key == "enter" else event.character
            if not (event.is_printable or event.key == "enter"):
                went_in = ""
            self._pasted_keys.typed(event.time, self.cursor_location, went_in, event.character)

    def on_paste(self, event: events.Paste) -> None:
        """A paste goes in where the cursor is, in the order pasted, through the one cleaner of
        user text: Textual's own handling would put escape sequences and control characters in
        the area as they are, to be drawn as typed."""
        event.stop()
        event.prevent_default()  # not TextArea's own handling as well
        if self.read_only:
            return
        keys = self._pasted_keys.taken_for(event.time) if self._pasted_keys else None
        if keys is not None:
            start, went_in, typed = keys
            end = self.cursor_location
            if self.document.get_text_range(start, end) == went_in:
                result = self.replace(clean_text(in_pasted_order(event.text, typed)), start, end)
                self.move_cursor(result.end_location)
                return
        text = clean_text(event.text)
        if text:
            result = self.replace(text, *self.selection)
            self.move_cursor(result.end_location)


class BoundTextArea(KeysInOrder, SavesSoon, CleanTextArea):
    """A TextArea that edits one text field through the app's store, saved as it is typed."""

    def __init__(self, ref: FieldRef, *, grows_at_end: bool = False, **kwargs: Any) -> None:
        """``grows_at_end``: text added to at its end (notes): loaded with the cursor there."""
        kwargs.setdefault("soft_wrap", True)
        super().__init__(**kwargs)
        self.ref = ref
        self.grows_at_end = grows_at_end
        self.typed_at = float("-inf")  # when the last key was typed here (the app's clock)

    def retarget(self, ref: FieldRef, session: Session) -> None:
        """Edit another field (the note-taker's notes follow the step): save, then switch."""
        self.commit()
        self.ref = ref
        self.show_value(session)

    def show_value(self, session: Session) -> None:
        if self._dirty:
            return
        text = plain_text(self.ref.read(session))
        if text != self.text:
            # Loading text puts the cursor at the start, and what is typed next would go in
            # front of the notes: it goes back where it was, or to the end of text that grows
            # there or where it was at the end (a first load into an empty area: the start).
            at_end = self.grows_at_end or (
                bool(self.text) and self.cursor_location == self.document.end
            )
            where = self.cursor_location
            # Loading text is not the user typing: no Changed, no commit (STYLE.md 12).
            with self.prevent(TextArea.Changed):
                self.load_text(text)
            if at_end:
                self.move_cursor(self.document.end)
            elif where != (0, 0):
                self.move_cursor(where)

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        self.typed_at = self.app.clock.monotonic()
        self._typed_now()

    @property
    def text_typed(self) -> str:
        return self.text

    def _save(self) -> None:
        if self.text != plain_text(self.ref.read(self.app.session_store.session)):
            if not self.app.edit_field(self.ref, self.text):
                # Refused (the session went read-only): the typing stays, counts as not saved
                # (the header says so, quitting asks first) and is saved once it can be.
                self._say_typing(refused=True)
                return
        self._dirty = False
        self._say_typing(refused=False)
