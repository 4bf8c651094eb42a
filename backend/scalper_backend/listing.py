"""Reading file records for a partner: one file, or pages of them with opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
import re

from .adapters.files_table import FilesTable
from .api.schemas import FilePage, FileView
from .errors import FileNotFound, InvalidRequest
from .models import FileState
from .records import FILE_ID_PATTERN

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def get_file(files: FilesTable, partner_id: str, file_id: str) -> FileView:
    """One of the partner's files.

    Raises:
        FileNotFound: no such file for this partner, including another partner's file.
    """
    record = files.get(partner_id, file_id) if re.match(FILE_ID_PATTERN, file_id) else None
    if record is None:
        shown = file_id if len(file_id) <= 64 else file_id[:64] + "..."
        raise FileNotFound(f"No file {shown!r}.")
    return FileView.of(record)


def parse_list_query(state: str | None, limit: str | None) -> tuple[FileState | None, int]:
    """Validate ``state`` and ``limit`` query values.

    Raises:
        InvalidRequest: an unknown state or a limit outside 1..100.
    """
    try:
        parsed_state = FileState(state) if state else None
    except ValueError:
        states = ", ".join(s.value for s in FileState)
        raise InvalidRequest(f"state: must be one of {states}.") from None
    if limit is None or limit == "":
        return parsed_state, DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,3}", limit) or not 1 <= int(limit) <= MAX_LIMIT:
        raise InvalidRequest(f"limit: must be a whole number from 1 to {MAX_LIMIT}.")
    return parsed_state, int(limit)


def list_files(
    files: FilesTable,
    partner_id: str,
    *,
    state: FileState | None,
    limit: int,
    cursor: str | None,
) -> FilePage:
    """One page of the partner's files, newest first."""
    start_key = decode_cursor(cursor, partner_id, state) if cursor else None
    page = files.list(partner_id, state=state, limit=limit, start_key=start_key)
    return FilePage(
        files=[FileView.of(record) for record in page.records],
        next_cursor=encode_cursor(page.last_key) if page.last_key else None,
    )


def encode_cursor(last_key: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(last_key, sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, partner_id: str, state: FileState | None) -> dict[str, str]:
    """The start key a cursor stands for, checked to belong to this partner and query.

    A cursor is data the client hands back, so it is never trusted to pick the partition.

    Raises:
        InvalidRequest: ``invalid_cursor``.
    """
    invalid = InvalidRequest("cursor: not a cursor from this listing.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, RecursionError):
        # RecursionError: a cursor of nested brackets, a parser's limit, not our fault.
        raise invalid from None
    expected = {"partner_id", "file_id", "created_at"} | ({"partner_state"} if state else set())
    if not isinstance(key, dict) or set(key) != expected or not all(isinstance(v, str) for v in key.values()):
        raise invalid
    if key["partner_id"] != partner_id or (state and key["partner_state"] != f"{partner_id}#{state.value}"):
        raise invalid
    # Well-formed values only: DynamoDB refuses some malformed start keys with an error.
    if not re.fullmatch(FILE_ID_PATTERN, key["file_id"]) or not _TIMESTAMP.fullmatch(key["created_at"]):
        raise invalid
    return key
