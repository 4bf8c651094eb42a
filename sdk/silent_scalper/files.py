"""The ``files`` resource: read file records, list them, and wait for processing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ._exceptions import InvalidArgumentError, WaitTimeoutError
from ._http import Transport
from .models import FilePage, FileRecord, FileState

__all__ = ["Files"]

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 1.0
# Polling slows down gently so a long-running file does not cost a request a second.
POLL_BACKOFF = 1.5
MAX_POLL_INTERVAL = 10.0
# wait_many starts fast (processing a small file takes milliseconds), backs off while
# nothing changes, and starts fast again as soon as a file becomes final.
MANY_POLL_INTERVAL = 0.1
MANY_MAX_POLL_INTERVAL = 5.0
# GET /files?ids= takes at most this many ids; bigger sets are read in parallel chunks.
IDS_PER_REQUEST = 100
PARALLEL_READS = 4


class Files:
    """Read the records of your files: ``client.files``.

    Args:
        transport: The API transport.
        clock: A monotonic clock in seconds, used by ``wait``; tests replace it.
        sleep: Called with the delay between polls in ``wait``; tests replace it.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._sleep = sleep

    def get(self, file_id: str) -> FileRecord:
        """Fetch one file record.

        Args:
            file_id: The id returned when the file was uploaded.

        Returns:
            The record.

        Raises:
            InvalidArgumentError: ``file_id`` is not a non-empty string.
            NotFoundError: No such file for this partner.
            APIStatusError: Any other error status.
            APIConnectionError: The API could not be reached.
        """
        _check_file_id(file_id)
        return self._transport.get(f"/files/{quote(file_id, safe='')}", cast_to=FileRecord)

    def get_many(self, file_ids: Iterable[str]) -> dict[str, FileRecord]:
        """Fetch the records of many files, 100 per request (``GET /files?ids=``).

        Args:
            file_ids: The ids; duplicates are read once.

        Returns:
            The records by file id; ids this partner has no file for are absent.

        Raises:
            InvalidArgumentError: An id is not a non-empty string.
            APIStatusError: An error status.
            APIConnectionError: The API could not be reached.
        """
        ids = _unique_ids(file_ids)
        chunks = [ids[i : i + IDS_PER_REQUEST] for i in range(0, len(ids), IDS_PER_REQUEST)]
        if len(chunks) <= 1:
            pages = [self._by_ids(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(min(PARALLEL_READS, len(chunks)), thread_name_prefix="scalper-read") as pool:
                pages = list(pool.map(self._by_ids, chunks))
        return {record.file_id: record for page in pages for record in page.files}

    def _by_ids(self, ids: Sequence[str]) -> FilePage:
        return self._transport.get("/files", cast_to=FilePage, params={"ids": ",".join(ids)})

    def list_page(
        self,
        *,
        state: FileState | str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        q: str | None = None,
    ) -> FilePage:
        """Fetch one page of your files, newest first.

        Args:
            state: Only files in this state.
            limit: Page size, 1 to 100 (the server's default is 25).
            cursor: The ``next_cursor`` of the previous page (with the same filters).
            created_after: Only files created at or after this time (timezone-aware).
            created_before: Only files created before this time (timezone-aware).
            q: Only files whose filename contains this text (case-insensitive); a page
                may then hold fewer than ``limit`` files while ``next_cursor`` goes on.

        Returns:
            The page; its ``next_cursor`` is ``None`` on the last page.

        Raises:
            ValueError: ``state`` is not a known state, or a time has no time zone.
            BadRequestError: ``limit`` is out of range or ``cursor`` is not valid.
            APIStatusError: Any other error status.
            APIConnectionError: The API could not be reached.
        """
        params: dict[str, str | int] = {}
        if state is not None:
            params["state"] = FileState(state).value
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["cursor"] = cursor
        for name, moment in (("created_after", created_after), ("created_before", created_before)):
            if moment is not None:
                params[name] = _utc(name, moment)
        if q is not None:
            params["q"] = q
        return self._transport.get("/files", cast_to=FilePage, params=params)

    def reprocess(self, file_id: str) -> FileRecord:
        """Send a quarantined or failed file through processing again.

        ``POST /files/{file_id}/reprocess``: the file is judged again under the rules in
        force now; the record's ``history`` keeps how each attempt ended. An older API
        without the route answers 404 ``route_not_found`` (403 ``forbidden`` on the IAM API).

        Args:
            file_id: The file to reprocess.

        Returns:
            The record, queued for processing.

        Raises:
            InvalidArgumentError: ``file_id`` is not a non-empty string.
            NotFoundError: No such file for this partner, or no such route.
            ConflictError: The file is not quarantined or failed (``invalid_state``).
            APIStatusError: Any other error status.
            APIConnectionError: The API could not be reached.
        """
        _check_file_id(file_id)
        return self._transport.post(f"/files/{quote(file_id, safe='')}/reprocess", cast_to=FileRecord, json={})

    def list(
        self,
        *,
        state: FileState | str | None = None,
        limit: int | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        q: str | None = None,
    ) -> Iterator[FileRecord]:
        """Iterate over all your files, newest first, fetching pages as they are needed.

        Args:
            state: Only files in this state.
            limit: Page size, 1 to 100; it does not bound the total (slice the iterator
                with ``itertools.islice`` for that).
            created_after: Only files created at or after this time (timezone-aware).
            created_before: Only files created before this time (timezone-aware).
            q: Only files whose filename contains this text (case-insensitive).

        Returns:
            A lazy iterator; each page is requested when the previous one is used up.

        Raises:
            ValueError: ``state`` is not a known state.
            APIStatusError: An error status, raised while iterating.
            APIConnectionError: The API could not be reached, raised while iterating.
        """
        if state is not None:
            state = FileState(state)
        filters = {"created_after": created_after, "created_before": created_before, "q": q}
        return self._iterate(state, limit, filters)

    def _iterate(self, state: FileState | None, limit: int | None, filters: dict[str, Any]) -> Iterator[FileRecord]:
        cursor: str | None = None
        while True:
            page = self.list_page(state=state, limit=limit, cursor=cursor, **filters)
            yield from page.files
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def wait(
        self,
        file_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        interval: float = DEFAULT_POLL_INTERVAL,
    ) -> FileRecord:
        """Poll a file until it reaches a final state (see ``FileRecord.is_final``).

        Args:
            file_id: The file to wait for.
            timeout: Seconds to wait before giving up.
            interval: Seconds before the second poll; later polls wait a little longer
                each time, up to 10 seconds (or ``interval``, if larger).

        Returns:
            The final record: ``processed``, ``quarantined`` or ``failed`` for good.

        Raises:
            WaitTimeoutError: Not final after ``timeout``; carries the last record.
            APIStatusError: An error status while polling.
            APIConnectionError: The API could not be reached.
        """
        deadline = self._clock() + timeout
        delay = interval
        max_delay = max(interval, MAX_POLL_INTERVAL)
        while True:
            record = self.get(file_id)
            if record.is_final:
                return record
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise WaitTimeoutError(record, timeout=timeout)
            self._sleep(min(delay, remaining))
            delay = min(delay * POLL_BACKOFF, max_delay)

    def wait_many(
        self,
        file_ids: Iterable[str],
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        interval: float = MANY_POLL_INTERVAL,
        max_interval: float = MANY_MAX_POLL_INTERVAL,
    ) -> Iterator[FileRecord]:
        """Follow many files at once, yielding each record as soon as it is final.

        Each poll reads only the files not yet final, 100 per ``GET /files?ids=``
        request. Polls start ``interval`` apart and slow down (x1.5, up to
        ``max_interval``) while nothing changes; a poll that finds a file final starts
        fast again.

        Args:
            file_ids: The files to follow; duplicates are followed once.
            timeout: Seconds before giving up on the files still not final.
            interval: Seconds between the first polls.
            max_interval: The longest pause between polls.

        Returns:
            A lazy iterator of final records, in the order they became final.

        Raises:
            InvalidArgumentError: An id is not a non-empty string (raised at once).
            NotFoundError: A file does not exist for this partner (while iterating).
            WaitTimeoutError: Files were still not final after ``timeout``; its
                ``records`` holds their last records (while iterating).
            APIStatusError: An error status while polling.
            APIConnectionError: The API could not be reached.
        """
        ids = _unique_ids(file_ids)
        return self._follow(ids, timeout, interval, max(interval, max_interval))

    def _follow(self, ids: Sequence[str], timeout: float, interval: float, max_interval: float) -> Iterator[FileRecord]:
        deadline = self._clock() + timeout
        pending: dict[str, None] = dict.fromkeys(ids)
        delay = interval
        while pending:
            records = self.get_many(pending)
            for file_id in pending:
                if file_id not in records:
                    # Absent from the listing: read it alone, which says "not found"
                    # clearly (and covers a listing that lags behind a new file).
                    records[file_id] = self.get(file_id)
            finished = [records[file_id] for file_id in pending if records[file_id].is_final]
            for record in finished:
                del pending[record.file_id]
                yield record
            if not pending:
                return
            remaining = deadline - self._clock()
            if remaining <= 0:
                stuck = [records[file_id] for file_id in pending]
                raise WaitTimeoutError(stuck[0], timeout=timeout, pending=stuck)
            if finished:
                delay = interval  # files are finishing: look again soon
            self._sleep(min(delay, remaining))
            delay = min(delay * POLL_BACKOFF, max_interval)


def _utc(name: str, moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidArgumentError(f"{name} must be timezone-aware, for example datetime(..., tzinfo=timezone.utc)")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_file_id(file_id: object) -> None:
    if not isinstance(file_id, str) or not file_id:
        raise InvalidArgumentError(
            f"file_id must be a non-empty string such as 'f_01jdq3w6x1f8m3zq1v6k7c2n4r', got {file_id!r}"
        )


def _unique_ids(file_ids: Iterable[str]) -> list[str]:
    if isinstance(file_ids, str):
        raise InvalidArgumentError("file_ids must be a list of ids, not one string: pass [file_id]")
    ids = list(dict.fromkeys(file_ids))
    for file_id in ids:
        _check_file_id(file_id)
    return ids
