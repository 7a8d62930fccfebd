"""The keys of the current screen, on the bottom line: one widget drawing one line of text.

Textual's Footer is a widget per key, each styled, laid out and drawn on its own, and rebuilt
whenever the focus moves. On the console's first screen that was a fifth of the work before
the facilitator saw anything. This line is drawn again only when the keys it shows change.

A click on a key does what pressing it does. Where the line does not fit, it is
drawn tighter (at 80 columns the console's seven keys all fit); what still does not fit is cut
with an ellipsis.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

KEY_STYLE = "bold $footer-key-foreground on $footer-key-background"
DESCRIPTION_STYLE = "$footer-description-foreground"


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
        self._shown: tuple = ()
        self._pending = False
        self._spans: list[tuple[int, int, str]] = []  # where each key is drawn: start, end, key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._shown = self.keys_shown()

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
        shown = self.keys_shown()
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def keys_shown(self) -> tuple[tuple[str, str, str, bool], ...]:
        """(key, how it is shown, description, enabled) for each key on the line, in order;
        one key per action, the palette's last."""
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
        if palette is not None:
            keys.append(palette)
        return tuple(keys)

    def render(self) -> Content:
        keys = self._shown
        width = self.size.width
        # Roomiest first: the key in a block of its own colour, two spaces between keys; then
        # one space; then the key without its block. What still does not fit is cut short.
        for pad, gap in ((" ", "  "), (" ", " "), ("", "  "), ("", " ")):
            length = sum(len(shown) + 2 * len(pad) + (not pad) + len(description)
                         for _, shown, description, _ in keys)
            length += len(gap) * (len(keys) - 1)
            if length <= width:
                break
        parts: list[Content] = []
        self._spans = []
        x = 0
        for key, shown, description, enabled in keys:
            part = Content.assemble(
                (f"{pad}{shown}{pad}", KEY_STYLE), " " if not pad else "",
                (description, DESCRIPTION_STYLE),
            )
            parts.append(part if enabled else part.stylize("dim"))
            self._spans.append((x, x + len(part), key))
            x += len(part) + len(gap)
        return Content(gap).join(parts)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
