"""The measures package's modules import each other in one direction, at the top.

A function-level import hides a cycle from ``tests/test_layering.py`` (which follows only
module-level imports for cycles); here every import between the measures modules is
followed, wherever it is written, and none may be inside a function.
"""

import ast
from pathlib import Path

import csplib.methods.measures as measures

PACKAGE = Path(measures.__file__).parent
PREFIX = "csplib.methods.measures"


def imports(path: Path):
    """(imported measures module, inside a function) for each import in ``path``."""
    found = []

    def visit(node, inside):
        for child in ast.iter_child_nodes(node):
            nested = inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith(PREFIX):
                found.append((child.module, inside))
            visit(child, nested)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def test_no_function_level_imports_between_measures_modules():
    lazy = [
        f"{p.name} imports {module}"
        for p in sorted(PACKAGE.glob("*.py"))
        for module, inside in imports(p)
        if inside
    ]
    assert not lazy, lazy


def test_measures_modules_form_no_cycle():
    graph = {
        f"{PREFIX}.{p.stem}": {m for m, _ in imports(p)}
        for p in PACKAGE.glob("*.py")
        if p.stem != "__init__"
    }
    order: list[str] = []
    state: dict[str, int] = {}

    def walk(node, path):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != 1, " -> ".join([*path, node, nxt])
            if nxt not in state:
                walk(nxt, [*path, node])
        state[node] = 2
        order.append(node)

    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    # the declared target sits below the measure that holds it; tracking above the registry
    assert order.index(f"{PREFIX}.targets") < order.index(f"{PREFIX}.measure")
    assert order.index(f"{PREFIX}.registry") < order.index(f"{PREFIX}.tracking")
