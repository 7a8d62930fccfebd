"""Whether everything typed is saved, as the header says it, and quitting without losing it:
Ctrl+Q names what cannot be saved yet, and quits without it only when pressed again."""

from __future__ import annotations

import asyncio
import time

from pmconsole.domain.text import clean_text
from pmconsole.tui.widgets.fields import BoundInput


# Ctrl+Q with typing that cannot be saved names it; Ctrl+Q again within this quits anyway.
QUIT_AGAIN = 8.0


class SavedBeforeQuitting:
    """A mixin of PmConsole: what the header says of saving, and the Ctrl+Q guard."""

    def save_state(self) -> str:
        """How the header describes saving: saved, or why not."""
        store = self.store
        if store is None:
            return ""
        if store.read_only:
            return "READ-ONLY"
        if store.error or store.pending:
            return "⚠ NOT SAVED, retrying"
        typing = self._typing_fields()
        refused = [field for field in typing if field.refused]
        if refused:
            return f"⚠ {len(refused)} FIELD{'S' if len(refused) > 1 else ''} NOT SAVED"
        if isinstance(self.focused, BoundInput) and self.focused.waits_for_enter:
            return "✎ Enter saves"  # a time or a number, checked when it is complete
        if any(field.waiting for field in typing):
            return "✎ saving"  # typing saved within a second (fields.COMMIT_AT_LATEST)
        return "✓ saved"

    def unsaved_typing(self) -> tuple[list[str], list[str]]:
        """What quitting now would lose, each said in a few words: typing in a form not yet
        saved, and fields whose typing could not be saved."""
        # A form (RecordForm, the feedback form) says whether it holds typing not yet saved.
        forms = [f"the open form “{screen.form_title}”" for screen in self.screen_stack
                 if callable(getattr(screen, "has_typing", None)) and screen.has_typing()]
        fields = [f"{field.ref.name} “{_shortened(clean_text(field.text_typed))}”"
                  for field in self._typing_fields() if field.refused]
        return forms, fields

    async def action_quit(self) -> None:
        """Quit, having saved what is typed. What cannot be saved (a form still open, a field
        that is refused) is named first; Ctrl+Q again within QUIT_AGAIN seconds quits without
        it."""
        await self._keys_typed_before_taken()
        self.save_typing()
        forms, fields = self.unsaved_typing()
        store = self.store
        uncommitted = []
        if store is not None and (store.pending or store.error):
            # The disk would not take them (full, gone): they are in memory only.
            store.poll()  # one more try first
            if store.pending:
                uncommitted = [f"{len(store.pending)} edit(s) the disk would not take "
                               f"({store.error or 'retrying'})"]
        now = self.clock.monotonic()
        if (forms or fields or uncommitted) and (
            self._quit_warned_at is None or now - self._quit_warned_at > QUIT_AGAIN
        ):
            self._quit_warned_at = now
            how = "; ".join((["Ctrl+S saves the form, Escape twice drops it"] if forms else []) + (
                ["a field marked red needs a value it can take"] if fields else []) + (
                ["the session is read-only: " + store.read_only]
                if fields and store is not None and store.read_only else []) + (
                ["they are saved on their own once the live log takes them again (the header says why it does not)"]
                if uncommitted else []))
            self.notify(
                f"Not saved yet: {'; '.join(forms + fields + uncommitted)}. "
                f"{how[:1].upper()}{how[1:].rstrip('.')}. Ctrl+Q again quits without them.",
                title="Quit?", severity="warning", timeout=QUIT_AGAIN, markup=False,
            )
            return
        self.exit()


    async def _keys_typed_before_taken(self) -> None:
        """Ctrl+Q acts as it arrives (a priority key), but keys typed before it in the same
        burst may still be held by the key router (behind a key on its way up from a list,
        or for a control about to take the focus), wait in the focused control's queue, or be
        on their way to the control a key before them focused (a review's status letter
        focuses its note): each control has them first, a second at most, then the quit goes
        on, with them saved."""
        router = self.keys
        deadline = time.monotonic() + 1.0  # the keys' own time, not the meeting's clock
        while time.monotonic() < deadline and self.is_running:
            router.send_on_now()  # this waits in the app's turn: their turn would not come
            if router.keys_waiting():
                await asyncio.sleep(0.01)
                continue
            control = self.focused
            if control is None:
                return
            had_them = asyncio.Event()
            control.call_later(had_them.set)  # behind the keys in its queue
            try:
                await asyncio.wait_for(had_them.wait(), 1.0)
            except TimeoutError:
                return
            if self.focused is control and not router.keys_waiting():
                return


def _shortened(text: str, most: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= most else f"…{text[-(most - 1):]}"
