"""``scalper ls``: list your files, newest first."""

from __future__ import annotations

import argparse
import itertools

from ..files import Files
from ..models import FileRecord, FileState
from ._common import EXIT_OK, open_client, positive_int, print_json_line, print_table, record_json

# The API's largest page; asking for more per page than will be shown wastes a read.
_MAX_PAGE_SIZE = 100


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    """Register the ``ls`` command."""
    parser = subparsers.add_parser("ls", parents=parents, help="list your files, newest first")
    parser.add_argument(
        "--state",
        choices=[state.value for state in FileState],
        help="only files in this state",
    )
    parser.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        help="show at most N files (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Page through the files and print them."""
    with open_client(args) as client:
        records = _records(client.files, args.state, args.limit)
        if args.json:
            for record in records:
                print_json_line(record_json(record))
        else:
            print_table(
                ("FILE_ID", "STATE", "SIZE", "CREATED_AT", "FILENAME"),
                map(_row, records),
            )
    return EXIT_OK


def _records(files: Files, state: str | None, limit: int | None) -> itertools.islice[FileRecord]:
    page_size = min(limit, _MAX_PAGE_SIZE) if limit is not None else _MAX_PAGE_SIZE
    return itertools.islice(files.list(state=state, limit=page_size), limit)


def _row(record: FileRecord) -> tuple[str, str, str, str, str]:
    created = record.created_at.isoformat(timespec="seconds")
    return (
        record.file_id,
        record.state.value,
        str(record.size),
        created,
        record.filename,
    )
