"""The imports run downhill: each layer of ``src/devtune_contract`` imports only the layers
below it (or itself), no two modules import each other in a circle, and the suite's engine
runs without pytest (the pytest adapter is the only part of the suite that knows it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import devtune_contract

PACKAGE = Path(devtune_contract.__file__).parent

# Lowest first. A module belongs to the first layer whose prefix names it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("constants", "errors", "closing", "credentials", "masking", "signing"),
    ("settings", "env_file"),
    ("spec",),
    ("operations", "scenarios"),
    ("profiles",),
    ("checks",),
    ("drift",),
    ("server",),
    ("suite.engine",),
    ("suite.reports",),
    ("suite.adapter",),
    ("testing",),
    ("check_command",),
    ("cli", "__init__"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def layer_of(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def imports_of(path: Path) -> Iterator[str]:
    """Modules of this package that ``path`` imports, at any depth of its code."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (inner for a in node.names if (inner := _ours(a.name)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # ``from package import module`` imports the module
                inner = _ours(f"{node.module}.{alias.name}") or _ours(node.module)
                if inner:
                    yield inner


def _ours(name: str) -> str | None:
    inner = name.removeprefix("devtune_contract.")
    if name == inner:
        return None
    file = PACKAGE / inner.replace(".", "/")
    return inner if file.with_suffix(".py").exists() or (file / "__init__.py").exists() else None


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {name: set(imports_of(path)) - {name} for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_higher_layer(module: str) -> None:
    upward = sorted(i for i in GRAPH[module] if layer_of(i) > layer_of(module))
    assert not upward, f"{module} imports a higher layer: {upward}"


def test_no_import_cycle() -> None:
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            cycle = " -> ".join((*path[path.index(module) :], module))
            raise AssertionError(f"import cycle: {cycle}")
        if module in done:
            return
        for imported in sorted(GRAPH.get(module, ())):
            if not imported.endswith("__init__") and MODULES.get(imported) is not None:
                visit(imported, (*path, module))
        done.add(module)

    for module in sorted(MODULES):
        visit(module, ())


def test_the_engine_never_imports_pytest() -> None:
    statically = [
        module_name(path)
        for path in (PACKAGE / "suite" / "engine").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            name.split(".")[0] == "pytest"
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        )
    ]
    assert not statically, f"engine modules import pytest: {statically}"
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pkgutil, importlib, devtune_contract.suite.engine as e\n"
            "for m in pkgutil.iter_modules(e.__path__):\n"
            "    importlib.import_module(e.__name__ + '.' + m.name)\n"
            "print('pytest' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False", "importing the engine loads pytest"
