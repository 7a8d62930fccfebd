"""The user's settings: defaults for durations, the facilitator statement, theme, key overrides.

Read from TOML in the platform's user config folder (``locations.config_file``); each setting can
also be overridden by an environment variable ``PMCONSOLE_<NAME>``. A missing file means the
defaults; a broken one is reported with its line and the defaults are used.

Never import Textual here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from .model import DEFAULT_STATEMENT
from .rules import MEETING_MINUTES, SPEAKER_MINUTES
from .store import SessionFileError, atomic_write


class Settings(BaseModel):
    planned_minutes: int = Field(
        default=75, ge=MEETING_MINUTES[0], le=MEETING_MINUTES[1]
    )
    """Default planned length of a new post-mortem meeting, in minutes (60-90)."""

    speaker_minutes: int = Field(
        default=SPEAKER_MINUTES[0], ge=SPEAKER_MINUTES[0], le=SPEAKER_MINUTES[1]
    )
    """Default length of one speaker's turn in step 3, in minutes (5-10)."""

    statement: str = DEFAULT_STATEMENT
    """The neutral, no-blame facilitator statement shown in step 3."""

    theme: str = "textual-dark"
    """The console's theme; "pmconsole-high-contrast" for projectors."""

    gap_minutes: int = Field(default=30, ge=1)
    """Timeline gaps longer than this many minutes are marked."""

    keys: dict[str, str] = Field(default_factory=lambda: {})  # not dict: see model.no_items
    """Key overrides: binding id to keys, e.g. {"pmconsole.pause" = "f9"}."""

    import_limit_mb: int = Field(default=50, ge=1)
    """Largest file `pmconsole import` accepts, in MiB."""


def load_settings(path: Path) -> tuple[Settings, str]:
    """The settings, and a one-line problem report ("" when the file was fine or missing)."""
    raw: dict = {}
    problem = ""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        problem = f"{path}: {err}; using the defaults"
    for name in Settings.model_fields:
        env = os.environ.get(f"PMCONSOLE_{name.upper()}")
        if env is not None and name != "keys":
            raw[name] = env
    try:
        return Settings.model_validate(raw), problem
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return Settings(), f"{path}: {where}: {first['msg']}; using the defaults"


def save_setting(path: Path, name: str, value: object) -> None:
    """Change one setting in the user's file, keeping the others as they are written."""
    import tomli_w

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise SessionFileError(path, f"cannot update the settings: {err}") from None
    raw[name] = value
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(path, tomli_w.dumps(raw).encode("utf-8"))
