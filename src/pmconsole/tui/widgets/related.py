"""Related post-mortems from the log (shared tags or words, from six months before the
incident on), each with its actions still open below it; Enter asks for one to be shown with
its factors and actions (ShowPastPostMortem, which the app handles)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from pmconsole.tui.messages import ShowPastPostMortem
from pmconsole.tui.widgets import plain_cells

ACTION_KEY = "\0"  # between a post-mortem's path and an action's id in an action row's key


class RelatedList(DataTable):
    DEFAULT_CSS = """
    RelatedList { height: auto; max-height: 8; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        self.add_columns("Incident", "Title", "Tags")
        self.show_hits()

    def show_hits(self) -> None:
        hits = getattr(self.app, "related", None)
        self.clear()
        if hits is None:
            self.add_row(*plain_cells("", "looking in the post-mortem log…", ""))
            return
        if not hits:
            self.add_row(*plain_cells("", "none from six months before this incident on", ""))
        for hit in hits:
            self.add_row(*plain_cells(hit.started_at[:10], hit.title, " ".join(hit.tags)),
                         key=hit.path)
            for aid, title, owner, due in hit.open_actions:  # still open: seen at the start
                self.add_row(*plain_cells("", f"  open action: {title} ({owner or 'no owner'}"
                                              f"{', due ' + due if due else ''})", ""),
                             key=f"{hit.path}{ACTION_KEY}{aid}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            path = str(event.row_key.value).split(ACTION_KEY)[0]  # an action row: its post-mortem
            self.post_message(ShowPastPostMortem(Path(path)))
