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

from pmconsole.domain.model import DEFAULT_STATEMENT, error_line
from pmconsole.domain.method import MEETING_MINUTES, SPEAKER_MINUTES
from pmconsole.storage.toml_file import SessionFileError, atomic_write, ensure_folder, read_regular

MAX_SETTINGS_BYTES = 1024 * 1024  # a settings file is a few lines


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

    gap_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    """Timeline gaps longer than this many minutes are marked."""

    keys: dict[str, str] = Field(default_factory=lambda: {})  # not dict: see model.no_items
    """Key overrides: binding id to keys, e.g. {"pmconsole.pause" = "f9"}."""

    import_limit_mb: int = Field(default=50, ge=1, le=64 * 1024)
    """Largest file `pmconsole import` accepts, in MiB."""


def load_settings(path: Path) -> tuple[Settings, str]:
    """The settings, and a one-line problem report ("" when the file was fine or missing)."""
    raw: dict = {}
    problem = ""
    try:
        raw = _read(path)
    except FileNotFoundError:
        pass
    except SessionFileError as err:
        problem = f"{err}; using the defaults"
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        problem = f"{path}: {err}; using the defaults"
    for name in Settings.model_fields:
        env = os.environ.get(f"PMCONSOLE_{name.upper()}")
        if env is not None and name != "keys":
            raw[name] = env
    try:
        return Settings.model_validate(raw), problem
    except ValidationError as err:
        return Settings(), f"{path}: {error_line(err)}; using the defaults"


class SettingsError(Exception):
    """The settings file cannot be updated; says the file and why."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def save_setting(path: Path, name: str, value: object) -> None:
    """Change one setting in the user's file, keeping the others as they are written."""
    import tomli_w

    try:
        raw = _read(path)
    except FileNotFoundError:
        raw = {}
    except SessionFileError as err:  # read as a session file is: a FIFO there is refused
        raise SettingsError(path, f"cannot update the settings: {err.message}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise SettingsError(path, f"cannot update the settings: {err}") from None
    raw[name] = value
    ensure_folder(path.parent)  # each missing folder owner-only, whatever the umask
    atomic_write(path, tomli_w.dumps(raw).encode("utf-8"), through_link=True)  # the user's own


def _read(path: Path) -> dict:
    """The settings file's TOML, read as every file is (``store.read_regular``): a FIFO or a
    device there is refused, not waited on. FileNotFoundError when there is none."""
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(path)
    text = read_regular(path, MAX_SETTINGS_BYTES, "a settings file").decode("utf-8")
    return tomllib.loads(text.removeprefix("\ufeff"))
