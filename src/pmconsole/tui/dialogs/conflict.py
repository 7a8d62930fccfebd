"""Which version stays, when the session file was changed outside pmconsole in a way that
cannot be merged for sure: an earlier version put back (a revert by git, a backup copied over),
or a hand edit whose base cannot be told apart from other versions.

The change is merged as soon as it is seen, so another pane and the file agree; this dialog
then asks the facilitator whether to keep it (the file's version) or take it back (mine). It
never takes a key typed for something else: it is shown only once the typing has stopped (the
app waits for that), and keys in its first moment are not used."""

from __future__ import annotations


from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pmconsole.tui.dialogs.read_first import ReadFirst

class ChooseVersion(ReadFirst, ModalScreen[str]):
    """Asks which version stays; dismissed with "file" (keep the change as merged), "mine"
    (take it back) or "both" (keep the change, and put back every record it deleted: nothing
    anyone acknowledged is lost, which is why Escape chooses it)."""

    DEFAULT_CSS = """
    ChooseVersion { align: center middle; background: $background 70%; }
    ChooseVersion > Vertical {
        width: 90%; max-width: 100; height: auto; border: thick $warning;
        background: $surface; padding: 1 2;
    }
    ChooseVersion .title { text-style: bold; width: 100%; }
    ChooseVersion .what { width: 100%; padding: 1 0; }
    ChooseVersion Horizontal { height: auto; width: 100%; }
    ChooseVersion Button { margin: 0 2 0 0; }
    ChooseVersion .keys { color: $text-muted; width: 100%; padding-top: 1; }
    """

    BINDINGS = [
        Binding("f", "keep('file')", "Keep the file's version", id="conflict.file"),
        Binding("m", "keep('mine')", "Keep mine", id="conflict.mine"),
        Binding("b,escape", "keep('both')", "Keep both", id="conflict.both"),
    ]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("The session file was changed outside pmconsole", classes="title")
            yield Static(self.what, classes="what", markup=False)
            yield Static(
                "Which version do you keep? The file's version is in the session now; mine "
                "puts back what the session held before the file changed; both keeps the "
                "file's changes and puts back any record it deleted.",
                markup=False,
            )
            with Horizontal():
                yield Button("b  Keep both", id="both", variant="primary")
                yield Button("f  The file's version", id="file")
                yield Button("m  Mine", id="mine")
            yield Static("Escape keeps both; z then still takes the file's change back.",
                         classes="keys", markup=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "both")

    def action_keep(self, which: str) -> None:
        self.dismiss(which)
