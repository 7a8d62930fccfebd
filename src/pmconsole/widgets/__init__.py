"""The console's widgets. They show the model and ask the screen for changes; they never call
each other."""

from rich.text import Text


def plain_cells(*values: object) -> tuple[Text, ...]:
    """Table cells that show user text as typed: DataTable reads a plain str as markup. File
    names and errors are cleaned too: they do not pass through the session model."""
    from ..model import clean_text

    return tuple(Text(clean_text("" if v is None else str(v))) for v in values)
