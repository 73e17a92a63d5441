"""Command line: ``python -m inr COMMAND ...``, one module per command group; imports only the façade.

Each group module has ``register(subparsers)``, which adds its parsers and sets ``handler`` on each
(and ``status``, where the exit code depends on the result); this module builds the parser from the
groups and is the error boundary (``main``).
"""

import argparse
import json
import sys

import numpy as np

from inr.cli import codec, compare, fit, latent, many, space, superres

DESCRIPTION = "Fit implicit neural representations to clips and render them at any scale."
GROUPS = (fit, many, superres, compare, space, codec, latent)  # in the order --help lists their commands


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2, like every bad input."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m inr", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command: 0 when it worked (or what its ``status`` makes of its result: fit-many's 1 when
    a clip failed), 2 for bad input (one line on stderr), 130 on Ctrl-C.

    A handler returning None has nothing for standard output (a rank of fit-many other than 0).
    """
    args = build_parser().parse_args(argv)
    try:
        result = args.handler(args)
    except ValueError as err:  # ClipError included: bad input gets one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130
    if getattr(args, "json", False) and result is not None:  # None: a rank other than 0 under torchrun
        print(json.dumps(result, default=_json_default))
    return args.status(result) if hasattr(args, "status") else 0


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON-able: {type(value).__name__}")
