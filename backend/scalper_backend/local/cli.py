"""``scalper local``: run the embedded stack in the foreground until Ctrl-C.

Standard output carries only shell-sourceable ``NAME=value`` lines; logs go to stderr.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

DEFAULT_PORT = 8088
DEFAULT_PARTNER = "demo"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scalper local",
        description="Run the Silent Scalper pipeline on this machine (moto on 127.0.0.1), until Ctrl-C.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"gateway port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    parser.add_argument(
        "--partner",
        action="append",
        default=[],
        metavar="NAME",
        help="create a partner and print its key as SCALPER_API_KEY_<NAME> (repeatable)",
    )
    parser.add_argument("--template", type=Path, default=None, help="template.yaml to read (default: ./template.yaml)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument(
        "--rules", type=Path, default=None, help="partner rules file (default: backend/rules/partners.toml)"
    )
    return parser


def env_name(partner: str) -> str:
    return "SCALPER_API_KEY_" + re.sub(r"[^A-Z0-9]", "_", partner.upper())


def main(argv: list[str] | None = None, *, out: TextIO | None = None, stop: threading.Event | None = None) -> int:
    """Start the stack, print the variables to use it, and serve until interrupted.

    Args:
        argv: the arguments after ``scalper local``.
        out: where the ``NAME=value`` lines go (standard output by default).
        stop: set it to shut down (Ctrl-C and SIGTERM set it too).
    """
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    # Everything else this process prints (the functions' logs included) goes to stderr,
    # so that standard output stays sourceable.
    sys.stdout = sys.stderr
    from ..errors import ScalperError
    from .stack import LocalStack

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    try:
        stack = LocalStack(args.template, port=args.port, log_level=args.log_level, rules_file=args.rules).start()
    except (ScalperError, OSError) as err:
        print(f"error: could not start the local stack: {err}", file=sys.stderr)
        return 2
    try:
        lines = [f"SCALPER_ENDPOINT={stack.endpoint}", f"SCALPER_API_KEY={stack.add_partner(DEFAULT_PARTNER)}"]
        for partner in dict.fromkeys(args.partner):
            lines.append(f"{env_name(partner)}={stack.add_partner(partner)}")
        lines.append(f"SCALPER_AWS_ENDPOINT={stack.aws_endpoint}")
        print("\n".join(lines), file=out, flush=True)
        print(f"scalper local: serving {stack.endpoint} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        stop.wait()
    except ScalperError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        stack.stop()
    return 0
