"""The layering: no module of the package imports another in a cycle (function-level imports
included), and a migration's SQL is frozen in schema.py rather than imported."""

from __future__ import annotations

import ast
from pathlib import Path

import prospect_tui

PACKAGE = Path(prospect_tui.__file__).parent


def module_names() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its __init__)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(test)


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules `name` imports when it runs, at any level of its code
    (`if TYPE_CHECKING:` blocks excepted: they never run)."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if _type_checking_only(node):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            # `from package import module` imports that module too.
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    found = set()
    for target in targets:
        # Importing a.b.c runs a and a.b first.
        parts = target.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    # A module's own parent packages are always running before it does: importing a
    # sibling through them (`from a.b.sibling import x` inside a.b.mine) is no cycle.
    own = name.split(".")
    ancestors = {".".join(own[:i]) for i in range(1, len(own))}
    return (found & known) - {name} - ancestors


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imported(name, path, set(modules)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for after in sorted(graph[node]):
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_function_level_imports():
    graph = import_graph()
    # core/store.py imports schema inside a method, only when a database needs upgrading.
    assert "prospect_tui.core.schema" in graph["prospect_tui.core.store"]


def test_a_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_another_in_a_cycle():
    found = cycles(import_graph())
    assert found == [], f"import cycles: {found}"


def test_migrations_import_nothing_of_the_package():
    graph = import_graph()
    # sqlite_lean only loads sqlite-utils (without pandas): no logic a migration could drift with.
    allowed = {"prospect_tui", "prospect_tui.core", "prospect_tui.core.sqlite_lean"}
    assert graph["prospect_tui.core.schema"] <= allowed
