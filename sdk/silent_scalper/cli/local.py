"""``scalper local ...``: run the embedded local stack of the backend package."""

from __future__ import annotations

import argparse

from ._backend import add_passthrough_parser


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``local`` command (no ``parents``: every argument goes to the backend)."""
    add_passthrough_parser(
        subparsers, "local", "run the local stack (needs the backend installed)", "scalper_backend.local.cli"
    )
