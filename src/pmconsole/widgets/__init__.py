"""The console's widgets. They show the model and ask the screen for changes; they never call
each other."""

from rich.text import Text

from ..model import clean_text


def plain_cells(*values: object) -> tuple[Text, ...]:
    """Table cells that show user text as typed: DataTable reads a plain str as markup. File
    names and errors are cleaned too: they do not pass through the session model."""
    return tuple(Text(clean_text("" if v is None else str(v))) for v in values)


def redraw_when_measured(table) -> None:
    """Draw a DataTable again once it has measured the widths of rows added after it was on
    screen. Textual 8.2.8 keeps lines drawn before that, cut to the header widths, because its
    line cache does not change when only the widths do (textual#4470)."""

    def redraw() -> None:
        table._clear_caches()  # the private cache is the stale part; nothing public clears it
        table.refresh()

    table.call_after_refresh(redraw)


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
