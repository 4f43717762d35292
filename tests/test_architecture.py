"""The house in layers (README, "How it is built"): every area imports only from the areas
below it, every area of ``app/`` has its place in the layers, and no two modules import
each other in a circle (also through imports inside functions)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

from tests.conftest import project_root

PYPROJECT = project_root() / "pyproject.toml"
# Modules outside the layers on purpose: the app factory's model registry (it imports
# every area's models so that Alembic sees them) and the package itself.
UNLAYERED = {"app", "app.models"}


def layered_modules() -> set[str]:
    contract = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"][0]
    return {name.strip() for layer in contract["layers"] for name in layer.split("|")}


def test_areas_import_only_downward(monkeypatch, capsys):
    monkeypatch.chdir(project_root())
    loggers = [logger for logger in logging.Logger.manager.loggerDict.values()
               if isinstance(logger, logging.Logger) and not logger.disabled]
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    # import-linter configures logging and disables the loggers that exist (ours too):
    # later tests in this process read our logs
    for logger in loggers:
        logger.disabled = False
    report = capsys.readouterr().out
    assert status == EXIT_STATUS_SUCCESS, report


def test_every_area_has_its_place_in_the_layers():
    app_dir = project_root() / "app"
    top_level = {f"app.{path.stem}" for path in app_dir.glob("*.py") if path.stem != "__init__"}
    top_level |= {f"app.{path.name}" for path in app_dir.iterdir()
                  if (path / "__init__.py").exists()}
    missing = sorted(top_level - layered_modules() - UNLAYERED)
    assert not missing, f"add these to the layers in pyproject.toml: {missing}"


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a circle (Tarjan)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_round_a_circle():
    assert circles(grimp.build_graph("app", cache_dir=None)) == []


@pytest.mark.parametrize("source", [
    "from app.booths import services",  # calendar is below booths
    "from app.planning import operations",  # and below planning
])
def test_an_upward_import_would_be_caught(tmp_path: Path, source: str):
    """The contract is no formality: an upward import in a copy of the code breaks it."""
    copy = tmp_path / "project"
    shutil.copytree(project_root() / "app", copy / "app",
                    ignore=shutil.ignore_patterns("__pycache__", "translations", "data"))
    shutil.copy(PYPROJECT, copy / "pyproject.toml")
    filters = copy / "app" / "calendar" / "filters.py"
    filters.write_text(filters.read_text() + f"\n{source}  # noqa\n")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=copy, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "app.calendar.filters" in result.stdout
