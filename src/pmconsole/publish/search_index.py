"""The published site's search: Pagefind's index, built again only where pages changed.

Pagefind has no incremental mode: a run indexes every page it is given and writes a whole
bundle. So the post-mortem pages are dealt into SHARDS bundles by a hash of their session's file
name (a page stays in its bundle for good), each bundle in OUT/pagefind/NN/, and a publish runs
Pagefind only for the bundles whose pages changed, came or went. The search box loads the first
bundle and merges the others (Pagefind's `mergeIndex`): one search over all of them.

A bundle is written beside its old one and then put in its place, so a site being served never
shows half a bundle; a bundle with no page left is removed. Pagefind's binary comes from the
`pagefind[bin]` package.

Never import Textual here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SHARDS = 16  # bundles the search box merges; a log of 10,000 has ~625 pages in each
FOLDER = "pagefind"


class SearchIndexError(Exception):
    """Pagefind could not build a bundle: the text says why."""


def shard_of(file_name: str) -> str:
    """The bundle of a session's page, by its file name: the same on every publish."""
    number = int(hashlib.sha256(file_name.encode("utf-8")).hexdigest()[:8], 16) % SHARDS
    return f"{number:02d}"


def bundle_paths(shards: list[str]) -> list[str]:
    """Where each bundle is, from the site's root (the search box's first is its own)."""
    return [f"{FOLDER}/{s}/" for s in sorted(shards)]


def pagefind_version() -> str:
    """The version of Pagefind's binary: a new one builds every bundle again."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pagefind_bin")
    except PackageNotFoundError:
        return ""


def _binary() -> str:
    try:
        from pagefind_bin import get_executable

        return str(get_executable())
    except (ImportError, FileNotFoundError):
        raise SearchIndexError(
            "the search index needs Pagefind: pip install 'pagefind[bin]'") from None


def _owned_folder(path: Path) -> bool:
    """Whether ``path`` is a real folder (not a link to one)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _remove(path: Path) -> None:
    """Remove a file, link or folder of OUT/pagefind; a link is removed, never followed."""
    if _owned_folder(path):
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()


def _build(binary: str, out: Path, shard: str, slugs: list[str]) -> None:
    """Index the pages pm/<slug>.html of ``out`` into a new bundle, then put it in place."""
    root = out / FOLDER
    new, old, final = root / f".new-{shard}", root / f".old-{shard}", root / shard
    _remove(new)
    pages = slugs[0] if len(slugs) == 1 else "{" + ",".join(sorted(slugs)) + "}"
    try:
        done = subprocess.run(
            [binary, "--site", str(out), "--glob", f"pm/{pages}.html",
             "--output-path", str(new), "--silent"],
            capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SearchIndexError(f"{out}: Pagefind could not index the site: {err}") from None
    if done.returncode != 0 or not (new / "pagefind-entry.json").is_file():
        why = (done.stderr.strip() or done.stdout.strip() or "no reason given").splitlines()[-1]
        _remove(new)
        raise SearchIndexError(f"{out}: Pagefind could not index the site: {why}")
    _remove(old)
    if final.is_symlink() or final.exists():
        final.rename(old)
    new.rename(final)
    _remove(old)


def plan(entries: list[dict], page_keys: dict[str, str],
         kept: object) -> tuple[dict[str, list[str]], dict[str, str], dict[str, str]]:
    """Each bundle's pages (their slugs), what each bundle is to be built from (a hash of its
    pages' keys and Pagefind's version: a new Pagefind builds every bundle again), and of the
    bundles the last publish built (``kept``, from its manifest) those still true."""
    pages: dict[str, list[str]] = {}
    keys: dict[str, list] = {}
    for e in entries:
        pages.setdefault(shard := shard_of(e["file"]), []).append(e["slug"])
        keys.setdefault(shard, []).append((e["file"], page_keys[e["file"]]))
    version = pagefind_version()
    wanted = {s: hashlib.sha256(json.dumps([version, sorted(k)]).encode()).hexdigest()
              for s, k in keys.items()}
    still = {s: k for s, k in (kept if isinstance(kept, dict) else {}).items()
             if wanted.get(s) == k}
    return pages, wanted, still


class Builds:
    """The bundles named in ``changed`` being built from their pages (``pages``: each shard's
    page slugs), several at once (one per core), while the rest of the site is written."""

    def __init__(self, out: Path, pages: dict[str, list[str]], changed: set[str]) -> None:
        self.out, self.pages = out, pages
        self.built = sorted(s for s in changed if pages.get(s))
        self.error: str | None = None
        self.futures = []
        self.pool = None
        root = out / FOLDER
        try:
            if root.is_symlink() or (root.exists() and not root.is_dir()):
                raise SearchIndexError(f"{root}: not a folder (a link?); pmconsole writes only "
                                       "inside OUT; remove it and publish again")
            root.mkdir(mode=0o755, exist_ok=True)
            if self.built:
                binary = _binary()
                self.pool = ThreadPoolExecutor(min(len(self.built), os.cpu_count() or 1))
                self.futures = [self.pool.submit(_build, binary, out, s, pages[s])
                                for s in self.built]
        except SearchIndexError as err:
            self.error = str(err)

    def wait(self) -> str | None:
        """Wait for every build, then remove what else OUT/pagefind holds (emptied bundles, a
        bundle of an older layout). Returns why a bundle could not be built, or None."""
        for future in self.futures:
            try:
                future.result()
            except SearchIndexError as err:
                self.error = self.error or str(err)
        if self.pool is not None:
            self.pool.shutdown()
        if self.error is None:
            keep = {s for s, slugs in self.pages.items() if slugs}
            root = self.out / FOLDER
            for entry in os.listdir(root):
                if entry not in keep:
                    _remove(root / entry)
        return self.error
