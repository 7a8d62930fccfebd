"""Where things live: sessions, the user's config, the log index. Built on platformdirs.

Never import Textual here.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "pmconsole"


def sessions_dir(explicit: str | Path | None = None) -> Path:
    """--sessions-dir, else $PMCONSOLE_SESSIONS_DIR, else ./sessions when it exists, else the
    platform's user data folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("PMCONSOLE_SESSIONS_DIR")
    if env:
        return Path(env)
    local = Path.cwd() / "sessions"
    if local.is_dir():
        return local
    return Path(platformdirs.user_data_dir(APP)) / "sessions"


def config_file() -> Path:
    """$PMCONSOLE_CONFIG names the file (tests point it at a temporary one); else the platform's
    user config folder."""
    env = os.environ.get("PMCONSOLE_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def cache_dir() -> Path:
    """Where the post-mortem log's index lives: $PMCONSOLE_CACHE_DIR, else the platform's user
    cache folder. Only a cache: deleting it loses nothing."""
    env = os.environ.get("PMCONSOLE_CACHE_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_cache_dir(APP))


def demo_dir() -> Path:
    """Where `pmconsole demo` puts its fresh copy of the bundled demo session."""
    return Path(platformdirs.user_data_dir(APP)) / "demo"


def bundled_demo() -> Path:
    return Path(__file__).parent.parent / "data" / "demo.toml"


def resolve_session_path(name: str, folder: Path) -> Path:
    """A FILE argument: a path as given when it exists or names a folder; a bare name (no
    slash) that is not a file here is looked up in the sessions folder, `.toml` added."""
    path = Path(name)
    # A link here counts even when it points nowhere: the message then names it as given.
    if os.sep in name or "/" in name or _is_here(path):
        return path
    if not name.endswith(".toml"):
        name += ".toml"
    return folder / name


def _is_here(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:  # a name too long for the file system, say: not here
        return False
