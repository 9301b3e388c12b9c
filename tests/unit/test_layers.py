"""The import direction of docs/architecture.md#import-direction, and no import cycles.

Importing every module of a layer (in a fresh interpreter) must not load what that layer may
not use: services never load discord; sources load neither the database nor discord; render
never loads the database (it draws plain data); db loads nothing of bot or cogs. And no module
imports, directly or through others, a module that imports it back: every `import` counts,
those inside functions too (an import hidden in a function is still a cycle), except those
under `if TYPE_CHECKING:` (never run).
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules(package: str) -> list[str]:
    path = ROOT.joinpath(*package.split("."))
    return [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]


def loaded_after_import(names: list[str]) -> set[str]:
    """Top-level packages loaded by importing `names` in a fresh interpreter."""
    code = (
        f"import importlib, sys\nfor name in {names!r}:\n    importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (modules("bot.services"), {"discord", "cogs"}),
        (modules("bot.sources"), {"discord", "cogs", "db", "sqlalchemy"}),
        (modules("bot.render"), {"db", "sqlalchemy", "cogs"}),
        (modules("db") + modules("db.repositories"), {"discord", "bot", "cogs"}),
        (modules("bot.topics"), {"discord", "cogs", "db", "sqlalchemy", "aiohttp"}),
    ],
    ids=["services", "sources", "render", "db", "topics"],
)
def test_a_layer_never_loads_what_it_may_not_use(layer: list[str], forbidden: set[str]) -> None:
    assert loaded_after_import(layer) & forbidden == set()


PACKAGES = ("bot", "cogs", "db")


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in ROOT.joinpath(package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _run_time_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: `if TYPE_CHECKING:` blocks are skipped."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _run_time_imports(child))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _run_time_imports(node)


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (a `from package import module` is the module)."""
    known = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
                ]
            graph[name] |= {t for t in targets if t in known and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_a_cycle_and_a_hidden_import() -> None:
    """Not vacuous: a two-module cycle through a function-local import is found."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert cycles(graph) == [["a", "b"]]
    hidden = ast.parse("def f():\n    from bot.services import digests\n")
    assert [ast.unparse(n) for n in _run_time_imports(hidden)] == [
        "from bot.services import digests"
    ]
    guarded = ast.parse("if TYPE_CHECKING:\n    import db.models\n")
    assert list(_run_time_imports(guarded)) == []
