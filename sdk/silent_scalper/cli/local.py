"""``scalper local ...``: run the embedded local stack of the backend package.

Every argument after ``local`` is handed over untouched, ``--help`` included.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import cast

from ._common import EXIT_USAGE

_BACKEND_CLI = "scalper_backend.local.cli"
INSTALL_HINT = "the local stack needs the backend: pip install -e 'backend[local]'"


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``local`` command; it parses nothing itself (no ``parents``)."""
    parser = subparsers.add_parser(
        "local",
        add_help=False,
        help="run the local stack (needs the backend installed)",
    )
    parser.set_defaults(handler=run, passthrough=True)


def run(args: argparse.Namespace) -> int:
    """Import the backend's CLI only now, so the SDK does not depend on it."""
    try:
        backend_cli = importlib.import_module(_BACKEND_CLI)
    except ImportError as err:
        print(f"error: backend_not_installed: {INSTALL_HINT} ({err})", file=sys.stderr)
        return EXIT_USAGE
    backend_main = cast(Callable[[list[str]], int], backend_cli.main)
    return backend_main(list(args.passthrough_args))
