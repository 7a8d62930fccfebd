"""Typed access to the console's app, for the screens and widgets that run inside it.

Textual types ``self.app`` as a plain ``App``, so reading the console's own attributes (its
store, clock, settings, ``edit``) had to be exempted from type checking each time. A class
that runs inside the console inherits ``InConsole`` first, and ``self.app`` is typed as
``PmConsole``, through Textual's public ``getters.app`` as its documentation shows.

The descriptor is declared for type checkers only: at run time ``self.app`` stays Textual's
own. Declared for real, ``getters.app(PmConsole)`` would need ``PmConsole`` while this module is
imported, before app.py (which imports the screens and widgets) is done; and it asserts the
type, which the tests that host one widget in a small app of their own would trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message_pump import MessagePump

if TYPE_CHECKING:
    from textual import getters

    from pmconsole.tui.app import PmConsole


class InConsole(MessagePump):
    """A screen or widget of the console: ``self.app`` is the ``PmConsole``."""

    if TYPE_CHECKING:
        app = getters.app(PmConsole)
