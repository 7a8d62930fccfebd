"""What an import from step 4 would add, before anything is written (issue 20, item 5): the
events it would take, in the session's zone, the rows it would skip with their reasons and the
events already there; the facilitator imports them or leaves the session as it is.

It reads the importer's result, computed without touching the session, as ``pmconsole import
--preview`` does; user text is shown as text, never as markup."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pmconsole.domain.model import counted
from pmconsole.tui.dialogs.read_first import ReadFirst

if TYPE_CHECKING:  # the importers are imported when an import starts, not with the console
    from pmconsole.importers.rows import ImportResult

EVENTS_SHOWN = 8  # events listed; the count says how many there are in all
SKIPPED_SHOWN = 5  # skipped rows listed, with their reasons


def preview_text(result: ImportResult, zone: tzinfo) -> str:
    """The dialog's body: the summary, the first events, the first skipped rows."""
    key = getattr(zone, "key", str(zone))
    lines = [f"{result.summary()} (times shown in {key})", ""]
    lines += result.preview_lines(zone, EVENTS_SHOWN)
    if len(result.events) > EVENTS_SHOWN:
        lines.append(f"… and {counted(len(result.events) - EVENTS_SHOWN, 'more event')}")
    if result.problems:
        lines += ["", "Skipped:"]
        lines += [f"  {problem}" for problem in result.problems[:SKIPPED_SHOWN]]
        if len(result.problems) > SKIPPED_SHOWN:
            lines.append(f"  … and {counted(len(result.problems) - SKIPPED_SHOWN, 'more row')}")
    return "\n".join(lines)


class ImportPreview(ReadFirst, ModalScreen[bool]):
    """Asks whether to import what a source would add; dismissed with True to import it."""

    DEFAULT_CSS = """
    ImportPreview { align: center middle; background: $background 70%; }
    ImportPreview > Vertical {
        width: 95%; max-width: 120; height: auto; max-height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    ImportPreview .title { text-style: bold; width: 100%; }
    ImportPreview VerticalScroll { height: auto; max-height: 16; }
    ImportPreview #preview { width: 100%; }
    ImportPreview Horizontal { height: auto; width: 100%; padding-top: 1; }
    ImportPreview Button { margin: 0 2 0 0; }
    """

    BINDINGS = [
        Binding("y", "choose(True)", "Import", id="import_preview.import"),
        Binding("n,escape", "choose(False)", "Cancel", id="import_preview.cancel"),
    ]

    def __init__(self, name: str, result: ImportResult, zone: tzinfo) -> None:
        super().__init__()
        self.source_name = name
        self.result = result
        self.zone = zone

    def compose(self) -> ComposeResult:
        taken = counted(len(self.result.events), "event")
        with Vertical():
            yield Static(f"Import {taken} from {self.source_name}?", classes="title",
                         markup=False)
            with VerticalScroll():
                yield Static(preview_text(self.result, self.zone), id="preview", markup=False)
            with Horizontal():
                yield Button(f"y  Import {taken}", id="import", variant="primary")
                yield Button("n  Cancel: nothing written", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()  # ReadFirst: when it was shown
        self.query_one("#import", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "import")

    def action_choose(self, chosen: bool) -> None:
        self.dismiss(chosen)
