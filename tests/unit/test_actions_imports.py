"""The action modules import one way: no circle among them, counting imports inside functions too
(an import moved into a function only hides a circle from the interpreter, not from the reader)."""

from __future__ import annotations

import ast
from pathlib import Path

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def _imported(node: ast.AST, package: str = "actions") -> set[str]:
    """The action modules one import statement names (`from actions import x`, `from actions.x import y`,
    `import actions.x`, `from .x import y`)."""
    if isinstance(node, ast.Import):
        return {a.name.split(".")[1] for a in node.names if a.name.startswith(f"{package}.")}
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:  # relative: from . import x / from .x import y
            return {module.split(".")[0]} if module else {a.name for a in node.names}
        if module == package:
            return {a.name for a in node.names}
        if module.startswith(f"{package}."):
            return {module.split(".")[1]}
    return set()


def import_graph(folder: Path = ACTIONS) -> dict[str, set[str]]:
    """Module -> the action modules it imports anywhere in its source (the package's __init__ aside:
    it only gathers the actions for the action server)."""
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in sorted(modules):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        graph[name] = {m for node in ast.walk(tree) for m in _imported(node) if m in modules and m != name}
    return graph


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as the path a -> b -> ... -> a, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_graph_sees_module_level_and_function_level_imports(tmp_path):
    (tmp_path / "a.py").write_text("from actions.b import thing\n")
    (tmp_path / "b.py").write_text("def f():\n    from actions import c\n    return c\n")
    (tmp_path / "c.py").write_text("import actions.a\n")
    graph = import_graph(tmp_path)
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    assert find_circle(graph) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_action_modules_import_one_way():
    graph = import_graph()
    assert {"forms", "common"} <= graph["orders"], "the graph is read from the real modules"
    circle = find_circle(graph)
    assert circle is None, "import circle among the action modules: " + " -> ".join(circle or [])
