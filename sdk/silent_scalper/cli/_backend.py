"""Commands the backend package provides, reached through ``scalper``: ``local`` and ``admin``.

Every argument after the command name is handed over untouched, ``--help`` included, and
the backend is imported only when such a command runs, so the SDK does not depend on it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import cast

from ._common import EXIT_USAGE

INSTALL_HINT = "this command needs the backend: pip install -e 'backend[local]'"


def add_passthrough_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str, module: str
) -> None:
    """Register ``name``; it parses nothing itself and runs ``module.main(args)``."""
    parser = subparsers.add_parser(name, add_help=False, help=help_text)

    def run(args: argparse.Namespace) -> int:
        try:
            backend_cli = importlib.import_module(module)
        except ImportError as err:
            print(f"error: backend_not_installed: {INSTALL_HINT} ({err})", file=sys.stderr)
            return EXIT_USAGE
        backend_main = cast(Callable[[list[str]], int], backend_cli.main)
        return backend_main(list(args.passthrough_args))

    parser.set_defaults(handler=run, passthrough=True)
