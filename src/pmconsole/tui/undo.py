"""One undo for the whole console: each one-key change says what it did, and z (Ctrl+Z in a
one-line field) takes the last back, in this pane, while it is open."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator


# How many one-key changes z can undo, the last first.
UNDO_DEPTH = 50
# How long what one key did stays on screen: shorter than other notices, over a timer.
DID_SHOWN = 3.0


class OneUndo:
    """A mixin of PmConsole: the one place a change is recorded for z."""

    @contextmanager
    def undoable(
        self,
        said: str,
        after: Callable[[], object] | None = None,
        unless: Callable[[], bool] | None = None,
    ) -> Iterator[None]:
        """The edits made within are one step that z undoes: ``said`` says what it was.
        ``after`` runs once they are undone (a timer that follows the records); ``unless``,
        asked first, refuses the undo when it says so (and says why)."""
        store = self.store
        if store is None:
            yield
            return
        store.recording = []
        try:
            yield
        finally:
            undo, store.recording = store.recording, None
        if undo:
            def undo_it() -> None:
                if unless is not None and unless():
                    return
                self.edit(*undo)
                if after is not None:
                    after()

            self.did(said, undo_it)

    def did(
        self, said: str, undo: Callable[[], object], *, severity: str = "information",
        timeout: float = DID_SHOWN,
    ) -> None:
        """Say what one key just did, and keep how to undo it: z does, the last first, in this
        pane, while it is open."""
        self._undo = [*self._undo[-(UNDO_DEPTH - 1):], (said, undo)]
        self.notify(f"{said}; z undoes it.", markup=False, timeout=timeout, severity=severity)  # type: ignore[arg-type]

    def action_undo(self) -> None:
        if not self._undo:
            self.notify("Nothing to undo.", markup=False)
            return
        said, undo = self._undo.pop()
        undo()
        self.notify(f"Undone — {said}.", markup=False)
