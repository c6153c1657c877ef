"""The rules of the house (docs/architecture.md), checked on the source: no import cycles, the
core never imports the trackers package, layers import only downward, no branch on the
benchmark family outside that family's modules, result file names only in results/."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "rasbench"

# Bottom to top; a module may import from its own layer or below (docs/architecture.md).
LAYERS = [
    {"_version", "errors", "text", "paths", "fingerprint", "tracker", "forking", "arraypack"},  # foundations
    {"geometry"},
    {"config"},
    {"datasets"},
    {"metrics"},
    {"registry", "adapters"},  # tracker specs and foreign-toolkit adapters
    {"trax"},
    {"results"},
    {"protocols"},  # the run-time family seam
    {"runner"},
    {"evaluation"},  # the scoring family seam and the report model
    {"plots", "reports", "viewer"},  # presentation: reads only the model
    {"api"},
    {"cli", "__main__", "__init__"},
]
# Function-level imports that go up on purpose: (importer, imported module).
UPWARD_ALLOWED = {
    ("rasbench.evaluation.model", "rasbench.plots"),  # Report.plot(), the API's convenience, renders lazily
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement may load (``from a import b``: ``a`` and ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")[: None if is_package else -1]
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]


def _imports() -> dict[str, set[str]]:
    """Every import, module level and inside functions: {module: {imported dotted names}}."""
    out = {}
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out[module] = {name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                       for name in _imported(module, path.name == "__init__.py", node)}
    return out


# setup.py's extension modules: no Python source, and they import no rasbench module
COMPILED_MODULES = {"rasbench._textparse"}


def _graph() -> dict[str, set[str]]:
    """{module: rasbench modules it imports}; ``from pkg import name`` counts as importing
    ``pkg.name`` when that is a module, else ``pkg``."""
    modules = _modules()
    graph = {}
    for module, names in _imports().items():
        edges = set()
        for name in names:
            while name and name not in modules and name not in COMPILED_MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and name not in COMPILED_MODULES:  # a C module imports nothing of ours
                edges.add(name)
        graph[module] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_sees_function_level_imports():
    graph = _graph()
    assert "rasbench.plots" in graph["rasbench.evaluation.model"]  # only inside Report.plot
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    assert _cycle(_graph()) is None


def test_the_core_never_imports_the_trackers_package():
    found = sorted(f"{module} -> {name}" for module, names in _imports().items() for name in names
                   if name == "rasbench_trackers" or name.startswith("rasbench_trackers."))
    assert found == []


def _layer(module: str) -> int:
    unit = module.split(".")[1] if "." in module else "__init__"
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def test_every_module_has_a_layer():
    units = {m.split(".")[1] if "." in m else "__init__" for m in _modules()}
    assert units == set().union(*LAYERS)


def test_layers_import_only_downward():
    upward = sorted(f"{module} -> {target}" for module, targets in _graph().items() for target in targets
                    if _layer(target) > _layer(module) and (module, target) not in UPWARD_ALLOWED)
    assert upward == []


def _families() -> list[str]:
    from rasbench.protocols import FAMILIES

    return sorted(FAMILIES)


def _source_lines(exclude: re.Pattern) -> list[tuple[str, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if not exclude.match(rel):
            out += [(f"{rel}:{n}", line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    return out


# What deciding "which family" by hand looks like (a registry lookup by family name is dispatch, not a branch).
FAMILY_BRANCH = re.compile(r"""\b(family|layout|format)\s*[!=]=\s*["'](vot|otb)["']|[!=]=\s*["'](vot|ope)["']"""
                           r"""|\bif (not )?vot\b|\bvot\s*=\s*(True|False)|hasattr\([\w.]+,\s*["']eao_interval["']\)"""
                           r"""|_is_vot|PROTOCOL_LAYOUT|benchmark_layout""")


def test_no_family_branches_outside_the_family_modules():
    own = re.compile(rf"^rasbench/(protocols|results|evaluation|config)/({'|'.join(_families())})\.py$")
    found = [f"{where}: {line.strip()}" for where, line in _source_lines(own) if FAMILY_BRANCH.search(line)]
    assert found == []


# Result file names: per-frame times, repetition numbers, manifests, error records.
RESULT_FILE_NAMES = re.compile(r"""_time\.txt|_time\.value|:03d\}|manifest\.json|\.error\.json|["']times["']""")


def test_only_the_results_layouts_know_result_file_names():
    layouts = re.compile(r"^rasbench/results/")
    found = sorted({where.rpartition(":")[0] for where, line in _source_lines(layouts)
                    if RESULT_FILE_NAMES.search(line)})
    assert found == []


def test_tests_find_the_checkout_through_conftest():
    """Test files move between tests/unit, integration, reference and gpu: paths relative to
    a test file's own folder break silently, so they come from conftest (REPO, TESTS)."""
    own_folder = "Path(" + "__file__)"  # split, so this line does not find itself
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "tests").rglob("test_*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if own_folder in line]
    assert found == []


def test_compiled_modules_are_the_extensions_setup_py_builds():
    declared = set(re.findall(r'Extension\("([\w.]+)"', (REPO / "setup.py").read_text()))
    assert declared == COMPILED_MODULES
    for name in declared:
        assert (REPO / (name.replace(".", "/") + ".c")).is_file()
