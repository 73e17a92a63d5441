"""The CLI package: every module imports first, and every command has --help and a handler.

That the CLI has no import cycle and calls only the façade is checked with the rest of the
package in tests/test_layout.py."""

import argparse
import subprocess
import sys

import pytest

from conftest import ROOT
from inr.cli import build_parser, main

CLI = ROOT / "inr" / "cli"
MODULES = sorted(p.stem for p in CLI.glob("*.py") if p.stem != "__init__")
# The commands README.md's "Command line", "INR-V" and "Latent-INR" sections promise.
COMMANDS = {"fit", "fit-many", "render", "compare", "evaluate-sr", "compress", "decompress", "retrieve",
            "space train", "space sample", "space interpolate", "space invert", "space inpaint"}


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


@pytest.mark.slow
def test_every_module_imports_first():
    assert {"options", "progress", "fit", "compare", "superres", "space", "latent"} <= set(MODULES)
    names = [f"inr.cli.{m}" for m in MODULES]
    result = subprocess.run([sys.executable, "-c", IMPORT_EACH_FIRST, *names], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.slow
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


def test_pyproject_installs_the_inr_command_with_the_requirements_pins():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"inr": "inr.cli:main"} and callable(main)
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["inr*"]
