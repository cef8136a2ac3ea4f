"""The code's shape, asserted: an import graph built with `ast` from every module of the project's own
packages (module-level and function-local imports alike) has no cycles and no upward edges, and no
module is over 600 lines.

Layers, lowest first: tinyllm < data_prep < eval < stages < scripts. A module may import its own
layer or a lower one; `tinyllm` imports none of the others, `eval` never imports `scripts`.

The project's own modules are imported at module level. A function-local import of one is allowed
only when that module pulls in a heavy library at import (torch, transformers, ...): that keeps
`--help` and the data tools instant, and it is the only reason for one.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["tinyllm", "data_prep", "eval", "stages", "scripts"]
MAX_LINES = 600
# Libraries whose import takes seconds; a project module that imports one (directly or through
# another project module, at module level) may be imported inside a function.
HEAVY = {"torch", "transformers", "trl", "datasets", "deepspeed", "peft", "bitsandbytes", "accelerate", "matplotlib",
         "fastapi", "uvicorn"}


def _modules(root=ROOT):
    mods = {}
    for pkg in LAYERS:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


def _imported_names(module, path, tree, nodes=None):
    """Every dotted name an import statement anywhere in the file (or in `nodes`) may refer to."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in (ast.walk(tree) if nodes is None else nodes):
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


def _local_imports(tree):
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return {id(n): n for f in functions for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}


def light_local_imports(root=ROOT):
    """'module:line -> target' for each function-local import of a project module that imports no heavy library."""
    mods = _modules(root)
    top, local = {}, {}
    for module, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        inner = _local_imports(tree)
        outer = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in inner]
        top[module] = set(_imported_names(module, path, tree, outer))
        local[module] = [(n.lineno, set(_imported_names(module, path, tree, [n]))) for n in inner.values()]

    def project(names):
        return {n for n in names if n in mods}

    heavy, changed = set(), True
    while changed:  # a module is heavy if it imports a heavy library or a heavy project module
        changed = False
        for module in mods:
            if module not in heavy and ({n.split(".")[0] for n in top[module]} & HEAVY or project(top[module]) & heavy):
                heavy.add(module)
                changed = True
    return sorted(f"{module}:{line} -> {', '.join(sorted(targets))}" for module, imports in local.items()
                  for line, names in imports if (targets := project(names)) and not targets & heavy)


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


def _empty_packages(root):
    for pkg in LAYERS:
        (root / pkg).mkdir()
        (root / pkg / "__init__.py").write_text("")


def test_the_graph_sees_function_local_and_relative_imports(tmp_path):
    """The checks above can fail: a planted cycle hidden in a function, and an upward relative import."""
    _empty_packages(tmp_path)
    (tmp_path / "tinyllm" / "a.py").write_text("def f():\n    from tinyllm.b import g\n")
    (tmp_path / "tinyllm" / "b.py").write_text("from . import a\n")
    (tmp_path / "eval" / "c.py").write_text("def h():\n    import scripts\n")
    mods, edges = import_graph(tmp_path)
    assert _cycles(list(mods), edges) == [["tinyllm.a", "tinyllm.b"]]
    assert ("eval.c", "scripts") in edges


def test_project_modules_are_imported_inside_functions_only_when_they_are_heavy():
    assert light_local_imports() == []


def test_a_light_module_imported_inside_a_function_is_found(tmp_path):
    _empty_packages(tmp_path)
    (tmp_path / "tinyllm" / "light.py").write_text("import json\n")
    (tmp_path / "tinyllm" / "heavy.py").write_text("import torch\n")
    (tmp_path / "tinyllm" / "via.py").write_text("from tinyllm.heavy import x\n")
    (tmp_path / "stages" / "s.py").write_text("def f():\n    from tinyllm.via import y\n    from tinyllm.light import z\n")
    assert light_local_imports(tmp_path) == ["stages.s:3 -> tinyllm.light"]


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
