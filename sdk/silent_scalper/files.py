"""The ``files`` resource: read file records, list them, and wait for processing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote

from ._exceptions import WaitTimeoutError
from ._http import Transport
from .models import FilePage, FileRecord, FileState

__all__ = ["Files"]

DEFAULT_WAIT_TIMEOUT = 300.0
DEFAULT_POLL_INTERVAL = 1.0
# Polling slows down gently so a long-running file does not cost a request a second.
POLL_BACKOFF = 1.5
MAX_POLL_INTERVAL = 10.0


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
            NotFoundError: No such file for this partner.
            APIStatusError: Any other error status.
            APIConnectionError: The API could not be reached.
        """
        return self._transport.get(f"/files/{quote(file_id, safe='')}", cast_to=FileRecord)

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

        Only where the API offers ``POST /files/{file_id}/reprocess``; an API without it
        answers 404 ``route_not_found`` (403 ``forbidden`` on the IAM API).

        Args:
            file_id: The file to reprocess.

        Returns:
            The record, queued for processing.

        Raises:
            NotFoundError: No such file for this partner, or no such route.
            ConflictError: The file is not quarantined or failed (``invalid_state``).
            APIStatusError: Any other error status.
            APIConnectionError: The API could not be reached.
        """
        return self._transport.post(f"/files/{quote(file_id, safe='')}/reprocess", cast_to=FileRecord, json={})

    def list(self, *, state: FileState | str | None = None, limit: int | None = None) -> Iterator[FileRecord]:
        """Iterate over all your files, newest first, fetching pages as they are needed.

        Args:
            state: Only files in this state.
            limit: Page size, 1 to 100; it does not bound the total (slice the iterator
                with ``itertools.islice`` for that).

        Returns:
            A lazy iterator; each page is requested when the previous one is used up.

        Raises:
            ValueError: ``state`` is not a known state.
            APIStatusError: An error status, raised while iterating.
            APIConnectionError: The API could not be reached, raised while iterating.
        """
        if state is not None:
            state = FileState(state)
        return self._iterate(state, limit)

    def _iterate(self, state: FileState | None, limit: int | None) -> Iterator[FileRecord]:
        cursor: str | None = None
        while True:
            page = self.list_page(state=state, limit=limit, cursor=cursor)
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


def _utc(name: str, moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, for example datetime(..., tzinfo=timezone.utc)")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
