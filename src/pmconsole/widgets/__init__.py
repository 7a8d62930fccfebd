"""The console's widgets. They show the model and ask the screen for changes; they never call
each other."""

from rich.text import Text


def plain_cells(*values: object) -> tuple[Text, ...]:
    """Table cells that show user text as typed: DataTable reads a plain str as markup. File
    names and errors are cleaned too: they do not pass through the session model."""
    from ..model import clean_text

    return tuple(Text(clean_text("" if v is None else str(v))) for v in values)


def redraw_when_measured(table) -> None:
    """Draw a DataTable again once it has measured the widths of rows added after it was on
    screen. Textual 8.2.8 keeps lines drawn before that, cut to the header widths, because its
    line cache does not change when only the widths do (textual#4470)."""

    def redraw() -> None:
        table._clear_caches()  # the private cache is the stale part; nothing public clears it
        table.refresh()

    table.call_after_refresh(redraw)
