"""The ``scalper`` command line: one module per command.

Exit codes: 0 success, 1 a file or request failed, 2 usage or configuration errors,
130 interrupted (Ctrl-C). Errors are printed as ``error: <code>: <message>``, never as a
traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .._config import API_KEY_ENV, AUTH_ENV, AUTH_MODES, ENDPOINT_ENV
from .._exceptions import ConfigurationError, ScalperError
from .._version import __version__
from . import admin, dashboard, doctor, local, ls, status, upload, validate
from ._common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, print_error

__all__ = ["build_parser", "main"]

_COMMANDS = (upload, status, ls, validate, doctor, local, admin, dashboard)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``scalper`` parser with one subcommand per command module."""
    parser = argparse.ArgumentParser(prog="scalper", description="Upload files to Silent Scalper and follow them.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_connection_options(parser, default=None)
    # The same options after the command name; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    _add_connection_options(common, default=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in _COMMANDS:
        command.add_parser(subparsers, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The exit code: 0 success, 1 failure, 2 usage or configuration error, 130
        interrupted.
    """
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if getattr(args, "passthrough", False):
            args.passthrough_args = extra
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exit_:
        # argparse exits on --help, --version and usage errors; report it as a code.
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        code: int = args.handler(args)
    except ConfigurationError as err:
        print_error(err)
        return EXIT_USAGE
    except ScalperError as err:
        print_error(err)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return code


def _add_connection_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--endpoint",
        default=default,
        help=f"API base URL including the stage (default: ${ENDPOINT_ENV})",
    )
    parser.add_argument("--api-key", default=default, help=f"partner API key (default: ${API_KEY_ENV})")
    parser.add_argument(
        "--auth",
        default=default,
        choices=AUTH_MODES,
        help=f"api_key, or iam to sign with SigV4 from the AWS credential chain (default: ${AUTH_ENV}, else api_key)",
    )
    parser.add_argument(
        "--region",
        default=default,
        help="region to sign IAM requests for (default: from the endpoint, else $AWS_REGION)",
    )
