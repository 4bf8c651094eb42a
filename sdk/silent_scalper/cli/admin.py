"""``scalper admin ...``: operators' commands (partner onboarding) of the backend package."""

from __future__ import annotations

import argparse

from ._backend import add_passthrough_parser


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``admin`` command (no ``parents``: every argument goes to the backend)."""
    add_passthrough_parser(
        subparsers, "admin", "onboard and manage partners (operators; needs the backend)", "scalper_backend.admin.cli"
    )
