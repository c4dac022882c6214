"""No import cycles: shnor's modules (and the flows over them) import each other as a tree of
layers, every import counted, also those inside functions; so do its subpackages."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_names() -> dict[str, Path]:
    """Every module of shnor and of the flows, by dotted name."""
    files = [*(ROOT / "src").glob("shnor/**/*.py"), *ROOT.glob("flows/**/*.py")]
    names = {}
    for path in files:
        parts = path.relative_to(ROOT / "src" if "src" in path.parts else ROOT).with_suffix("")
        names[".".join(parts.parts).removesuffix(".__init__")] = path
    return names


def imported(path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that a file imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found & known


def import_graph() -> dict[str, set[str]]:
    names = module_names()
    # `from shnor import x` names the package `shnor`, whose __init__ imports nothing of it.
    known = set(names) - {"shnor", "flows"}
    return {name: imported(path, known) - {name} for name, path in names.items()}


def package_of(module: str) -> str:
    """shnor.ingest.raw_load → shnor.ingest; shnor.warehouse stays itself."""
    return ".".join(module.split(".")[:2])


def cycle_of(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return error.args[1]
    return None


def test_the_graph_sees_the_imports_inside_functions():
    graph = import_graph()
    assert len(graph) > 60
    assert "flows.annual_list" in graph["shnor.cli"]  # imported inside `shnor run`
    assert "shnor.stages.ingest" in graph["shnor.stages"]


def test_no_module_imports_itself_through_others():
    assert cycle_of(import_graph()) is None


def test_no_subpackage_imports_itself_through_others():
    packages: dict[str, set[str]] = {}
    for module, targets in import_graph().items():
        into = packages.setdefault(package_of(module), set())
        into |= {package_of(t) for t in targets} - {package_of(module)}
    assert cycle_of(packages) is None


def test_a_cycle_is_found():
    assert cycle_of({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    with pytest.raises(AssertionError):
        assert cycle_of({"shnor.x": {"shnor.y"}, "shnor.y": {"shnor.x"}}) is None
