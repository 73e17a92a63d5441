"""The architecture the folders promise, checked on the source: who may import whom, no cycles,
and a façade whose ``__all__`` holds every name its clients call."""

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT
from inr import api

PACKAGE = ROOT / "inr"
CLIENTS = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((PACKAGE / "cli").glob("*.py"))]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """The modules of `inr` that a file imports (a name imported from a package counts as its
    submodule when there is one)."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "inr")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "inr":
                continue
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if child in MODULES else base)
    return found


GRAPH = {name: {m for m in imports(path) if m in MODULES} for name, path in MODULES.items()}


def test_the_package_has_no_import_cycle():
    done, stack = set(), []

    def visit(name):
        if name in stack:
            cycle = stack[stack.index(name):] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        stack.append(name)
        for child in sorted(GRAPH[name]):
            visit(child)
        stack.pop()
        done.add(name)

    for name in sorted(GRAPH):
        visit(name)


@pytest.mark.parametrize("layer, forbidden", [
    ("inr.core", ("inr.methods", "inr.archs", "inr.api", "inr.cli")),  # the engine knows no method and no client
    ("inr.methods", ("inr.archs", "inr.api", "inr.cli")),  # methods build on the engine, never on the façade
])
def test_layers_import_only_downwards(layer, forbidden):
    wrong = [f"{name} imports {m}" for name, deps in GRAPH.items() if name.startswith(layer)
             for m in deps if m.startswith(forbidden)]
    assert not wrong, wrong


# The engine's concepts, each a sub-package, and the ones below it that it may import: media reads
# and writes files, field is the model and its pixels, evaluate scores frames and files, train fits
# a field, report draws what a fit did, many spreads fits over clips.
ENGINE_LAYERS = {
    "media": set(),
    "field": {"media"},
    "evaluate": {"media"},
    "train": {"media", "field", "evaluate"},
    "report": {"media", "field", "evaluate", "train"},
    "many": {"media"},
}


def test_the_engine_is_its_concept_folders_only():
    core = PACKAGE / "core"
    loose = sorted(p.name for p in core.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"engine modules outside a concept folder: {loose}"
    folders = sorted(p.name for p in core.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == sorted(ENGINE_LAYERS), folders


def test_each_engine_concept_imports_only_the_ones_below_it():
    def concept(name):
        parts = name.split(".")
        return parts[2] if len(parts) > 3 and parts[1] == "core" else None

    wrong = [f"{name} imports {m}" for name, deps in GRAPH.items() if concept(name)
             for m in deps if concept(m) and concept(m) != concept(name)
             and concept(m) not in ENGINE_LAYERS[concept(name)]]
    assert not wrong, wrong


# Compare fits the other methods' models side by side (the codec's file), so it alone builds on
# them; none of them may import it or each other.
COMPOSERS = {"compare"}


def test_a_method_does_not_import_another_method():
    def method(name):
        parts = name.split(".")
        return parts[2] if len(parts) > 2 and parts[1] == "methods" else None

    wrong = [f"{name} imports {m}" for name, deps in GRAPH.items() if method(name) and method(name) not in COMPOSERS
             for m in deps if method(m) and method(m) != method(name)]
    assert not wrong, wrong
    wrong = [f"{name} imports {m}" for name, deps in GRAPH.items() if method(name)
             for m in deps if method(m) in COMPOSERS and method(m) != method(name)]
    assert not wrong, wrong


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_studio_and_the_command_line_import_only_the_facade(path):
    outside = {m for m in imports(path) if m != "inr.api" and not m.startswith("inr.cli")}
    assert not outside, f"{path.name} imports {sorted(outside)}: call them through inr.api"


@pytest.mark.parametrize("path", CLIENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_facade_name_a_client_calls_is_in_its_contract(path):
    text = path.read_text()
    missing = set()
    for top, sub in re.findall(r"\bapi\.(\w+)(?:\.(\w+))?", text):
        if top not in api.__all__:
            missing.add(top)
        elif sub and top in ("compare", "superres", "inr_v", "latent_inr", "codec") and sub not in getattr(api, top).__all__:
            missing.add(f"{top}.{sub}")
    assert not missing, f"{path.name} calls api names outside __all__: {sorted(missing)}"


def test_the_facade_contract_names_only_what_exists_and_aliases_nothing():
    assert len(api.__all__) == len(set(api.__all__))
    for name in api.__all__:
        assert hasattr(api, name), name
    for namespace in (api.compare, api.superres, api.inr_v, api.latent_inr, api.codec):
        for name in namespace.__all__:
            assert hasattr(namespace, name), f"{namespace.__name__}.{name}"
    tree = ast.parse((PACKAGE / "api.py").read_text())
    aliased = [a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for a in node.names if a.asname]
    assert not aliased, f"the façade renames {aliased}: export each name under its own"


def test_one_module_steps_an_optimizer():
    """Every trainer supplies its step to the one loop (core/train/loop.py), which alone steps optimizers."""
    stepping = sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
                      if re.search(r"optim[a-z_]*\.step\(\)", p.read_text()))
    assert stepping == ["inr/core/train/loop.py"], stepping


# Every method folder has the same files where they apply: __init__ (its public namespace, its
# __all__), model (its configs and module), trainer (its steps on the one loop), fileformat (its
# file) and workflow (what the CLI, the studio and the benches call). What a method lacks is
# named here with the reason; anything else in its folder is its own concept.
SKELETON = ("model", "trainer", "fileformat", "workflow")
NOT_ITS_OWN = {
    "compare": {"trainer": "fits through the engine's field trainer",
                "fileformat": "writes the engine's checkpoints"},
    "motion": {"fileformat": "a field: the engine's checkpoint holds it",
               "workflow": "an architecture (arch.py, its row): the engine's run fits and renders it"},
    "superres": {"model": "scores the engine's fields", "trainer": "the engine's fit",
                 "fileformat": "writes no file of its own"},
}
METHODS = sorted(p.name for p in (PACKAGE / "methods").iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("method", METHODS)
def test_every_method_folder_follows_the_skeleton(method):
    folder = PACKAGE / "methods" / method
    lacks = NOT_ITS_OWN.get(method, {})
    for name in SKELETON:
        present = (folder / f"{name}.py").exists()
        assert present != (name in lacks), (f"{method}/{name}.py " + ("is there but listed as not its own" if present
                                            else "is missing: add it, or say why in NOT_ITS_OWN"))
    assert "__all__" in (folder / "__init__.py").read_text(), f"{method}/__init__.py lists no __all__"


def test_the_method_list_is_the_facade_namespaces():
    assert set(METHODS) == {"codec", "compare", "inr_v", "latent_inr", "motion", "superres"}
    for method in METHODS:
        assert method in api.__all__, method
