"""pmconsole writes only where it means to, and reads only regular files (issue 23).

- An output is never written through a symbolic link pmconsole did not create: a link planted
  beside a session (``incident.summary.md -> ~/.bashrc``, which anyone can commit to the team's
  sessions repository) is replaced itself by the export, never its target
  (``store.atomic_write``). Only the session file the user opened through a link, and the
  user's own settings file, are written through their link.
- Only regular files are read as sessions, live logs or imports, with a size limit: a FIFO, a
  link to /dev/zero or a folder is refused by name (or listed as unreadable in the log) without
  being read, so nothing hangs or grows without bound (``store.open_regular``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import NOW_TEXT, one_line, run
from pmconsole import store
from pmconsole.store import SessionFileError, load_session, log_path_for
from snapshot_app import console, demo_copy

VICTIM = b"# the user's shell start-up file\nexport PATH=$HOME/bin:$PATH\n"


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file outside the sessions folder that a planted link points to."""
    path = tmp_path / "home" / ".bashrc"
    path.parent.mkdir()
    path.write_bytes(VICTIM)
    return path


def plant(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


# -- writes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, name", [("md", "incident.summary.md"), ("ics", "incident.ics")])
def test_export_force_replaces_a_planted_link_never_its_target(
    fmt, name, write_session, victim, capsys
):
    path = write_session()
    link = plant(path.with_name(name), victim)
    code, out, err = run(capsys, "export", path, "--format", fmt, "--force")
    assert code == 0, err
    assert victim.read_bytes() == VICTIM, "the export was written through the planted link"
    assert not link.is_symlink() and link.read_bytes() != VICTIM
    assert Path(out.strip()) == link


def test_export_without_force_refuses_a_planted_link(write_session, victim, capsys):
    path = write_session()
    plant(path.with_name("incident.summary.md"), victim)
    code, out, err = run(capsys, "export", path, "--format", "md")
    assert code == 2 and "--force" in one_line(err)
    assert victim.read_bytes() == VICTIM


def test_export_to_a_dangling_planted_link_does_not_create_its_target(
    write_session, tmp_path, capsys
):
    path = write_session()
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    link = plant(path.with_name("incident.summary.md"), target)
    code, out, err = run(capsys, "export", path, "--format", "md")
    assert code == 0, err
    assert not target.exists(), "the export created the file a dangling link named"
    assert not link.is_symlink()


async def test_the_console_export_replaces_a_planted_link_never_its_target(tmp_path, victim):
    path = demo_copy(tmp_path)
    link = plant(tmp_path / "demo.html", victim)
    app = console(path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.console_screen().export("html")
        await pilot.pause()
        assert app.is_running
    assert victim.read_bytes() == VICTIM, "the console wrote through the planted link"
    assert not link.is_symlink() and b"<html" in link.read_bytes().lower()


def test_new_on_a_dangling_link_creates_nothing_through_it(tmp_path, capsys):
    target = tmp_path / "elsewhere" / "planted.toml"
    target.parent.mkdir()
    link = plant(tmp_path / "incident.toml", target)
    code, out, err = run(capsys, "new", link, "--title", "t", "--incident-start",
                         "2024-03-04T09:10:00Z", "--incident-end", "2024-03-04T10:00:00Z")
    assert code == 2 and str(link) in one_line(err)
    assert not target.exists()


def test_a_session_opened_through_a_link_is_still_written_through_it(
    write_session, tmp_path, capsys
):
    # The one link pmconsole writes through: the session file the user named (test_permissions
    # has the full case); an output beside it is not.
    target = write_session()
    link = plant(tmp_path / "work.toml", target)
    assert run(capsys, "timeline", "add", link, "--at", "2024-03-04T09:30:00Z", "--kind",
               "alert", "--text", "through")[0] == 0
    assert link.is_symlink()
    assert any(e.text == "through" for e in load_session(target).timeline)
