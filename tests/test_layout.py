"""The code's shape, asserted: an import graph built with `ast` from every module of the project's own
packages (module-level and function-local imports alike) has no cycles and no upward edges, and no
module is over 600 lines.

Layers, lowest first: tinyllm < data_prep < eval < stages < scripts. A module may import its own
layer or a lower one; `tinyllm` imports none of the others, `eval` never imports `scripts`.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["tinyllm", "data_prep", "eval", "stages", "scripts"]
MAX_LINES = 600


def _modules(root=ROOT):
    mods = {}
    for pkg in LAYERS:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


def _imported_names(module, path, tree):
    """Every dotted name an import statement anywhere in the file may refer to."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb level-1 packages from this module's package
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root=ROOT):
    mods = _modules(root)
    edges = set()
    for module, path in mods.items():
        for name in _imported_names(module, path, ast.parse(path.read_text(), str(path))):
            while name and name not in mods:  # `pkg.mod.func` -> the module `pkg.mod`
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add((module, name))
    return mods, edges


def _cycles(nodes, edges):
    """Strongly connected components with more than one module (Tarjan)."""
    succ = {n: sorted(b for a, b in edges if a == n) for n in nodes}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for n in nodes:
        if n not in index:
            visit(n)
    return found


def test_no_import_cycles():
    mods, edges = import_graph()
    assert _cycles(list(mods), edges) == []


def test_no_upward_imports():
    _, edges = import_graph()
    rank = {pkg: i for i, pkg in enumerate(LAYERS)}
    upward = sorted(f"{a} -> {b}" for a, b in edges if rank[b.split(".")[0]] > rank[a.split(".")[0]])
    assert upward == []


def test_modules_are_at_most_600_lines():
    too_long = {m: n for m, p in _modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert too_long == {}


def test_the_graph_sees_function_local_and_relative_imports(tmp_path):
    """The checks above can fail: a planted cycle hidden in a function, and an upward relative import."""
    for pkg in LAYERS:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "tinyllm" / "a.py").write_text("def f():\n    from tinyllm.b import g\n")
    (tmp_path / "tinyllm" / "b.py").write_text("from . import a\n")
    (tmp_path / "eval" / "c.py").write_text("def h():\n    import scripts\n")
    mods, edges = import_graph(tmp_path)
    assert _cycles(list(mods), edges) == [["tinyllm.a", "tinyllm.b"]]
    assert ("eval.c", "scripts") in edges


def test_the_packages_import_from_the_checkout_not_from_the_test_folders_named_like_them():
    # tests/tinyllm/ etc. mirror the code's folders; without the checkout's root first on sys.path
    # (pyproject's pythonpath) `import tinyllm` would find the test folder as a namespace package.
    import data_prep
    import eval as eval_package
    import scripts
    import stages
    import tinyllm

    for package in (tinyllm, data_prep, stages, eval_package, scripts):
        assert package.__file__ and Path(package.__file__).parent.parent == ROOT, package
