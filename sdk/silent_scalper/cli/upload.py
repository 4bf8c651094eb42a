"""``scalper upload PATH... [--wait]``: upload files and report their states."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from .._client import Client
from .._exceptions import ConfigurationError, ScalperError, WaitTimeoutError
from ..files import DEFAULT_WAIT_TIMEOUT
from ..models import FileRecord, FileState
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    error_code_and_message,
    error_json,
    open_client,
    print_error,
    print_json_line,
    print_table,
    reason_codes,
    record_json,
)

# Without --wait, a file that was accepted and is still on its way counts as a success.
_ACCEPTED = frozenset({FileState.PENDING_UPLOAD, FileState.PROCESSING, FileState.PROCESSED})


@dataclass(frozen=True)
class _Outcome:
    path: str
    record: FileRecord | None = None
    error: Exception | None = None

    def succeeded(self, waited: bool) -> bool:
        if self.error is not None or self.record is None:
            return False
        if waited:
            return self.record.state is FileState.PROCESSED
        return self.record.state in _ACCEPTED


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``upload`` command."""
    parser = subparsers.add_parser(
        "upload",
        parents=parents,
        help="upload files",
        description="Upload files. Exits 0 if every file was accepted (with --wait: "
        "processed), 1 if any was refused, quarantined or failed, 2 on usage errors.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files to upload")
    parser.add_argument("--wait", action="store_true", help="wait until each file is final")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="S",
        help="seconds to wait for each file with --wait (default: %(default)s)",
    )
    parser.add_argument(
        "--metadata",
        "-m",
        action="append",
        type=_metadata_pair,
        default=[],
        metavar="KEY=VALUE",
        help="metadata kept with every file; repeat for several pairs",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Upload each path in turn; a failure on one file does not stop the others."""
    metadata = dict(args.metadata)
    outcomes = []
    with open_client(args) as client:
        for path in args.paths:
            outcome = _upload(client, path, metadata, wait=args.wait, timeout=args.timeout)
            if args.json:
                _print_json(outcome)
            outcomes.append(outcome)
    if not args.json:
        print_table(("FILE", "FILE_ID", "STATE", "REASONS"), map(_row, outcomes))
    ok = all(outcome.succeeded(args.wait) for outcome in outcomes)
    return EXIT_OK if ok else EXIT_FAILED


def _upload(client: Client, path: str, metadata: dict[str, str], *, wait: bool, timeout: float) -> _Outcome:
    try:
        record = client.upload(path, metadata=metadata or None)
        if wait:
            record = client.wait(record.file_id, timeout=timeout)
    except WaitTimeoutError as err:
        print_error(err, subject=path)
        return _Outcome(path, record=err.record, error=err)
    except ConfigurationError:
        raise
    except (ScalperError, OSError, ValueError, TypeError) as err:
        print_error(err, subject=path)
        return _Outcome(path, error=err)
    return _Outcome(path, record=record)


def _print_json(outcome: _Outcome) -> None:
    payload: dict[str, Any] = {"path": outcome.path}
    if outcome.record is not None:
        payload |= record_json(outcome.record)
    if outcome.error is not None:
        # Not "error": a record already uses that key for processing faults.
        payload["client_error"] = error_json(outcome.error)
    print_json_line(payload)


def _row(outcome: _Outcome) -> tuple[str, str, str, str]:
    if outcome.record is None:
        code = error_code_and_message(outcome.error)[0] if outcome.error else "-"
        return (outcome.path, "-", "error", code)
    record = outcome.record
    reasons = reason_codes(record)
    if isinstance(outcome.error, WaitTimeoutError):
        reasons = outcome.error.code
    return (outcome.path, record.file_id, record.state.value, reasons)


def _metadata_pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value
