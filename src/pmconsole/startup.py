"""Starting the console without stopping to collect garbage.

Start-up makes a few hundred thousand objects that live as long as the console: the model's
validators, Textual's widgets, styles and bindings. Python's collector runs every few hundred
new objects and walks them all, finding nothing to free; on a 2-core machine that is about a
tenth of the time to the first screen. So the collector waits until the first screen is ready,
and what start-up made is then set aside from later collections (``gc.freeze``). Freezing
without collecting first also keeps what start-up had already dropped (about 2,700 objects on
the demo) for the life of the process: a collection there would cost the first screen ~20 ms,
and the peak memory measured is the same either way. Each step's view, once drawn, is set aside
the same way (``set_aside_what_lasts``), so that a full collection does not walk it in the
middle of a later step change.

The ``pmconsole`` command also looks for no pydantic plugins (``without_validator_plugins``).

Never import Textual here.
"""

from __future__ import annotations

import gc
import importlib.machinery
import os
import sys
import types

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


def set_aside_what_lasts() -> None:
    """Keep what exists now out of later collections, as ``resume_collector`` does for what
    start-up made: called once the console has built something it keeps while it runs (a
    step's view, mounted and drawn). A full collection walks every object not set aside, and
    with a 5,000-event session and the steps' views it walked ~70,000 of them: ~30 ms of CPU
    that fell in the middle of a step change (benchmarks/ui_stall.py). The young generations
    are collected first, so that what was just dropped is not kept. ``give_back`` undoes it."""
    gc.collect(1)
    gc.freeze()


def give_back() -> None:
    """Let collections walk again what ``set_aside_what_lasts`` set aside: the console is
    leaving, and whatever it dropped can be freed (a test process runs many consoles)."""
    gc.unfreeze()


# The one private name of pydantic the console uses, here alone. pydantic's documented switch
# (PYDANTIC_DISABLE_PLUGINS) skips the search for plugins but not the import of the module that
# searches, which brings importlib.metadata with it. tests/test_startup.py fails when pydantic
# moves or renames this module or its get_plugins.
PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"


def without_validator_plugins() -> None:
    """Build the model's validators without looking for pydantic plugins. The console uses
    none, and looking costs the first screen ~11 ms (measured again after the key path went
    public: without this the start-up figure is over its target, 1.61): pydantic finds plugins through a module
    that imports ``importlib.metadata`` (with ``email``, ``zipfile`` and ``csv``, ~8 ms), then
    reads the entry points of every installed package (~3 ms). So, before pydantic asks for that
    module, it is put in place answering "no plugins". Anything else pydantic may one day ask of
    it comes from its own module, loaded then. Only the command calls this: scripts and tests
    that import pmconsole see pydantic as it is. Does nothing once pydantic has its own."""
    if PYDANTIC_PLUGIN_LOADER in sys.modules:
        return
    loader = types.ModuleType(PYDANTIC_PLUGIN_LOADER)
    loader.__spec__ = importlib.machinery.ModuleSpec(PYDANTIC_PLUGIN_LOADER, None)
    loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
    loader.__getattr__ = _from_pydantic_loader  # type: ignore[attr-defined]
    sys.modules[PYDANTIC_PLUGIN_LOADER] = loader


def _from_pydantic_loader(name: str) -> object:
    """A name the stand-in loader does not have: pydantic's own loader's, loaded once."""
    if name.startswith("__"):
        raise AttributeError(name)
    import importlib.util

    import pydantic.plugin

    spec = importlib.machinery.PathFinder.find_spec(
        PYDANTIC_PLUGIN_LOADER, pydantic.plugin.__path__
    )
    if spec is None or spec.loader is None:
        raise AttributeError(name)
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    stand_in = sys.modules[PYDANTIC_PLUGIN_LOADER]
    stand_in.__getattr__ = real.__getattribute__  # type: ignore[attr-defined]
    return getattr(real, name)


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
