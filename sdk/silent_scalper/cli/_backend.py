"""Commands the backend package provides, reached through ``scalper``: ``local`` and ``admin``.

Every argument after the command name is handed over untouched, ``--help`` included, and
the backend is imported only when such a command runs, so the SDK does not depend on it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ._common import EXIT_USAGE

INSTALL_HINT = "this command needs the backend: pip install -e 'backend[local]'"
if TYPE_CHECKING:  # argparse's action type is not subscriptable at run time
    AddParser = Callable[[argparse._SubParsersAction[argparse.ArgumentParser], list[argparse.ArgumentParser]], None]


def passthrough(name: str, help_text: str, module: str) -> AddParser:
    """The ``add_parser`` of a command that runs ``module.main(args)`` with every argument."""

    def add_parser(
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
    ) -> None:
        # No parents: the backend's command parses every argument itself.
        parser = subparsers.add_parser(name, add_help=False, help=help_text)
        parser.set_defaults(handler=lambda args: _run(module, args), passthrough=True)

    return add_parser


def _run(module: str, args: argparse.Namespace) -> int:
    try:
        backend_cli = importlib.import_module(module)
    except ImportError as err:
        print(f"error: backend_not_installed: {INSTALL_HINT} ({err})", file=sys.stderr)
        return EXIT_USAGE
    backend_main = cast(Callable[[list[str]], int], backend_cli.main)
    return backend_main(list(args.passthrough_args))
