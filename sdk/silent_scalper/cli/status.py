"""``scalper status FILE_ID``: show one file's record."""

from __future__ import annotations

import argparse

from ..models import FileRecord
from ._common import EXIT_OK, open_client, print_json_line, record_json


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``status`` command."""
    parser = subparsers.add_parser("status", parents=parents, help="show one file's record")
    parser.add_argument("file_id", metavar="FILE_ID")
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Fetch the record and print it."""
    with open_client(args) as client:
        record = client.get(args.file_id)
    if args.json:
        print_json_line(record_json(record))
    else:
        for label, value in _fields(record):
            print(f"{label:<12}{value}")
    return EXIT_OK


def _fields(record: FileRecord) -> list[tuple[str, str]]:
    fields = [
        ("file_id", record.file_id),
        ("filename", record.filename),
        ("state", record.state.value),
        ("size", str(record.size)),
        ("created_at", record.created_at.isoformat()),
        ("updated_at", record.updated_at.isoformat()),
    ]
    fields += [("reason", f"{reason.code}: {reason.message}") for reason in record.reasons]
    if record.output is not None:
        fields.append(("output", f"s3://{record.output.bucket}/{record.output.key}"))
    if record.quarantine is not None:
        fields.append(("quarantine", f"s3://{record.quarantine.bucket}/{record.quarantine.key}"))
    if record.error is not None:
        retry = "will be retried" if record.error.retryable else "not retried"
        fields.append(("error", f"{record.error.code}: {record.error.message} ({retry})"))
    return fields
