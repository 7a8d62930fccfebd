"""The keys of the current screen, on the bottom line: one widget drawing one line of text.

Textual's Footer is a widget per key, each styled, laid out and drawn on its own, and rebuilt
whenever the focus moves. On the console's first screen that was a fifth of the work before
the facilitator saw anything. This line is drawn again only when the keys it shows change.

A click on a key does what pressing it does; the key under the mouse is lit, as in Textual's
footer. Where the line does not fit, it is drawn tighter
(at 80 columns the console's seven keys all fit); what still does not fit is cut with an
ellipsis, except the command palette's key, which keeps its place at the right end.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

KEY_STYLE = "bold $footer-key-foreground on $footer-key-background"
DESCRIPTION_STYLE = "$footer-description-foreground"
HOVER_STYLE = "on $block-hover-background"


class KeysFooter(Widget):
    """The screen's shown bindings as ``key description`` pairs; disabled ones dimmed."""

    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, show_command_palette: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.show_command_palette = show_command_palette
        self._shown: tuple = ((), None)
        self._pending = False
        # Where each key is drawn: start and end cell, the key, whether it is enabled.
        self._spans: list[tuple[int, int, str, bool]] = []
        self._hover: str | None = None  # the key under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._shown = self._keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        # The screen says so on every focus move, several times a frame: look once a frame.
        if not self._pending and self.is_attached and screen is self.screen:
            self._pending = True
            self.call_after_refresh(self._redraw_if_changed)

    def _redraw_if_changed(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown = self._keys()
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def keys_shown(self) -> tuple[tuple[str, str, str, bool], ...]:
        """(key, how it is shown, description, enabled) for each key on the line, in order;
        one key per action. The command palette's key, drawn at the right end, is not among
        them."""
        return self._keys()[0]

    def _keys(self) -> tuple[tuple[tuple[str, str, str, bool], ...], tuple | None]:
        """The keys shown, and the command palette's key (or None)."""
        app = self.app
        keys: list[tuple[str, str, str, bool]] = []
        actions: set[str] = set()
        palette = None
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                if self.show_command_palette and app.use_command_palette:
                    palette = (binding.key, app.get_key_display(binding), binding.description,
                               enabled)
                continue
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        return tuple(keys), palette

    def _part(self, key: tuple[str, str, str, bool], pad: str) -> Content:
        name, shown, description, enabled = key
        part = Content.assemble(
            (f"{pad}{shown}{pad}", KEY_STYLE), "" if pad else " ", (description, DESCRIPTION_STYLE)
        )
        if not enabled:
            return part.stylize("dim")
        return part.stylize(HOVER_STYLE) if name == self._hover else part

    def render(self) -> Content:
        keys, palette = self._shown
        width = self.size.width
        # Roomiest first: the key in a block of its own colour, two spaces between keys; then
        # one space; then the key without its block. The palette's key keeps its place at the
        # right end; what still does not fit of the others is cut short with an ellipsis.
        for pad, gap in ((" ", "  "), (" ", " "), ("", "  "), ("", " ")):
            parts = [self._part(key, pad) for key in keys]
            line = Content(gap).join(parts)
            right = self._part(palette, pad) if palette else Content("")
            if line.cell_length + (len(gap) + right.cell_length if palette else 0) <= width:
                break
        room = max(width - (right.cell_length + len(gap) if palette else 0), 0)
        self._spans = []
        x = 0
        for key, part in zip(keys, parts):
            end = min(x + part.cell_length, room - 1 if line.cell_length > room else room)
            if x < end:
                self._spans.append((x, end, key[0], key[3]))
            x += part.cell_length + len(gap)
        if line.cell_length > room:
            line = line.truncate(room, ellipsis=True)
        if palette:
            start = width - right.cell_length
            self._spans.append((start, width, palette[0], palette[3]))
            line = line + " " * max(start - line.cell_length, 0) + right
        return line

    def _span_at(self, event: events.MouseEvent) -> tuple[int, int, str, bool] | None:
        offset = event.get_content_offset(self)
        if offset is not None:
            for span in self._spans:
                if span[0] <= offset.x < span[1]:
                    return span
        return None

    def on_click(self, event: events.Click) -> None:
        span = self._span_at(event)
        if span is not None:
            event.stop()
            if span[3]:
                self.app.simulate_key(span[2])
            else:
                self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        span = self._span_at(event)
        self._light(span[2] if span is not None and span[3] else None)

    def on_leave(self, event: events.Leave) -> None:
        self._light(None)

    def _light(self, key: str | None) -> None:
        if key != self._hover:
            self._hover = key
            self.refresh()
