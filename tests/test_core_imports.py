"""The core (model, ops, rules, store, locations, config, cli) never imports Textual: scripts,
`pmconsole check` and the tests stay fast and work without a screen."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CORE = [
    "pmconsole.domain.model",
    "pmconsole.domain.ops",
    "pmconsole.domain.rules",
    "pmconsole.storage.session_store",
    "pmconsole.storage.locations",
    "pmconsole.storage.config",
    "pmconsole.cli",
    "pmconsole.domain.clock",
    "pmconsole.domain.meeting",
    "pmconsole.storage.log_index",
    "pmconsole.exporters",
    "pmconsole.importers",
    "pmconsole.startup",
    "pmconsole.domain.text",
    "pmconsole.domain.trends",
    "pmconsole.storage.log_sessions",
    "pmconsole.publish.privacy",
    "pmconsole.publish.site",
    "pmconsole.publish.charts",
]

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))))
"""


def textual_modules_after(*statements_or_modules: str, code: str = PROBE) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code, *statements_or_modules],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_probe_can_see_textual():
    # Without this, a probe that never finds anything would pass every test below.
    assert "textual" in textual_modules_after("textual.app")


def test_importing_the_whole_core_leaves_textual_out():
    assert textual_modules_after(*CORE) == []


@pytest.mark.parametrize("module", CORE)
def test_each_core_module_alone_leaves_textual_out(module):
    assert textual_modules_after(module) == []


def test_running_script_commands_leaves_textual_out(tmp_path):
    # new, timeline add, action add, action done and check, in one process, as a script would.
    code = """
import json, sys
from pmconsole.cli import main
path = sys.argv[1]
codes = [
    main(["new", path, "--title", "T", "--incident-start", "2024-03-04T09:00:00Z",
          "--incident-end", "2024-03-04T10:00:00Z", "--meeting", "2024-03-06T22:00:00Z"]),
    main(["timeline", "add", path, "--at", "2024-03-04T09:05:00Z", "--kind", "alert",
          "--text", "x"]),
    main(["action", "add", path, "--title", "Alert on lag", "--owner", "Sam",
          "--due", "2024-03-20", "--criterion", "fires within 2 minutes"]),
    main(["check", path, "--json", "--now", "2024-03-07T00:00:00Z"]),
]
print(json.dumps(codes), file=sys.stderr)
print(json.dumps(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))))
"""
    path = tmp_path / "incident.toml"
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    codes = json.loads(result.stderr.strip().splitlines()[-1])
    assert codes == [0, 0, 0, 1]  # check: a bare new session has no learning question
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
