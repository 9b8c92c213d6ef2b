"""The package layers, read from the import statements with ``ast`` (every import, at any depth).

data ← compute ← judge vocabulary (checks, policy)/quality ← measurements ← judge (evidence, evaluate, diagnosis)
← pipeline ← {enforcement, publishing, report} ← cli ← flows.
(The data-quality gate judges the data against its policy section, so it sits beside judge.)
Great Expectations is imported only in ``gapgates/quality``, MLflow only in the MLflow registry,
Prefect only in ``flows/`` and ``deployments/``; of the CLI, only the commands that drive a flow run
(``run``, ``approve``/``reject``) reach it, through ``gapgates.flows``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

SOURCES = {"gapgates": ROOT / "gapgates", "gapgates.flows": ROOT / "flows", "gapgates.deployments": ROOT / "deployments"}

#: Layer of each module prefix (longest prefix wins); a module may import its own layer or lower ones.
LAYERS: dict[str, int] = {
    "gapgates.errors": 0,
    "gapgates.documents": 0,
    "gapgates.config": 0,
    "gapgates.history": 0,
    "gapgates.paths": 0,
    "gapgates.format": 0,
    "gapgates.data": 1,
    "gapgates.compute": 2,
    "gapgates.registry": 2,
    # The backend table: what a registry location is (config asks it whether a location is a directory,
    # keeps the history, takes an alias). It names each backend's class by import path and imports none.
    "gapgates.registry.backends": 0,
    # the judging vocabulary (checks, rules as data, the policy) below the measurements that declare their rules...
    "gapgates.judge.checks": 3,
    "gapgates.judge.policy": 3,
    "gapgates.quality": 3,
    # ...the charts draw with matplotlib alone, for the measurements' sections
    "gapgates.report.charts": 3,
    # one module per measurement: compute call, evidence, rules, diagnosis and advice, report section
    "gapgates.measurements": 4,
    # ...and the rest of judge above them: the evidence, evaluate, the diagnosis loop over their registry
    "gapgates.judge": 5,
    "gapgates.pipeline": 6,
    "gapgates.enforcement": 7,
    "gapgates.publishing": 7,
    "gapgates.gate": 7,
    "gapgates.report": 7,
    "gapgates.notify": 7,
    "gapgates.demo": 7,
    "gapgates.cli": 8,
    "gapgates.__main__": 8,
    "gapgates": 8,
    "gapgates.flows": 9,
    "gapgates.deployments": 9,
}


def _module_name(prefix: str, root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([prefix, *parts])


def modules() -> dict[str, Path]:
    """Every module of the distribution, by its installed dotted name."""
    found = {}
    for prefix, root in SOURCES.items():
        for path in root.rglob("*.py"):
            found[_module_name(prefix, root, path)] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:`` (annotations only: no runtime dependency)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skipped


def imports(module: str, path: Path) -> Iterator[tuple[str, tuple[str, ...], int]]:
    """``(imported module, imported names, line)`` of every import statement in a file, at any depth.

    Imports under ``if TYPE_CHECKING:`` are left out: they exist for annotations only.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base, tuple(a.name for a in node.names), node.lineno


#: The CLI modules that drive a Prefect flow run (``gapgates run``; ``gapgates approve|reject``), through gapgates.flows.
PREFECT_COMMANDS = frozenset({"gapgates.cli.run", "gapgates.cli.approval"})


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


MODULES = modules()


def _resolve(base: str, names: tuple[str, ...]) -> list[str]:
    """The gapgates modules an import statement uses (``from gapgates.x import y`` may name module x.y)."""
    submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
    targets = submodules if names and len(submodules) == len(names) else [base, *submodules]
    return [t for t in targets if t == "gapgates" or t.startswith("gapgates.")]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    path = MODULES[module]
    for base, names, line in imports(module, path):
        for target in _resolve(base, names):
            if target == "gapgates" and names == ("__version__",):
                continue  # the version is metadata, not a layer
            if module in PREFECT_COMMANDS and target.startswith("gapgates.flows"):
                continue  # the commands that drive a flow run reach Prefect through gapgates.flows
            assert layer(target) <= layer(module), f"{path}:{line}: {module} (layer {layer(module)}) imports {target}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_across_modules(module):
    path = MODULES[module]
    for base, names, line in imports(module, path):
        if not base.startswith("gapgates"):
            continue
        private = [n for n in (*base.split("."), *names) if n.startswith("_") and n != "__version__"]
        assert not private, f"{path}:{line}: imports private {private} from {base}"


OWNERS = {
    "great_expectations": ("gapgates.quality",),
    "mlflow": ("gapgates.registry.mlflow",),
    "prefect": ("gapgates.flows", "gapgates.deployments"),
    "prefect_dask": ("gapgates.flows",),
}


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_optional_dependencies_have_one_home(library):
    owners = OWNERS[library]
    for module, path in MODULES.items():
        for base, _, line in imports(module, path):
            if base == library or base.startswith(library + "."):
                assert any(module == o or module.startswith(o + ".") for o in owners), (
                    f"{path}:{line}: {module} imports {library}; only {owners} may"
                )


def test_the_cli_reaches_flows_only_from_the_commands_that_drive_a_flow_run():
    reaching = set()
    for module, path in MODULES.items():
        if not module.startswith("gapgates.cli"):
            continue
        for base, names, line in imports(module, path):
            if any(t.startswith("gapgates.flows") for t in _resolve(base, names)):
                assert module in PREFECT_COMMANDS, f"{path}:{line}: only {sorted(PREFECT_COMMANDS)} may reach Prefect flows"
                reaching.add(module)
    assert reaching == PREFECT_COMMANDS  # no stale entry keeps the door open


def test_no_import_cycles():
    """Not even through imports inside functions: the graph of every import is acyclic."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        deps: set[str] = set()
        for base, names, _ in imports(module, path):
            if names == ("__version__",):
                continue
            deps.update(t for t in _resolve(base, names) if t in MODULES and t != module)
        graph[module] = deps
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(dep) :], dep]))
            if dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_layer_map_covers_every_module():
    assert all(layer(m) >= 0 for m in MODULES)
    assert "gapgates.flows.retrain" in MODULES and "gapgates.quality.gx" in MODULES
