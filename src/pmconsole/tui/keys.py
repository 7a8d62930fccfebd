"""Where a typed key goes, and when it is not used at all. Public Textual API only.

Textual gives each key from the terminal to the control that has the focus when the app reads
the key, and runs a key's binding only once the key has come back up to the app. Keys that
arrive together (tmux send-keys, a paste over ssh, a fast typist on a busy machine) are all
given out before the first of them has acted. Left at that:

- the text typed right after a key that opens a form ("a", then "Paged DBA") goes to the list
  the "a" was typed on, where its letters are one-key commands;
- the text typed after a Tab in a field goes to the field it leaves;
- the letters typed after a refused key (an eighth open action) act as one-key commands.

Four rules put that right, each where the key is when it matters:

1. A screen whose control takes the focus a moment after it is shown (a form as it opens, a
   step as it is shown) has keys that come meanwhile wait for that control (``AwaitsFocus``).
   The control it will focus is composed with it, so the wait is short; keys bound with
   priority (step keys, the blame pause, Quit) never wait.
2. A text field takes its own keys in the order they came (Tab, Backspace and its other keys
   act at once, not after the text behind them), and gives on what reaches it after the focus
   left it to the control that has the focus now (``KeysInOrder``).
3. A key that comes back to the app unused while a control that takes typing has the focus,
   and that this control has not seen, was typed for it: it goes there (``route_unused``).
4. After a key is refused, the keys of the same burst are not used (``refuse_burst``).

A key typed before a key that moves the meeting (a step key, the blame pause, the palette: the
priority bindings) stays with the step it was typed on. Keys are told apart by ``time``, the
moment each reached the app, which every Textual message carries.

Never import this into the core: it is the console's.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Iterable
from weakref import WeakSet

from textual import events
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input

from pmconsole.domain.model import counted

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen
    from textual.timer import Timer

# Keys that follow each other more closely than this are one burst: a terminal delivers a
# paste or tmux send-keys in a few milliseconds; a typist is 80–400 ms a key, and may stop a
# moment after the key that opens a form before typing its title; nobody reads a refusal and
# types again within this.
BURST_GAP = 1.0


def takes_typing(widget: Widget | None) -> bool:
    """Whether a control puts every character typed into it in its text."""
    if isinstance(widget, Input):
        return True
    from textual.widgets import TextArea  # not at start-up: loaded by the first one shown

    return isinstance(widget, TextArea) and not widget.read_only


class KeyRouter:
    """The app's part in where keys go (rules 1, 3 and 4 above, and keys typed before a move)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.moved_at = float("-inf")  # when the last key a priority binding acted on was typed
        self.key_in_hand: events.Key | None = None  # the key whose binding is acting now
        self._seen: WeakSet[events.Key] = WeakSet()  # keys a typing control has had
        self._ours: WeakSet[events.Key] = WeakSet()  # keys given on to a control here
        self._burst_end: float | None = None  # the last key of a refused burst, while it lasts
        self.unused = 0  # keys of the refused burst not used so far
        self._told = 0  # how many of them the last look found (see _say_unused)
        self._held: list[events.Key] = []  # keys waiting for a control to take the focus
        # Keys given by Textual to a control that does not take typing (a list), not yet come
        # back up, and the keys from the terminal that wait behind them (rule 1, in transit).
        self._in_transit: WeakSet[events.Key] = WeakSet()
        self._behind: list[events.Key] = []
        self._transit_timer: Timer | None = None
        self.burst_gap = BURST_GAP
        self.last_key_at = float("-inf")  # time.monotonic() when the last key arrived

    # -- the app calls these -----------------------------------------------------------------

    def arrived(self, event: events.Key) -> bool:
        """A key from the terminal, before Textual gives it out. True: it is not used."""
        self.key_in_hand = event
        self.last_key_at = time.monotonic()
        if self._in_refused_burst(event):
            return True
        if self._waits(event):
            self._held.append(event)
            return True
        if self._behind or len(self._in_transit):
            # Keys typed before it are still on their way up from a list (the "a" that opens a
            # form, and the title typed after it): this one waits behind them, or it would
            # reach the form's field before them.
            if not self._acts_at_once(event):
                self._behind.append(event)
                return True
        elif not takes_typing(self.app.focused):
            self._in_transit.add(event)
            self._wait_for_transit()
        return False

    def _acts_at_once(self, event: events.Key) -> bool:
        bound = self.app.screen.active_bindings.get(event.key)
        return bound is not None and bound.binding.priority

    def _wait_for_transit(self) -> None:
        """Keys a control keeps never come back up: the keys behind them wait this long after
        the last one given, at most."""
        if self._transit_timer is not None:
            self._transit_timer.stop()
        self._transit_timer = self.app.set_timer(TRANSIT_WAIT, self._transit_over)

    def _transit_over(self) -> None:
        self._transit_timer = None
        self._in_transit = WeakSet()
        self._let_behind_go()

    def _let_behind_go(self) -> None:
        """The keys that waited behind others go on, in order, as Textual would have given
        them: to the focused control. One typed before a step key was for the step left: it
        is not used."""
        if len(self._in_transit):
            return  # more are on their way up: these wait for them
        if self._transit_timer is not None:
            self._transit_timer.stop()
            self._transit_timer = None
        behind, self._behind = self._behind, []
        for key in behind:
            if key.time >= self.moved_at:
                self.give(key, self.app.focused or self.app)

    def acted_at_once(self, event: events.Key) -> None:
        """A priority binding took the key (it was not given to any control)."""
        self.moved_at = max(self.moved_at, event.time)

    def route_unused(self, event: events.Key) -> bool:
        """A key that came back to the app, unused by any control, before its binding is
        looked up. True when it is dealt with here (dropped, or given to the focused control):
        its binding must not act."""
        self.key_in_hand = event
        if event in self._in_transit:
            self._in_transit.discard(event)
            if not len(self._in_transit):
                # The last of them is back: what waited behind it follows it (after this one).
                self.app.call_later(self._let_behind_go)
        if self._in_refused_burst(event):
            return True
        if event.time < self.moved_at:
            return True  # typed for the step just left: no key of it acts on the step shown
        focused = self.app.focused
        if self._waits(event):
            self._held.append(event)
            return True
        if event not in self._seen and event not in self._ours and takes_typing(focused):
            assert focused is not None
            self.give(event, focused)
            return True
        return False

    def keys_waiting(self) -> bool:
        """Whether keys typed are held here: behind keys on their way up from a list, or for a
        control about to take the focus."""
        return bool(self._held or self._behind or len(self._in_transit))

    def send_on_now(self) -> None:
        """The keys that waited behind keys now back from a list go on at once, rather than
        on the app's next turn (which one who waits in the app's own turn never sees)."""
        if self._behind and not len(self._in_transit):
            self._let_behind_go()

    def give(self, event: events.Key, control: Widget | App) -> None:
        """Give the key to ``control``, as Textual gives one to the focused control: from
        there, what the control does not use goes up to the app and its bindings. It keeps
        the moment it was typed."""
        key = events.Key(event.key, event.character)
        key.time = event.time
        key.set_sender(control)  # so that it goes up from the control, as a key typed there
        self._ours.add(key)
        control.post_message(key)

    def came_back(self, event: events.Key) -> bool:
        """Whether a key the app is handed is one given to a control here, come back up: it
        is handled as Textual handles a key come back from the focused control."""
        return event in self._ours

    def _waits(self, event: events.Key) -> bool:
        """Whether the key waits for a control about to take the focus: while others wait
        (they keep their order), or while the screen shown awaits its control."""
        if self._acts_at_once(event):
            return False  # a priority binding's key: as ever
        screen = self.app.screen
        if self._held:
            return True
        return isinstance(screen, AwaitsFocus) and screen.awaiting_focus and not screen.focused

    def release(self, control: Widget | None) -> None:
        """A control took the focus: the keys waiting for one go to it, in order. With none
        (nothing took it after all), they act as if nothing had waited."""
        held, self._held = self._held, []
        for key in held:
            if key.key == "ctrl+j":
                # Typed before the console set the terminal up, Enter reaches it as the
                # terminal had turned it: a line feed.
                key = events.Key("enter", "\r")
            self.give(key, control or self.app)

    # -- controls call these -----------------------------------------------------------------

    def seen(self, event: events.Key) -> None:
        """A control that takes typing has had this key and left it to the bindings."""
        self._seen.add(event)

    def quiet_for(self) -> float:
        """How long no key has arrived, in seconds."""
        return time.monotonic() - self.last_key_at

    def typed_before_a_move(self, event: events.Key) -> bool:
        return event.time < self.moved_at

    def refuse_burst(self) -> None:
        """The key now acting was refused: the keys typed right after it, in the same burst,
        are not used either. Whoever refused says why on screen; how many keys went unused is
        said once the burst is over."""
        key = self.key_in_hand
        if key is None:
            return
        self._burst_end = key.time
        self.unused = self._told = 0
        self.app.set_timer(max(self.burst_gap, 0.05), self._say_unused)

    def _in_refused_burst(self, event: events.Key) -> bool:
        end = self._burst_end
        if end is None or event.time < end:
            return False  # typed before the refused key (still on its way): as ever
        if event.time - end > self.burst_gap:
            self._burst_end = None
            return False
        self._burst_end = event.time
        self.unused += 1
        return True

    def _say_unused(self) -> None:
        if self.unused != self._told:  # more keys of the burst came meanwhile: wait for its end
            self._told = self.unused
            self.app.set_timer(max(self.burst_gap, 0.05), self._say_unused)
            return
        if self.unused:
            self.app.notify(
                f"The {counted(self.unused, 'key')} typed right after the refused one did nothing.",
                title="Nothing changed", markup=False,
            )
        self.unused = self._told = 0


def router_of(widget: Widget) -> KeyRouter | None:
    return getattr(widget.app, "keys", None)


# How long keys from the terminal wait at most behind keys given to a list before them, that
# the list may have kept (they come back up in a few milliseconds when it does not).
TRANSIT_WAIT = 0.5

# How long keys wait for a control at most. Should none take the focus, the keys are then
# handled as if nothing were waiting: the keyboard is never held.
FOCUS_WAIT = 2.0


class AwaitsFocus:
    """For a screen whose control takes the focus a moment after it is shown: until it has,
    keys wait for it (rule 1). A new screen awaits its first control; ``expect_focus`` says
    another is about to take it (a step being shown)."""

    awaiting_focus = True
    _focus_timer: Timer | None = None

    def on_mount(self) -> None:
        if self.awaiting_focus:
            self._wait_for_focus()

    def expect_focus(self) -> None:
        screen: Screen = self  # type: ignore[assignment]
        self.awaiting_focus = True
        screen.set_focus(None)
        self._wait_for_focus()

    def _wait_for_focus(self) -> None:
        screen: Screen = self  # type: ignore[assignment]
        if self._focus_timer is not None:
            self._focus_timer.stop()
        self._focus_timer = screen.set_timer(FOCUS_WAIT, self.stop_awaiting)

    def on_descendant_focus(self) -> None:
        screen: Screen = self  # type: ignore[assignment]
        if self.awaiting_focus and screen.focused is not None:
            self._focus_taken(screen.focused)

    def stop_awaiting(self) -> None:
        """No control is taking the focus after all: the keys waiting act at once."""
        if self.awaiting_focus:
            self._focus_taken(None)

    def _focus_taken(self, control: Widget | None) -> None:
        screen: Screen = self  # type: ignore[assignment]
        self.awaiting_focus = False
        if self._focus_timer is not None:
            self._focus_timer.stop()
            self._focus_timer = None
        router = router_of(screen)
        if router is not None:
            router.release(control)


class KeysInOrder:
    """For a text field (one line, or a text area whose Tab moves on): keys that arrive
    together act in the order typed.

    Tab, Shift+Tab and the field's own keys (Backspace, Left, Home, …) act as they reach the
    field, not once they have gone up to the app, by then behind the text typed after them. A
    key that reaches the field after the focus left it goes to the control that has the focus
    now, unless it was typed before a step key: it stays where it was typed. Right, which takes
    a suggestion worked out a moment after the typing, keeps Textual's own timing."""

    async def on_key(self, event: events.Key) -> None:
        field: Widget = self  # type: ignore[assignment]
        router = router_of(field)
        if router is None:
            return
        if field.screen is not field.app.screen and isinstance(field.screen, ModalScreen):
            # Typed after the key that closed this dialog (Ctrl+S, Escape), behind it in this
            # field's queue: for what comes next (the console, the next form), as the terminal
            # gave it, never for the dialog just saved.
            event.stop()
            event.prevent_default()
            again = events.Key(event.key, event.character)
            again.time = event.time
            field.app.post_message(again)
            return
        # The screen's focus, not has_focus: that one changes only once the field has had the
        # Blur that a Tab earlier in this burst sent it, behind the keys typed after the Tab.
        target = field.screen.focused
        if target is not field:
            if router.typed_before_a_move(event) or target is None:
                return  # Textual's own handling, here
            event.stop()
            event.prevent_default()
            router.give(event, target)
            return
        if event.is_printable or event.key == "right":
            return  # the field's own handler puts it in; Right waits for the suggestion
        if event.key in ("tab", "shift+tab") and getattr(field, "tab_behavior", "focus") == "focus":
            event.stop()
            event.prevent_default()
            screen = field.screen
            screen.focus_next() if event.key == "tab" else screen.focus_previous()
            return
        bound = field.screen.active_bindings.get(event.key)
        if bound is not None and bound.node is field and bound.enabled:
            event.stop()
            event.prevent_default()
            await field.app.run_action(bound.binding.action, field)
            return
        if (bound is not None and bound.enabled and bound.node is field.screen
                and isinstance(field.screen, ModalScreen)):
            # A dialog's own key (Ctrl+S saves, Escape cancels) acts now, as it reaches the
            # field: gone up to the dialog, it would act behind the keys typed after it, which
            # would land in this field first.
            event.stop()
            event.prevent_default()
            await field.app.run_action(bound.binding.action, field.screen)
            return
        router.seen(event)  # Escape, Ctrl+S, …: the form's or the app's, as Textual does


def bound_key(app: App, owners: Iterable[type], binding_id: str, *, spoken: bool = False) -> str:
    """The key that does what the binding ``binding_id`` does, as Textual shows keys ("f1",
    "^q", "a"), or ``spoken`` as the help writes them ("F1", "Ctrl+Q", "a"): the binding's own
    first key, or the one the user's keymap gives it (settings ``keys``, which the app
    applies). The binding is looked up in the ``BINDINGS`` of the classes ``owners``."""
    binding = next(
        (b for owner in owners for cls in owner.__mro__ for b in cls.__dict__.get("BINDINGS", ())
         if isinstance(b, Binding) and b.id == binding_id),
        None,
    )
    if binding is None:
        raise KeyError(f"no binding with the id {binding_id!r}")
    settings = getattr(app, "settings", None)  # the console's; an app of a test has none
    remapped = settings.keys.get(binding_id) if settings is not None else None
    key = (remapped or binding.key).split(",")[0].strip()
    shown = app.get_key_display(
        dataclasses.replace(binding, key=key, key_display=None if remapped else binding.key_display)
    )
    if not spoken:
        return shown
    if shown.startswith("^"):
        return f"Ctrl+{shown[1:].upper()}"
    return shown.upper() if shown[1:].isdigit() else shown  # "F5", as on the keyboard


def key_of(node: Widget, binding_id: str) -> str:
    """The key of the binding ``binding_id`` of ``node``, its ancestors or the app, as it is
    bound now (see ``bound_key``)."""
    return bound_key(node.app, [type(owner) for owner in (node, *node.ancestors)], binding_id)


def key_hint(node: Widget, *uses: tuple[str, str]) -> str:
    """Key hints built from the bindings, e.g. "a add · e edit" from ("actions.add", "add"),
    ("actions.edit", "edit"): a remapped key shows as remapped."""
    return " · ".join(f"{key_of(node, binding_id)} {what}" for binding_id, what in uses)
