"""Reading file records for a partner: one file, some files by id, or pages of them with
opaque cursors bound to the partner and to every filter of the listing."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .adapters.files_table import FilesTable, TimeRange
from .api.schemas import FilePage, FileView
from .errors import FileNotFound, InvalidRequest
from .models import FileState
from .records import FILE_ID_PATTERN, FileRecord, timestamp

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_IDS = 100


@dataclass(frozen=True)
class ListQuery:
    """What ``GET /files`` asks for (``api/queries.py`` reads it from the query string).

    With ``ids`` the answer is exactly those of the partner's files, one page; the other
    fields are then unused. ``created_after`` is inclusive, ``created_before`` exclusive;
    ``q`` matches a substring of the filename, ignoring case.
    """

    state: FileState | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None
    ids: tuple[str, ...] | None = None

    @property
    def created(self) -> TimeRange:
        """The ``created_at`` bounds as the index compares them (both inclusive)."""
        # Timestamps are microsecond text, so "before T" is "at most T - 1 us".
        end = self.created_before - timedelta(microseconds=1) if self.created_before else None
        return TimeRange(
            start=timestamp(self.created_after) if self.created_after else None,
            end=timestamp(end) if end else None,
        )

    def fingerprint(self) -> str:
        """What a cursor of this listing is bound to, besides the partner: every filter."""
        filters = [self.state, self.created.start, self.created.end, self.q.casefold() if self.q else None]
        return hashlib.sha256(json.dumps(filters).encode()).hexdigest()[:16]


def checked_file_id(file_id: str) -> str:
    """A file id as we issue them.

    Raises:
        FileNotFound: anything else (it names no file), quoting at most 64 characters.
    """
    if not re.match(FILE_ID_PATTERN, file_id):
        shown = file_id if len(file_id) <= 64 else file_id[:64] + "..."
        raise FileNotFound(f"No file {shown!r}.")
    return file_id


def get_record(files: FilesTable, partner_id: str, file_id: str) -> FileRecord:
    """One of the partner's file records.

    Raises:
        FileNotFound: no such file for this partner, including another partner's file.
    """
    record = files.get(partner_id, checked_file_id(file_id))
    if record is None:
        raise FileNotFound(f"No file {file_id!r}.")
    return record


def get_file(files: FilesTable, partner_id: str, file_id: str) -> FileView:
    """One of the partner's files, as the API shows it.

    Raises:
        FileNotFound: see :func:`get_record`.
    """
    return FileView.of(get_record(files, partner_id, file_id))


def list_files(files: FilesTable, partner_id: str, query: ListQuery) -> FilePage:
    """One page of the partner's files, newest first; or, with ``query.ids``, those files.

    With ``q`` a page holds the matches among the next ``limit`` files, so it may be short
    or empty while ``next_cursor`` still leads on: the scan per request stays bounded.

    Raises:
        InvalidRequest: ``invalid_cursor``.
    """
    if query.ids is not None:
        records = {r.file_id: r for r in files.get_many(partner_id, query.ids)}
        return FilePage(files=[FileView.of(records[i]) for i in query.ids if i in records], next_cursor=None)
    start_key = decode_cursor(query.cursor, partner_id, query) if query.cursor else None
    page = files.list(partner_id, state=query.state, limit=query.limit, start_key=start_key, created=query.created)
    needle = query.q.casefold() if query.q else None
    return FilePage(
        files=[FileView.of(r) for r in page.records if needle is None or needle in r.filename.casefold()],
        next_cursor=encode_cursor(page.last_key, query) if page.last_key else None,
    )


def encode_cursor(last_key: dict[str, str], query: ListQuery) -> str:
    payload = {"key": last_key, "query": query.fingerprint()}
    return base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, partner_id: str, query: ListQuery) -> dict[str, str]:
    """The start key a cursor stands for, checked to belong to this partner and listing.

    A cursor is data the client hands back, so it is never trusted to pick the partition,
    and its key must lie inside the listing's bounds (DynamoDB refuses a start key outside
    the key condition with an error).

    Raises:
        InvalidRequest: ``invalid_cursor``.
    """
    invalid = InvalidRequest("cursor: not a cursor from this listing.", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(payload, dict) or set(payload) != {"key", "query"} or payload["query"] != query.fingerprint():
        raise invalid
    key = payload["key"]
    expected = {"partner_id", "file_id", "created_at"} | ({"partner_state"} if query.state else set())
    if not isinstance(key, dict) or set(key) != expected or not all(isinstance(v, str) for v in key.values()):
        raise invalid
    if key["partner_id"] != partner_id or (query.state and key["partner_state"] != f"{partner_id}#{query.state.value}"):
        raise invalid
    # Well-formed values only: DynamoDB refuses some malformed start keys with an error.
    if not re.fullmatch(FILE_ID_PATTERN, key["file_id"]) or not _TIMESTAMP.fullmatch(key["created_at"]):
        raise invalid
    bounds = query.created
    if (bounds.start and key["created_at"] < bounds.start) or (bounds.end and key["created_at"] > bounds.end):
        raise invalid
    return key
