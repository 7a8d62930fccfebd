"""The layers of the house: the core (domain/, storage/, importers/, exporters/) never imports
Textual, so scripts, `pmconsole check` and the tests stay fast and work without a screen; and no
module imports from a layer above its own."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import pmconsole

PACKAGE = Path(pmconsole.__file__).parent
CORE_PACKAGES = ("domain", "storage", "importers", "exporters", "publish")
# Lower first: a module may import from its own layer and those before it, never after.
LAYERS = (
    ("pmconsole.domain",),
    ("pmconsole.storage",),
    ("pmconsole.importers", "pmconsole.exporters", "pmconsole.publish"),
    ("pmconsole.tui.messages", "pmconsole.tui.keys", "pmconsole.tui.in_console",
     "pmconsole.tui.widgets"),
    ("pmconsole.tui.screens", "pmconsole.tui.dialogs"),
    ("pmconsole", "pmconsole.tui", "pmconsole.cli", "pmconsole.serve", "pmconsole.startup",
     "pmconsole.__main__"),
)


def modules_under(*packages: str) -> list[str]:
    names = []
    for package in packages:
        names.append(f"pmconsole.{package}")
        for info in pkgutil.walk_packages([str(PACKAGE / package)], f"pmconsole.{package}."):
            names.append(info.name)
    return names


# The command line leaves Textual out too, but for the commands that open a screen.
CORE = [*modules_under(*CORE_PACKAGES, "cli"), "pmconsole.startup"]

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))))
"""


def textual_modules_after(*modules: str, code: str = PROBE) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code, *modules], capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_probe_can_see_textual():
    # Without this, a probe that never finds anything would pass every test below.
    assert "textual" in textual_modules_after("textual.app")


def test_importing_the_whole_core_leaves_textual_out():
    """Every module of the core, found on disk (a new one is checked without being listed).
    Importing them all leaves Textual out, so importing any of them alone does too."""
    assert len(CORE) > 10 and "pmconsole.domain.model" in CORE
    assert textual_modules_after(*CORE) == []


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


def layer_of(module: str) -> int:
    """The layer a module belongs to: the longest prefix that names it."""
    best, at = "", -1
    for n, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, at = prefix, n
    assert at >= 0, f"{module} is in no layer of LAYERS"
    return at


def imported_by(path: Path, module: str) -> list[tuple[int, str]]:
    """The pmconsole modules a file imports, with their lines (deferred imports included;
    those only a type checker reads, under ``if TYPE_CHECKING:``, left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            node.body = []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((node.lineno, base))
    return [(line, name) for line, name in found if name.split(".")[0] == "pmconsole"
            and name != "pmconsole"]


def every_module() -> list[tuple[Path, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append((path, ".".join(parts)))
    return found


def test_the_layer_check_sees_an_import_from_above(tmp_path):
    # Without this, a check that finds no imports would pass the one below.
    upward = tmp_path / "model.py"
    upward.write_text("from pmconsole.tui.app import PmConsole\n", encoding="utf-8")
    (line, name), = imported_by(upward, "pmconsole.domain.model")
    assert layer_of(name) > layer_of("pmconsole.domain.model") and line == 1


@pytest.mark.parametrize("path, module", every_module(), ids=lambda v: str(v).split("/")[-1])
def test_no_module_imports_from_a_layer_above_its_own(path, module):
    mine = layer_of(module)
    above = [f"line {line}: {name}" for line, name in imported_by(path, module)
             if layer_of(name) > mine]
    assert not above, f"{module} imports from above its layer: {above}"


def test_the_command_line_uses_no_private_name_of_the_core():
    private = [
        f"{path.name} line {node.lineno}: {node.module}.{alias.name}"
        for path in sorted((PACKAGE / "cli").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pmconsole")
        for alias in node.names if alias.name.startswith("_")
    ]
    assert private == []
