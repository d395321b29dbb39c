"""The package reads like the data flow: no import cycles, and every import
points from a later stage to an earlier one (or to the shared modules)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import summarize

PACKAGE = Path(summarize.__file__).resolve().parent

# Rank of each top-level part in the data flow; a module may import its own
# part or one of a lower rank. models, store, text, atomic and inflight are shared by all.
RANK = {
    "models": 0, "store": 0, "text": 0, "atomic": 0, "inflight": 0,
    "ingest": 1, "fetch": 1, "clean": 2, "llm": 3, "ground": 4, "tldr": 5, "digest": 6, "render": 7,
    "evaluate": 8, "schedule": 8,
    "cli": 9, "__main__": 10,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """Every summarize module and the summarize modules it imports, at the top
    of the file or inside a function alike."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("summarize"):
                assert node.level == 0, f"{name}: relative import"
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("summarize"))
        graph[name] = {t for t in targets if t in modules and t != name and not name.startswith(t + ".")}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def test_finds_a_cycle_when_there_is_one():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 40
    assert find_cycles(graph) == []


def test_imports_point_from_later_stages_to_earlier_ones():
    backwards = []
    for module, targets in import_graph().items():
        if part(module) == "__init__":
            continue
        for target in targets:
            if part(target) == "__init__":
                continue
            if RANK[part(target)] > RANK[part(module)]:
                backwards.append(f"{module} -> {target}")
    assert backwards == []


def test_every_part_has_a_rank():
    parts = {part(m) for m in import_graph()} - {"__init__"}
    assert parts <= set(RANK), parts - set(RANK)


def test_package_modules_stay_small():
    sizes = {module_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert max(sizes.values()) <= 500, max(sizes, key=sizes.get)


def test_version_flag():
    done = subprocess.run([sys.executable, "-m", "summarize", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"summarize {summarize.__version__}"
