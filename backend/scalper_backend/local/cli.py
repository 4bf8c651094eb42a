"""``scalper local``: run the embedded stack in the foreground until Ctrl-C.

Standard output carries only shell-sourceable ``NAME=value`` lines; logs go to stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from .faults import DEFAULT_WINDOW_SECONDS, Faults
from .moto_service import DEFAULT_REGION, LOOPBACK, MotoService
from .whole_lines import WholeLines

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
        "--iam-port",
        type=int,
        default=None,
        help="the IAM (SigV4) gateway's port (default: the next one after --port, or a free one with --port 0)",
    )
    parser.add_argument(
        "--partner",
        action="append",
        default=[],
        metavar="NAME",
        help="create a partner and print its API key and IAM credentials (repeatable)",
    )
    parser.add_argument(
        "--no-throttle",
        action="store_true",
        help="do not enforce the usage plan's and the stage's rate limits (for benchmarks; AWS always does)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="most worker processes per function; the processor runs min(the template's MaximumConcurrency, N) "
        "batches at once (default: twice this machine's cores)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=SHARE",
        help="inject a fault (repeatable): raise, raise-always, hang, kill, s3-slowdown, dynamodb-throttle; "
        "see docs/local-stack.md",
    )
    parser.add_argument(
        "--fault-window",
        type=float,
        default=DEFAULT_WINDOW_SECONDS,
        metavar="SECONDS",
        help=f"how long s3-slowdown and dynamodb-throttle last from the start (default {DEFAULT_WINDOW_SECONDS:g})",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help="the upload queue's visibility timeout instead of the template's (fault runs: retries in seconds)",
    )
    parser.add_argument("--template", type=Path, default=None, help="template.yaml to read (default: ./template.yaml)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument(
        "--rules",
        type=Path,
        default=None,
        help="partner rules file (default: backend/rules/partners.toml); edits are picked up, as a deploy would",
    )
    parser.add_argument(
        "--sweep-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run the scheduled sweeper this often (default: the template's schedule, 5 minutes)",
    )
    parser.add_argument(
        "--summary-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="print a summary line (files by state, queue depth) this often on stderr; 0: never (default 30)",
    )
    return parser


def env_name(prefix: str, partner: str) -> str:
    """``<prefix>_<NAME>``: the partner id upper-cased, anything but A-Z and 0-9 as ``_``."""
    return f"{prefix}_" + re.sub(r"[^A-Z0-9]", "_", partner.upper())


def main(argv: list[str] | None = None, *, out: TextIO | None = None, stop: threading.Event | None = None) -> int:
    """Start the stack, print the variables to use it, and serve until interrupted.

    Run as a process of its own (no ``stop`` given, on the main thread), it ends the process
    once the stack has stopped, skipping the interpreter's finalisation: collecting the
    whole in-memory AWS state there was seen to hang past a minute after a long test session.

    Args:
        argv: the arguments after ``scalper local``.
        out: where the ``NAME=value`` lines go (standard output by default).
        stop: set it to shut down (Ctrl-C and SIGTERM set it too).
    """
    owns_process = stop is None and threading.current_thread() is threading.main_thread()
    code = _serve(argv, out=out, stop=stop)
    if owns_process:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        os._exit(code)
    return code


def _serve(argv: list[str] | None, *, out: TextIO | None, stop: threading.Event | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        faults = Faults.parse(args.fault, window=args.fault_window)
    except ValueError as err:
        parser.error(str(err))
    out = out or sys.stdout
    # moto loads in its own process while this one imports the stack.
    moto = MotoService(LOOPBACK, DEFAULT_REGION).launch()
    # Everything else this process prints (the functions' logs and metrics included) goes
    # to stderr, so that standard output stays sourceable; a whole line at a time, since
    # several threads print and a line is a record (a log line, an EMF blob).
    sys.stdout = sys.stderr = WholeLines(sys.stderr)
    from ..errors import ScalperError
    from .stack import LocalStack

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    iam_port = args.iam_port if args.iam_port is not None else (args.port + 1 if args.port else 0)
    try:
        stack = LocalStack(
            args.template,
            port=args.port,
            iam_port=iam_port,
            log_level=args.log_level,
            throttle=not args.no_throttle,
            rules_file=args.rules,
            workers=args.workers,
            faults=faults,
            visibility_timeout=args.visibility_timeout,
            moto=moto,
            sweep_interval=args.sweep_interval,
            summary_interval=args.summary_interval,
        ).start()
    except (ScalperError, OSError) as err:
        moto.stop()
        print(f"error: could not start the local stack: {err}", file=sys.stderr)
        return 2
    try:
        names = list(dict.fromkeys([DEFAULT_PARTNER, *args.partner]))
        for name in names:
            stack.add_partner(name)
        partners = [stack.partners[name] for name in names]
        lines = [f"SCALPER_ENDPOINT={stack.endpoint}", f"SCALPER_API_KEY={partners[0].api_key}"]
        lines += [f"{env_name('SCALPER_API_KEY', p.partner_id)}={p.api_key}" for p in partners[1:]]
        lines.append(f"SCALPER_IAM_ENDPOINT={stack.iam_endpoint}")
        for partner in partners:
            lines.append(f"{env_name('SCALPER_AWS_ACCESS_KEY_ID', partner.partner_id)}={partner.access_key_id}")
            lines.append(f"{env_name('SCALPER_AWS_SECRET_ACCESS_KEY', partner.partner_id)}={partner.secret_access_key}")
        lines.append(f"SCALPER_S3_ENDPOINT={stack.s3_endpoint}")
        lines.append(f"SCALPER_AWS_ENDPOINT={stack.aws_endpoint}")  # last: readers may stop at it
        print("\n".join(lines), file=out, flush=True)
        print(
            f"scalper local: serving {stack.endpoint} and {stack.iam_endpoint} (Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        stop.wait()
    except ScalperError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        stack.stop()
    return 0
