"""Starting the console without stopping to collect garbage.

Start-up makes a few hundred thousand objects that live as long as the console: the model's
validators, Textual's widgets, styles and bindings. Python's collector runs every few hundred
new objects and walks them all, finding nothing to free; on a 2-core machine that is about a
tenth of the time to the first screen. So the collector waits until the first screen is ready,
and what start-up made is then set aside from later collections (``gc.freeze``). Freezing
without collecting first also keeps what start-up had already dropped (about 2,700 objects on
the demo) for the life of the process: a collection there would cost the first screen ~20 ms,
and the peak memory measured is the same either way.

The ``pmconsole`` command also looks for no pydantic plugins (``without_validator_plugins``).

Never import Textual here.
"""

from __future__ import annotations

import gc
import os

_paused = False


def pause_collector() -> None:
    """Hold the collector until ``resume_collector``; does nothing if it is already off."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Run the collector again, if ``pause_collector`` stopped it; what exists now is kept out
    of later collections."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def without_validator_plugins() -> None:
    """Build the model's validators without looking for pydantic plugins, through pydantic's
    documented switch (PYDANTIC_DISABLE_PLUGINS): the console uses none, and reading every
    installed package's entry points to find some costs the first screen a few milliseconds.
    Only the command calls this; a plugin named in the variable by the user is left alone."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def announce_ready() -> None:
    """For the benchmark: say the first screen is drawn, as a line on the file descriptor named
    by PMCONSOLE_READY_FD. It measures start-up to this moment, as the spec defines it, not to
    the end of the process (saving the session and Python's own exit come after)."""
    fd = os.environ.get("PMCONSOLE_READY_FD")
    if fd:
        try:
            os.write(int(fd), b"ready\n")
        except (OSError, ValueError):
            pass  # no benchmark listening: nothing to tell
