"""The CLI package: every module imports first (no cycle), every command has --help and a handler,
and it reaches the library only through the façade."""

import argparse
import ast
import subprocess
import sys

import pytest

from conftest import ROOT
from inr import api
from inr.cli import build_parser, main

CLI = ROOT / "inr" / "cli"
MODULES = sorted(p.stem for p in CLI.glob("*.py") if p.stem != "__init__")
# The commands README.md's "Command line", "INR-V" and "Latent-INR" sections promise.
COMMANDS = {"fit", "render", "compare", "evaluate-sr", "compress", "decompress", "retrieve", "space train",
            "space sample", "space interpolate", "space invert", "space inpaint"}


def _leaves(parser: argparse.ArgumentParser, path=()) -> dict[str, argparse.ArgumentParser]:
    """'space train' -> its parser, for every command that runs something."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {" ".join(path): parser}
    return {k: v for name, p in subs[0].choices.items() for k, v in _leaves(p, (*path, name)).items()}


# Imports each module named on its command line first, as a fresh interpreter would: the CLI's
# modules are dropped between imports; torch and the façade stay loaded, so one process does it all.
IMPORT_EACH_FIRST = """
import importlib, sys
import inr.api
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "inr.cli" or m.startswith("inr.cli.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as err:
        print(f"{name}: {type(err).__name__}: {err}")
"""


def test_every_module_imports_first():
    assert {"options", "progress", "fit", "compare", "superres", "space", "latent"} <= set(MODULES)
    names = [f"inr.cli.{m}" for m in MODULES]
    result = subprocess.run([sys.executable, "-c", IMPORT_EACH_FIRST, *names], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def _cli_imports(module: str) -> set[str]:
    """The modules of inr/cli that `module` imports ('__init__' for names taken from the package)."""
    out = set()
    for node in ast.walk(ast.parse((CLI / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "inr.cli":
            out |= {a.name if a.name in MODULES else "__init__" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inr.cli."):
            out.add(node.module.removeprefix("inr.cli."))
    return out


def test_no_import_cycle_among_the_cli_modules():
    graph = {m: _cli_imports(m) for m in [*MODULES, "__init__"]}
    assert not any("__init__" in deps for m, deps in graph.items() if m != "__init__"), graph  # only main uses it

    def reach(start, seen=()):
        for dep in graph[start]:
            assert dep not in (*seen, start), f"import cycle: {' -> '.join((*seen, start, dep))}"
            reach(dep, (*seen, start))
    for module in graph:
        reach(module)


def test_python_m_inr_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "inr", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m inr"), result.stderr
    assert all(c.split()[0] in result.stdout for c in COMMANDS)


def test_every_command_is_there_and_has_a_handler():
    leaves = _leaves(build_parser())
    assert set(leaves) == COMMANDS
    for name, parser in leaves.items():
        assert callable(parser.get_default("handler")), name


@pytest.mark.parametrize("command", sorted(COMMANDS) + ["space"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command.split(), "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith(f"usage: python -m inr {command}")


def test_a_missing_command_is_one_line_and_exit_2(capsys):
    for argv in ([], ["space"], ["nonsense"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1, argv


@pytest.mark.parametrize("module", MODULES + ["__init__"])
def test_the_cli_reaches_the_library_only_through_the_facade(module):
    tree = ast.parse((CLI / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "inr":
            assert node.module == "inr.cli" or node.module.startswith("inr.cli.") or \
                (node.module == "inr" and [a.name for a in node.names] == ["api"]), ast.unparse(node)
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("inr") for a in node.names), ast.unparse(node)
        # api.X and api.method.Y: names the façade lists in __all__ (the rest is not for clients)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "api":
            assert node.attr in api.__all__, f"api.{node.attr}"
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and \
                isinstance(node.value.value, ast.Name) and node.value.value.id == "api":
            assert node.attr in getattr(api, node.value.attr).__all__, f"api.{node.value.attr}.{node.attr}"
