"""Data flows one way: no module imports from a folder above its own (see README "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bot"

#: Lowest first. A module may import from its own level or below, never above.
LEVELS = {
    "common": 0,
    "errors": 1,
    "models": 1,
    "settings": 2,
    "analysis": 3,
    "alerts": 3,
    "feeds": 4,
    "config": 4,
    "store": 5,
    "pipeline": 6,
    "reports": 6,
    "commands": 7,
    "sinks": 8,
    "app": 9,
    "__main__": 9,
    "__init__": 9,
}


def _level(module: str) -> int | None:
    parts = module.split(".")
    return LEVELS.get(parts[1]) if parts[0] == "bot" and len(parts) > 1 else None


def _upward_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        own = LEVELS[top]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                target = _level(node.module)
                if target is not None and target > own:
                    found.append(f"{path.relative_to(PACKAGE)} imports {node.module}")
    return found


def test_every_top_level_folder_has_a_level():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert tops <= set(LEVELS)


def test_no_import_runs_back_up_a_level():
    assert _upward_imports() == []
