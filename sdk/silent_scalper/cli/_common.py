"""What the commands share: the client, error lines, tables and JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from .._client import Client
from .._exceptions import APIError, ScalperError
from ..models import FileRecord

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def client_options(args: argparse.Namespace) -> dict[str, Any]:
    """The client's connection settings from ``--endpoint``/``--api-key``/``--auth``/``--region``."""
    return {"endpoint": args.endpoint, "api_key": args.api_key, "auth": args.auth, "region": args.region}


def open_client(args: argparse.Namespace) -> Client:
    """Build the client from the connection options, else the environment."""
    return Client(**client_options(args))


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def error_code_and_message(err: Exception) -> tuple[str, str]:
    """Describe an error as a stable code and a sentence, without a traceback."""
    if isinstance(err, APIError):
        suffix = f" (request_id {err.request_id})" if err.request_id else ""
        return err.code, f"{err.message}{suffix}"
    if isinstance(err, ScalperError):
        return err.code, err.message
    if isinstance(err, OSError):
        return "io_error", err.strerror or str(err)
    return "invalid_argument", str(err)


def print_error(err: Exception, *, subject: str | None = None) -> None:
    """Print ``error: <code>: [<subject>: ]<message>`` to stderr."""
    code, message = error_code_and_message(err)
    prefix = f"{subject}: " if subject else ""
    print(f"error: {code}: {prefix}{message}", file=sys.stderr)


def error_json(err: Exception) -> dict[str, Any]:
    """The JSON form of an error, for ``--json`` output."""
    code, message = error_code_and_message(err)
    payload: dict[str, Any] = {"code": code, "message": message}
    if isinstance(err, APIError):
        payload["status_code"] = err.status_code
        payload["request_id"] = err.request_id
    return payload


def print_json_line(payload: dict[str, Any]) -> None:
    """Print one JSON object on one line and flush, so a pipe sees it at once."""
    print(json.dumps(payload, sort_keys=False), flush=True)


def record_json(record: FileRecord) -> dict[str, Any]:
    """The record as JSON-ready values (datetimes as ISO 8601 strings)."""
    return record.model_dump(mode="json")


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Print rows under headers in left-aligned columns."""
    table = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers))]
    for row in table:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
