"""The folder a site is published into (OUT): written only inside itself, a page at a time,
never through a link, and refused when it is not a folder pmconsole may publish into.

Never import Textual here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pmconsole.storage.toml_file import atomic_write

MANIFEST = ".pmconsole-site.json"  # what the last publish wrote, and the keys of its pages


class PublishError(Exception):
    """OUT cannot be written, or the search index cannot be built: the text says why."""


class SiteFolder:
    """OUT, written only inside itself, a page at a time, and never through a link."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[str] = set()
        self.files: dict[str, set[str]] = {}  # each folder's plain files (not links), listed once

    def has(self, rel: str) -> bool:
        """Whether OUT/rel is a plain file (a page kept from the last publish): one listing
        of its folder, not a system call for each of thousands of pages."""
        folder, _, name = rel.rpartition("/")
        if folder not in self.files:
            try:
                with os.scandir(os.path.join(self.root, folder)) as found:
                    self.files[folder] = {e.name for e in found if e.is_file(follow_symlinks=False)}
            except OSError:
                self.files[folder] = set()
        return name in self.files[folder]

    def folder(self, rel: str) -> Path:
        path = self.root
        for part in Path(rel).parts:
            path = path / part
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                path.mkdir(mode=0o755)
                continue
            if not stat.S_ISDIR(mode):
                raise PublishError(f"{path}: not a folder (a link?); pmconsole writes only "
                                   "inside OUT; remove it and publish again")
        return path

    def inside(self, rel: str) -> bool:
        """Whether OUT/rel names a file of OUT itself: no `..`, and no link on the way there
        (a manifest is only a file in OUT, which anyone may have changed)."""
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts:
            return False
        path = self.root
        for part in parts[:-1]:
            path = path / part
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    return False
            except OSError:
                return False
        return True

    def write(self, rel: str, data: bytes) -> None:
        """Write OUT/rel (the caller knows it changed: by the manifest's keys, not by reading
        the file back)."""
        self.written.add(rel)
        parent = self.folder(str(Path(rel).parent)) if Path(rel).parent != Path(".") else self.root
        path = parent / Path(rel).name
        atomic_write(path, data)  # replaces a link at the name itself, never its target
        os.chmod(path, 0o644)  # a site is published to be read: by the web server too


def check_out(out: Path, folder: Path) -> None:
    try:
        out_real, folder_real = out.resolve(), folder.resolve()
    except (OSError, RuntimeError) as err:
        raise PublishError(f"{out}: {err}") from None
    if out_real == folder_real or folder_real in out_real.parents:
        raise PublishError(f"{out}: inside the sessions folder; publish to a folder outside it")
    if out_real in folder_real.parents:
        raise PublishError(f"{out}: holds the sessions folder, which would be published raw; "
                           "publish to a folder beside it")
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise PublishError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise PublishError(f"{out}: a folder pmconsole did not publish into, and not empty; "
                           "choose a new or empty folder (nothing was written)")
