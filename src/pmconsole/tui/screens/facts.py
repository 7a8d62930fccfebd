"""Step 4, Facts: the evidence submitted before the meeting (late items flagged) and the one-page
incident summary with a live word and line count against the page limit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, ProgressBar, Static, TextArea

from pmconsole.domain.model import Evidence
from pmconsole.domain.ops import add_op, del_op, set_op
from pmconsole.domain.method import EVIDENCE_LEAD, PAGE_LINES, PAGE_WORDS, hours
from pmconsole.domain.rules import evidence_late, page_usage
from pmconsole.tui.widgets.fields import FieldRef, format_local_time, parse_local_time
from pmconsole.tui.widgets.text_field import BoundTextArea
from pmconsole.tui.keys import key_hint, key_of
from pmconsole.tui.widgets import plain_cells, show_rows, show_text
from pmconsole.tui.dialogs.import_preview import SKIPPED_SHOWN, ImportPreview
from pmconsole.tui.dialogs.record_form import RecordForm
from pmconsole.tui.widgets.form import FormField, required
from pmconsole.tui.screens.base import StepView

EVIDENCE_KINDS = ("timeline", "log", "screenshot", "note", "link")

if TYPE_CHECKING:  # the importers are loaded when an import starts, not with the console
    from pmconsole.importers.rows import ImportResult


def page_count_text(text: str) -> tuple[str, bool]:
    words, lines = page_usage(text)
    over = words > PAGE_WORDS or lines > PAGE_LINES
    mark = "■ over one page" if over else "✓ fits one page"
    return f"{words} / {PAGE_WORDS} words · {lines} / {PAGE_LINES} lines   {mark}", over


class FactsStep(StepView):
    step = 4
    FIRST_CONTROL = "#summary"  # typing a sentence here must not reach the list's keys
    watches = frozenset({"evidence", "session", "meeting"})

    BINDINGS = [
        Binding("a", "add_evidence", "Add evidence", id="facts.add", show=False),
        Binding("e", "edit_evidence", "Edit", id="facts.edit", show=False),
        Binding("x", "remove_evidence", "Remove", id="facts.remove", show=False),
        Binding("i", "import_timeline", "Import timeline", id="facts.import", show=False),
    ]

    DEFAULT_CSS = """
    FactsStep #summary { height: 14; }
    FactsStep #import-progress { display: none; }
    FactsStep #import-progress.-running { display: block; }
    FactsStep #page-count.-over { color: $error; text-style: bold; }
    FactsStep #import-report.-empty { display: none; }
    """

    def compose(self) -> ComposeResult:
        keys = key_hint(self, ("facts.add", "add"), ("facts.edit", "edit"),
                        ("facts.remove", "remove"), ("pmconsole.undo", "undo"),
                        ("facts.import", "import a timeline file"))
        yield Static(
            f"Evidence  ({keys}; late = less than {hours(EVIDENCE_LEAD)} h before the meeting)",
            classes="section", markup=False,
        )
        yield ProgressBar(id="import-progress", show_eta=False)
        table: DataTable = DataTable(id="evidence", cursor_type="row", zebra_stripes=True)
        table.add_columns("", "Submitted", "Kind", "From", "Reference")
        yield table
        yield Static("", id="import-report", classes="hint -empty", markup=False)
        yield Static("One-page incident summary", classes="section")
        yield Static("", id="page-count", markup=False)
        yield BoundTextArea(FieldRef("session", "summary"), id="summary")

    def show_session(self, changed: frozenset[str] | None = None) -> None:
        super().show_session(changed)
        session = self.session
        fmt = format_local_time(session.zone())
        table = self.query_one("#evidence", DataTable)
        row = table.cursor_row
        show_rows(table, [
            (item.id, plain_cells("▲ LATE" if evidence_late(session, item) else "",
                                  fmt(item.submitted_at), item.kind, item.submitted_by,
                                  item.reference))
            for item in session.evidence
        ])
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._show_count(self.query_one("#summary", BoundTextArea).text)

    def _show_count(self, text: str) -> None:
        line, over = page_count_text(text)
        count = self.query_one("#page-count", Static)
        show_text(count, line)
        count.set_class(over, "-over")

    @on(TextArea.Changed, "#summary")
    def _typed(self, event: TextArea.Changed) -> None:
        self._show_count(event.text_area.text)

    # -- evidence ------------------------------------------------------------------------------

    def _evidence_form(self, title: str, item: Evidence | None) -> RecordForm:
        zone = self.session.zone()
        submitted = item.submitted_at if item else self.app.clock.now()
        return RecordForm(
            title,
            [
                FormField("kind", "Kind", item.kind if item else "log", kind="choice",
                          choices=EVIDENCE_KINDS),
                FormField("reference", "Reference (file, link or description)",
                          item.reference if item else "", parse=required("A reference")),
                FormField("submitted_by", "From", item.submitted_by if item else ""),
                FormField(
                    "submitted_at", "Submitted (YYYY-MM-DD HH:MM)",
                    format_local_time(zone)(submitted), parse=_required_time(zone), replaces=True,
                ),
            ],
            edits=item is not None,
        )

    def action_add_evidence(self) -> None:
        def added(values):
            if values:
                self.edit(add_op("evidence", Evidence(**values)))

        self.app.push_screen(self._evidence_form("Add evidence", None), added)

    def _selected_evidence(self) -> Evidence | None:
        table = self.query_one("#evidence", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((e for e in self.session.evidence if e.id == key), None)

    def action_edit_evidence(self) -> None:
        item = self._selected_evidence()
        if item is None:
            self.refuse_key(f"No evidence to edit: {key_of(self, 'facts.add')} adds some.")
            return

        def edited(values):
            if values:
                ops = [set_op("evidence", k, v, item.id) for k, v in values.items()
                       if getattr(item, k) != v]
                if ops:
                    self.edit(*ops)

        self.app.push_screen(self._evidence_form("Edit the evidence", item), edited)

    @on(DataTable.RowSelected, "#evidence")
    def _row_chosen(self) -> None:
        self.action_edit_evidence()

    # -- importing a timeline ------------------------------------------------------------------

    def action_import_timeline(self) -> None:
        from pmconsole.importers import FORMATS  # the importers' one list of formats

        def chosen(values):
            if values:
                fmt = None if values["format"] == "guess" else values["format"]
                self.query_one("#import-progress", ProgressBar).add_class("-running")
                self._import(Path(values["source"]).expanduser(), fmt)

        self.app.push_screen(
            RecordForm(
                "Import timeline events",
                [
                    FormField("source", "File, or a Slack export (its zip or folder)",
                              parse=required("A file")),
                    FormField("format", "Format", "guess", kind="choice",
                              choices=("guess", *FORMATS)),
                ],
            ),
            chosen,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def _import(self, source: Path, fmt: str | None) -> None:
        from pmconsole.importers import ImportRefused, import_timeline

        bar = self.query_one("#import-progress", ProgressBar)

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(bar.update, total=total, progress=done)

        limit = self.app.settings.import_limit_mb * 1024 * 1024
        try:
            result = import_timeline(source, self.session, fmt=fmt, limit_bytes=limit,
                                     progress=progress)
        except ImportRefused as err:
            self.post_message(ImportDone(source, None, str(err)))
            return
        self.post_message(ImportDone(source, result, ""))

    def on_import_done(self, message: ImportDone) -> None:
        self.query_one("#import-progress", ProgressBar).remove_class("-running")
        if message.error:
            self.notify(message.error, title="Not imported", severity="error", markup=False)
            return
        result = message.result
        assert result is not None  # no error: the import's result
        if not result.events:
            self._imported(message.source, result)  # all already there: nothing to ask
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._imported(message.source, result)
            else:
                self.notify(f"Nothing imported from {message.source.name}",
                            title="Import cancelled", markup=False)

        # Nothing is written before the facilitator has seen what would come in.
        self.app.push_screen(
            ImportPreview(message.source.name, result, self.session.zone()),  # type: ignore[arg-type]
            answered,
        )

    def _imported(self, source: Path, result) -> None:
        """Writes what an import previewed, and says what came in."""
        # The question may have stood while another pane added the same events: not twice.
        there = {e.id for e in self.session.timeline}
        events = [e for e in result.events if e.id not in there]
        if events:
            # The file is evidence too, brought now by whoever runs the console: recorded with
            # the events, in the same edit, so the deadline rule sees it like any other item.
            item = result.as_evidence(source, self._importer(), self.app.clock.now())
            self.edit(*(add_op("timeline", e) for e in events), add_op("evidence", item))
        # The notice says what came in, in a few lines: at 80x24 a notice listing the skipped
        # rows covered half the step. The rows are listed on the step, under the evidence.
        problems = result.problems
        notice = result.summary()
        if problems:
            notice += "; the skipped rows are listed under the evidence"
        self.notify(notice, title=f"Imported {source.name}", markup=False, timeout=10)
        report = self.query_one("#import-report", Static)
        lines = [f"Skipped in {source.name}:"] if problems else []
        for problem in problems[:SKIPPED_SHOWN]:
            lines.append(f"  {problem}")
        if len(problems) > SKIPPED_SHOWN:
            lines.append(f"  … and {len(problems) - SKIPPED_SHOWN} more skipped rows")
        show_text(report, "\n".join(lines))
        report.set_class(not lines, "-empty")

    def _importer(self) -> str:
        """Who imports from this console: the facilitator, by name once one is named."""
        facilitator = self.session.participant(self.session.meeting.facilitator)
        return facilitator.name if facilitator else "the facilitator"

    def action_remove_evidence(self) -> None:
        item = self._selected_evidence()
        if item is not None and self.edit(del_op("evidence", item.id)):
            self.removed(f"Removed the evidence “{item.reference}”",
                         lambda: self.edit(add_op("evidence", item)))


class ImportDone(Message):
    def __init__(self, source: Path, result: ImportResult | None, error: str) -> None:
        super().__init__()
        self.source = source
        self.result = result
        self.error = error


def _required_time(zone):
    parse = parse_local_time(zone)

    def parse_required(text: str):
        value = parse(text)
        if value is None:
            raise ValueError("when it was submitted is needed")
        return value

    return parse_required
