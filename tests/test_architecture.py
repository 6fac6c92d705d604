"""The floor plan: layered subpackages, each importing only from the layers below it (or its own),
no import cycle, and a top level that holds only the entry points."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "inpaintbench"
#: The layers, lowest first; a module may import from its own layer and the ones before it.
LAYERS = ("sdk", "io", "data", "evaluation", "training", "jobs", "reports")
#: The top level: entry points above every layer.
TOP = {"inpaintbench", "inpaintbench.__main__", "inpaintbench.cli"}
MAX_TOP_LEVEL_MODULES = 8


def module_names() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module of the package that ``path`` imports, at module level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in known and c != name)
    return found


def graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(path, name, set(modules)) for name, path in modules.items()}


def layer(name: str) -> int:
    """The layer index of a module; the top level is above every layer."""
    if name in TOP:
        return len(LAYERS)
    return LAYERS.index(name.split(".")[1])


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets
                  if b != "inpaintbench" and layer(b) > layer(a))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_sits_on_a_known_floor():
    for name in module_names():
        assert name in TOP or name.split(".")[1] in LAYERS, f"{name} is in no layer of {LAYERS}"


def test_no_module_imports_from_a_layer_above_it():
    assert upward_imports(graph()) == []


def test_no_import_cycle():
    edges = {a: {b for b in targets if b != "inpaintbench"} for a, targets in graph().items()}
    assert cycles(edges) == []


def test_the_top_level_holds_only_entry_points():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("edges, expected", [
    ({"inpaintbench.sdk.a": {"inpaintbench.jobs.b"}, "inpaintbench.jobs.b": set()},
     ["inpaintbench.sdk.a -> inpaintbench.jobs.b"]),
    ({"inpaintbench.jobs.b": {"inpaintbench.sdk.a"}, "inpaintbench.sdk.a": set()}, []),
])
def test_the_layer_check_catches_an_upward_import(edges, expected):
    assert upward_imports(edges) == expected


def test_the_cycle_check_catches_a_loop():
    loop = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(loop) == [["a", "b", "c"]]


def test_every_environment_variable_is_read_in_one_place_and_documented():
    from inpaintbench.sdk import env

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for variable in env.VARIABLES:
        assert f"`{variable.name}`" in readme, f"{variable.name} is not in the README's table"
    for path in PACKAGE.rglob("*.py"):
        if path.name == "env.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert '"INPAINTBENCH_' not in text, f"{path.relative_to(ROOT)} names an INPAINTBENCH_ variable itself"
