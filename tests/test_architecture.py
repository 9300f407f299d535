"""The package's structure: what the worker may import, and no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sphinx_df_table

PACKAGE = sphinx_df_table.__name__
PACKAGE_DIR = Path(sphinx_df_table.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def test_worker_imports_neither_sphinx_nor_docutils() -> None:
    """The snippet worker runs in its own interpreter; Sphinx has no place there."""
    shared = [f"{PACKAGE}.messages", f"{PACKAGE}.errors"]
    worker = [
        name
        for name in MODULES
        if name.startswith(f"{PACKAGE}.worker") and not name.endswith(".__main__")
    ]
    assert f"{PACKAGE}.worker.server" in worker
    code = (
        "import importlib, sys\n"
        f"for name in {[*worker, *shared]!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sphinx', 'docutils'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parent,  # this source tree's package, whatever is installed
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_the_sphinx_side_imports_no_data_library() -> None:
    """pandas, numpy and pyarrow belong to the worker: importing them in the
    Sphinx process would cost every build (also one whose tables all come from
    the cache) their start-up time and memory."""
    sphinx_side = [
        name
        for name in MODULES
        if not name.startswith(f"{PACKAGE}.worker") and not name.endswith(".__main__")
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {sphinx_side!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'pandas', 'numpy', 'pyarrow', 'polars', 'matplotlib'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE_DIR.parent,
    )
    assert result.stdout.strip() == "[]", result.stdout


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module name that a (maybe relative) ``from ... import`` names."""
    if not node.level:
        return node.module or ""
    # A package's own __init__ is its own base; a module's base is its package.
    is_package = MODULES[module].name == "__init__.py"
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its code.

    Module-level, function-local and ``TYPE_CHECKING`` imports all count: a
    cycle through any of them is still a cycle in the design, and a type-only
    one becomes a real one as soon as someone needs the name at run time.
    ``from package import name`` counts as importing ``package.name`` when that
    is a module, else ``package``.
    """
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node)
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    edges.add(submodule if submodule in MODULES else target)
        graph[module] = {name for name in edges if name in MODULES and name != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as its modules in import order (first repeated), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
                continue
            nxt = pending.pop(0)
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done:
                stack.append((nxt, sorted(graph[nxt])))
                path.append(nxt)
                on_path.add(nxt)
    return None


def test_the_import_graph_is_built_from_every_kind_of_import() -> None:
    graph = import_graph()
    # Module level, relative to the parent package.
    assert f"{PACKAGE}.messages" in graph[f"{PACKAGE}.execute.result_cache"]
    # ``from .. import messages``: the module, not the package.
    assert f"{PACKAGE}.messages" in graph[f"{PACKAGE}.execute.runner"]
    # Function-local imports (``setup`` imports the directives lazily).
    assert f"{PACKAGE}.directives.table" in graph[PACKAGE]
    # TYPE_CHECKING imports.
    assert f"{PACKAGE}.directives.snippet" in graph[f"{PACKAGE}.output.interactive"]


def test_find_cycle_reports_the_modules_of_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_is_named_after_a_standard_library_module() -> None:
    """A ``worker/signal.py`` or ``output/html.py`` would read as the stdlib's
    module in tracebacks, reviews and imports."""
    assert f"{PACKAGE}.worker.limits" in MODULES
    clashes = [name for name in MODULES if name.rsplit(".", 1)[-1] in sys.stdlib_module_names]
    assert clashes == []


def undocumented(tree: ast.Module) -> list[str]:
    """The public names in a module's AST without a docstring (``"module"`` for itself).

    Public: a module-level or class-level function or class whose name does not
    start with ``_``, and the methods of such classes.
    """
    missing = [] if ast.get_docstring(tree) else ["module"]

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            if node.name.startswith("_"):
                continue
            if not ast.get_docstring(node):
                missing.append(f"{prefix}{node.name} (line {node.lineno})")
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return missing


def test_undocumented_finds_public_names_without_docstrings() -> None:
    tree = ast.parse(
        "def f(): pass\n"
        "def _private(): pass\n"
        "class C:\n"
        "    '''Documented.'''\n"
        "    def method(self): pass\n"
        "    def _helper(self): pass\n"
    )
    assert undocumented(tree) == ["module", "f (line 1)", "C.method (line 5)"]


def test_every_public_name_has_a_docstring() -> None:
    missing = [
        f"{name}: {what}"
        for name, path in MODULES.items()
        for what in undocumented(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == [], "\n".join(missing)
