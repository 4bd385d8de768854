"""The package's layout: imports run one way (cli -> stages -> network/sources -> core), no cycles, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
MAX_LINES = 400

# The layers from the bottom up: a module may import modules of its own layer's package or of a lower layer.
# Stages are layers of their own, in run order: a stage may import an earlier stage's package (its public
# names, from its __init__), never a later one's, and never another stage's private modules.
LAYERS: dict[str, int] = {
    "pipeline": 0,  # the package's own __init__ (the version)
    "core": 1,
    "sources": 2,
    "network": 2,
    "transit": 2,
    "demo": 3,
    "ingest": 3,
    "mix": 4,
    "access": 5,
    "scenarios": 6,
    "publish": 7,
    "cli": 8,
    "__main__": 9,
}
STAGES = ("ingest", "mix", "access", "scenarios", "publish")


def module_name(path: Path) -> str:
    """The dotted name of a module file of the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    """Every module of the package by its dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules one module imports, anywhere in it (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            if node.module in modules:
                found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
    found.discard(module_name(path))
    return found


def top(name: str) -> str:
    """The first part below `pipeline` of a module's name (its layer's key)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "pipeline"


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imported_modules(path, modules) for name, path in modules.items()}


def wrong_way_imports(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go up a layer, or into another stage's private modules."""
    wrong = []
    for name, imports in graph.items():
        for target in imports:
            if target == "pipeline":
                continue
            own, theirs = top(name), top(target)
            if own == theirs:
                continue
            if LAYERS[theirs] > LAYERS[own]:
                wrong.append(f"{name} imports {target}, a higher layer")
            elif theirs in STAGES and target != f"pipeline.{theirs}":
                wrong.append(f"{name} imports {target}, a private module of stage {theirs}")
            elif own in STAGES and theirs in STAGES and LAYERS[theirs] >= LAYERS[own]:
                wrong.append(f"{name} imports {target}, a stage that runs after it")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_belongs_to_a_layer():
    assert {top(name) for name in all_modules()} <= set(LAYERS)


def test_imports_run_one_way():
    assert wrong_way_imports(import_graph()) == []


def test_no_modules_import_each_other():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("graph, expected", [
    ({"pipeline.core.io": {"pipeline.mix"}}, ["pipeline.core.io imports pipeline.mix, a higher layer"]),
    ({"pipeline.access.jobs": {"pipeline.mix.rules"}},
     ["pipeline.access.jobs imports pipeline.mix.rules, a private module of stage mix"]),
    ({"pipeline.mix.sums": {"pipeline.access"}}, ["pipeline.mix.sums imports pipeline.access, a higher layer"]),
    ({"pipeline.scenarios.plan": {"pipeline.mix", "pipeline.core.io"}}, []),
])
def test_wrong_way_imports_are_found(graph, expected):
    assert wrong_way_imports(graph) == expected


def test_cycles_are_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_over_the_limit():
    long = {name: n for name, path in all_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_module_opens_with_what_it_is():
    missing = [name for name, path in all_modules().items()
               if not (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").strip()]
    assert missing == []


def test_every_stage_package_holds_its_run():
    for stage in STAGES:
        tree = ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8"))
        assert "run" in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, stage


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_docstring_names_what_the_catalogue_says_it_reads_and_writes(stage):
    from pipeline.core import datasets

    doc = " ".join(ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8"))).split())
    reads = ", ".join(d.name for d in datasets.reads_of(stage)) or "the configured sources (data/raw)"
    assert f"Reads: {reads}." in doc
    assert f"Writes: {', '.join(d.name for d in datasets.writes_of(stage))}." in doc


def test_architecture_doc_lists_every_module_as_it_is():
    from pipeline.core import datasets_views

    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert datasets_views.module_table() in doc, "regenerate it: python -m pipeline.core.datasets modules"
