"""The console's widgets. They show the model and ask the screen for changes; they never call
each other."""

from rich.text import Text

from pmconsole.domain.text import clean_text


def plain_cells(*values: object) -> tuple[Text, ...]:
    """Table cells that show user text as typed: DataTable reads a plain str as markup. File
    names and errors are cleaned too: they do not pass through the session model."""
    return tuple(Text(clean_text("" if v is None else str(v))) for v in values)


def short(text: str, cells: int = 40) -> str:
    """A record's text as a notice names it: its start."""
    return text if len(text) <= cells else text[: cells - 1] + "…"


def show_rows(table, rows: list[tuple[str, tuple[Text, ...]]]) -> None:
    """Fill a DataTable with ``rows`` (each a key and its cells), unless it holds them already:
    a cleared table draws every row on screen again, and a step shown again, or redrawn for a
    change elsewhere in the session, mostly has the rows it had. The cursor is the caller's."""
    shown = [(key.value, tuple(table.get_row(key))) for key in table.rows]
    if shown == rows:
        return
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)


def redraw_when_measured(table) -> None:
    """Draw a DataTable again once it has measured the widths of rows added after it was on
    screen. Textual 8.2.8 keeps lines drawn before that, cut to the header widths, because its
    line cache does not change when only the widths do (textual#4470)."""
    table.call_after_refresh(drop_stale_lines, table)


def drop_stale_lines(table) -> None:
    """Have a DataTable draw every line again. Nothing public clears its line cache, but a
    change of ``fixed_rows`` does (its watcher clears every cache): changed and set back at
    once, the table is drawn once, with the rows it has. tests/test_startup.py checks that
    this still redraws a line drawn before its column grew."""
    fixed = table.fixed_rows
    table.fixed_rows = fixed + 1
    table.fixed_rows = fixed
    table.refresh()


def show_text(static, content, *, layout: bool = True) -> None:
    """Put ``content`` in a Static only if it differs from what is shown. Static.update draws
    again, and lays the whole screen out again, even for the same text; the header and the
    countdown are redrawn four times a second and every edit redraws its step, so with a long
    timeline on screen the unchanged ones cost more than the change. ``layout=False`` where the
    widget's size is fixed by its style and cannot follow the text."""
    shown = static.content
    if type(shown) is type(content) and shown == content:
        # Textual's Content compares text only: a change of style alone is a change too.
        if not hasattr(content, "spans") or shown.spans == content.spans:
            return
    static.update(content, layout=layout)
