"""The package's layers: each imports only the layers below it, with no cycles.

Layers, bottom to top (README, "What is where"): ``core``; ``params``; ``ingest`` and
``synth`` (side by side, neither imports the other); ``methods``; ``chapters``; ``present``;
``run``. Every ``import`` in ``csplib`` is read from the source (the abstract syntax tree),
function-level imports included; only imports under ``if TYPE_CHECKING:`` (annotations) are
left out. The one allowed upward import is a model result's ``plot()``, which imports its
chart from ``present.charts`` when called, as statsmodels' results import its graphics.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "csplib"

#: Layer of each top-level part of csplib.
RANK = {
    "core": 1,
    "params": 2,
    "ingest": 3,
    "synth": 3,
    "methods": 4,
    "chapters": 5,
    "present": 6,
    "run": 7,
}

#: Chapter modules may import these parts of the chapters layer, never another chapter.
CHAPTER_SHARED = {"registry", "result", "findings", "__init__"}

#: (importing module prefix, imported module prefix): allowed upward, inside functions only.
LAZY_UPWARD = {("csplib.methods.models.", "csplib.present.charts.models")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path):
    """(imported module, names, line, inside a function) for every csplib import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                if child.module.split(".")[0] == "csplib":
                    names = [a.name for a in child.names]
                    found.append((child.module, names, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "csplib":
                        found.append((alias.name, [], child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


def _targets(module: str, names: list[str], known: set[str]) -> list[str]:
    """The csplib modules an import statement reaches (``from pkg import mod`` is ``pkg.mod``)."""
    out = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
    return out or [module]


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _edges():
    known = set(MODULES)
    for name, path in MODULES.items():
        for module, names, line, lazy in _imports(path):
            for target in _targets(module, names, known):
                yield name, target, names, line, lazy


def test_every_module_is_in_a_layer():
    unplaced = [m for m in MODULES if m != "csplib" and _part(m) not in RANK]
    assert not unplaced, f"modules outside every layer: {unplaced}"


def test_layers_import_only_layers_below():
    wrong = []
    for source, target, _names, line, lazy in _edges():
        if source == "csplib" or target == "csplib":  # the package facade
            if target == "csplib" and source != "csplib":
                wrong.append(f"{source}:{line} imports the csplib facade")
            continue
        a, b = _part(source), _part(target)
        if a == b:
            continue
        if lazy and any(source.startswith(s) and target.startswith(t) for s, t in LAZY_UPWARD):
            continue
        if RANK[b] >= RANK[a]:
            wrong.append(f"{source}:{line} imports {target} ({b} is not below {a})")
    assert not wrong, "layering broken:\n" + "\n".join(wrong)


def test_chapters_do_not_import_each_other():
    wrong = []
    for source, target, _names, line, _lazy in _edges():
        if _part(source) == _part(target) == "chapters":
            src, dst = source.split(".")[2:3], target.split(".")[2:3]
            if src and dst and src != dst and dst[0] not in CHAPTER_SHARED:
                if src[0] not in CHAPTER_SHARED:
                    wrong.append(f"{source}:{line} imports {target}")
    assert not wrong, "a chapter imports another chapter's computation:\n" + "\n".join(wrong)


def test_no_private_names_across_parts():
    wrong = []
    for source, target, names, line, _lazy in _edges():
        if target == "csplib" or _part(source) == _part(target):
            continue
        private = [n for n in names if n.startswith("_")]
        private_module = any(p.startswith("_") for p in target.split(".")[1:])
        if private or private_module:
            wrong.append(f"{source}:{line} imports private {target} {private}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = defaultdict(set)
    for source, target, _names, _line, lazy in _edges():
        if not lazy and target in MODULES and source != target:
            graph[source].add(target)
    cycles, state, stack = [], {}, []

    def walk(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(MODULES):
        if node not in state:
            walk(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    """One concept per module: about 600 lines at most."""
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= 650, f"{name} has {lines} lines; split it by concept"
