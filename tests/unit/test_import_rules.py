"""The floors of the package, enforced on its source: core (foundation) ← scoring (pure domain) ← store, delivery
(I/O edges) ← assets ← pipelines (wiring); reports and scenarios beside them. Read with ast, nothing imported."""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUBPACKAGES = ("core", "scoring", "store", "delivery", "assets", "reports", "pipelines", "scenarios")
# What each floor may not import (prefixes of absolute module names).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": tuple(f"gpu_reclaim.{name}" for name in SUBPACKAGES if name != "core"),
    "scoring": (
        "duckdb",
        "httpx",
        "requests",
        "dagster",
        "gpu_reclaim.core.warehouse",
        "gpu_reclaim.core.victoria",
        "gpu_reclaim.store",
        "gpu_reclaim.delivery",
        "gpu_reclaim.assets",
        "gpu_reclaim.reports",
        "gpu_reclaim.pipelines",
        "gpu_reclaim.scenarios",
    ),
    "store": ("httpx", "dagster", "gpu_reclaim.delivery", "gpu_reclaim.assets", "gpu_reclaim.pipelines"),
    "delivery": ("dagster", "gpu_reclaim.assets", "gpu_reclaim.pipelines", "gpu_reclaim.reports"),
    "assets": ("gpu_reclaim.pipelines", "gpu_reclaim.scenarios"),
    "reports": ("gpu_reclaim.assets", "gpu_reclaim.pipelines", "gpu_reclaim.delivery"),
}


@cache
def imports_of(path: Path) -> tuple[str, ...]:
    """Absolute names of every module `path` imports, at the top or inside a function (relative ones resolved)."""
    package = "gpu_reclaim." + ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.append(base)
    return tuple(names)


def modules(subpackage: str) -> list[Path]:
    return sorted((REPO / subpackage).rglob("*.py"))


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_every_subpackage_is_read() -> None:
    assert all(modules(name) for name in SUBPACKAGES)
    assert "duckdb" in imports_of(REPO / "store" / "tickets.py")  # the reader sees real imports


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_a_floor_imports_nothing_from_the_floors_above(floor: str) -> None:
    broken = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in modules(floor)
        for name in imports_of(path)
        for prefix in FORBIDDEN[floor]
        if _matches(name, prefix)
    ]
    assert broken == []


def test_config_is_the_ground_floor() -> None:
    own = [name for name in imports_of(REPO / "core" / "config.py") if name.startswith("gpu_reclaim.")]
    assert all(_matches(name, "gpu_reclaim.core") for name in own), own


def test_no_import_cycle_between_subpackages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source in SUBPACKAGES:
        for path in modules(source):
            for name in imports_of(path):
                parts = name.split(".")
                if parts[0] == "gpu_reclaim" and len(parts) > 1 and parts[1] in SUBPACKAGES and parts[1] != source:
                    graph[source].add(parts[1])

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in graph[start])

    cycles = sorted(name for name in SUBPACKAGES if reaches(name, name, {name}))
    assert cycles == [], dict(graph)


def test_the_cli_imports_the_demo_simulator_only_inside_the_demo_command() -> None:
    tree = ast.parse((REPO / "pipelines" / "cli.py").read_text(encoding="utf-8"))
    top_level = [node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module is not None] + [
        alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    ]
    assert not any(_matches(name, "gpu_reclaim.scenarios") for name in top_level)
    demo = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "demo")
    inside = [node.module for node in ast.walk(demo) if isinstance(node, ast.ImportFrom)]
    assert "gpu_reclaim.scenarios.demo" in inside
