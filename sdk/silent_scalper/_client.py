"""The client: configuration, transport and resources in one object."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Self

import requests
from requests.auth import AuthBase

from ._auth import ApiKeyAuth, auth_fingerprint, iam_auth
from ._config import AuthMode, resolve_api_key, resolve_auth_mode, resolve_endpoint, resolve_region
from ._exceptions import ConfigurationError
from ._http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, Timeout, Transport
from ._journal import FileJournal, Journal
from ._multipart import DEFAULT_MULTIPART_THRESHOLD
from ._progress import ProgressCallback
from ._retry import RetryPolicy
from ._sources import FileSource, PathSource
from ._storage import Storage
from ._validate import PreFlight, Validation
from .files import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, MANY_MAX_POLL_INTERVAL, MANY_POLL_INTERVAL, Files
from .models import FileRecord, FileState
from .uploads import DEFAULT_CONCURRENCY, UploadResult, Uploads

__all__ = ["Client"]


class Client:
    """A connection to the Silent Scalper API for one partner.

    Holds two pooled HTTP sessions (one for the API, one for storage, which never sees
    the credentials), the credentials, the timeouts, the retry policy and the resume
    journal; close it (or use it as a context manager) when done.

    Args:
        endpoint: The API base URL, stage included (``https://.../v1``); defaults to
            ``SCALPER_ENDPOINT`` (with IAM auth, ``SCALPER_IAM_ENDPOINT`` first).
        api_key: The partner API key; defaults to ``SCALPER_API_KEY``. Only for
            ``auth="api_key"``.
        auth: ``"api_key"`` (the default, or ``SCALPER_AUTH``), ``"iam"`` (SigV4 with
            the standard AWS credential chain; needs ``pip install
            'silent-scalper[iam]'``), or any ``requests`` auth object.
        region: The region IAM requests are signed for; defaults to the one in an
            ``execute-api`` host name, then ``AWS_REGION``/``AWS_DEFAULT_REGION``.
        timeout: Seconds, or ``(connect, read)``, for each HTTP request.
        max_retries: Retries of a request that is safe to repeat (reads, declarations
            with their idempotency key, uploads of bytes) on connection errors, 429
            and 5xx.
        session: A ``requests.Session`` for API requests (proxies, certificates); it is
            not closed by the client.
        concurrency: Files (and parts) in flight at once in bulk and multipart uploads.
        multipart_threshold: Files of at least this many bytes go in parts (64 MiB).
        part_size: Bytes per part (default 16 MiB, grown so a file has at most 1,000).
        journal: Where finished files and multipart progress are kept between runs: a
            :class:`Journal`, or a path for a :class:`FileJournal`. By default, memory
            (resuming works within this process only).

    Raises:
        ConfigurationError: No endpoint, missing or conflicting credentials, no region
            for IAM, or IAM asked for without the extra installed.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        api_key: str | None = None,
        *,
        auth: AuthMode | str | AuthBase | None = None,
        region: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
    ) -> None:
        signer, mode = (auth, None) if isinstance(auth, AuthBase) else (None, resolve_auth_mode(auth))
        self.endpoint = resolve_endpoint(endpoint, auth_mode=mode or "api_key")
        if signer is None and mode == "iam":
            if api_key is not None:
                raise ConfigurationError("api_key is not used with auth='iam': pass one or the other")
            signer = iam_auth(self.endpoint, resolve_region(region, self.endpoint))
        elif signer is None:
            signer = ApiKeyAuth(resolve_api_key(api_key))
        elif api_key is not None:
            raise ConfigurationError("pass either api_key or auth, not both")
        retry = RetryPolicy(max_retries=max_retries)
        self._transport = Transport(self.endpoint, auth=signer, timeout=timeout, retry=retry, session=session)
        self._storage = Storage(timeout=timeout, retry=retry)
        # A journal opened here from a path is closed here; one passed in is the caller's.
        self._owned_journal: FileJournal | None = None
        if isinstance(journal, str | os.PathLike):
            self._owned_journal = journal = FileJournal(journal)
        self.journal: Journal | None = journal
        self.files = Files(self._transport)
        self.uploads = Uploads(
            self._transport,
            self.files,
            self._storage,
            journal=self.journal,
            journal_scope=auth_fingerprint(signer),
            concurrency=concurrency,
            multipart_threshold=multipart_threshold,
            part_size=part_size,
        )
        self.preflight = PreFlight(self._transport)

    def upload(
        self,
        file: FileSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        allow_duplicate: bool = False,
    ) -> FileRecord:
        """Upload one file and return its record.

        The file is hashed (SHA-256, streamed), declared with ``POST /uploads`` (with an
        ``Idempotency-Key``, so it is retried safely), and its bytes are PUT to the
        presigned URL (retried from the first byte on dropped connections and storage
        5xx). Files of ``multipart_threshold`` bytes or more go in parallel parts and
        resume from the journal. If this partner already uploaded the same file (same
        SHA-256 and filename), nothing is sent and the existing record is returned.

        Args:
            file: A path, the bytes themselves, or a file object opened in binary mode
                (read from its current position, left open).
            filename: The name recorded with the file; defaults to the path's (or file
                object's) basename; required for bytes.
            content_type: Defaults to a guess from the filename (``.csv`` ->
                ``text/csv``, ``.json``, ``.jsonl``/``.ndjson``, ``.dcm``).
            metadata: Up to 10 string pairs kept with the file.
            allow_duplicate: Upload even when the same file was uploaded before.

        Returns:
            The record right after the upload (usually ``pending_upload`` or
            ``processing``); ``client.wait(record.file_id)`` gives the outcome.

        Raises:
            InvalidArgumentError: A bad argument; nothing was sent.
            FileReadError: The file could not be read.
            APIStatusError: The API refused the declaration (``BadRequestError``,
                ``PayloadTooLargeError``, ``UnsupportedMediaTypeError``...).
            UploadError: Storage refused the bytes.
            APIConnectionError: The API or storage could not be reached.
        """
        return self.uploads.create(
            file, filename=filename, content_type=content_type, metadata=metadata, allow_duplicate=allow_duplicate
        )

    def upload_many(
        self,
        files: PathSource | Iterable[PathSource],
        *,
        recursive: bool = False,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        allow_duplicate: bool = False,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[UploadResult]:
        """Upload many files in parallel; one result per file, in the order given.

        ``concurrency`` files go at once over pooled connections. A file that fails
        gets a failed result (``result.error``) and the others carry on. Files the API
        already has (same SHA-256 and name) are not sent (``outcome == "duplicate"``);
        with a file journal, files an earlier run finished are not even hashed
        (``outcome == "skipped"``), so re-running after a crash sends only what is
        missing. For results as they come (and Ctrl-C handling), use
        ``client.uploads.iter_many``.

        Args:
            files: A file, a directory, a glob pattern, or an iterable of them.
            recursive: Include subdirectories' files (and let ``**`` match them).
            content_type: For every file; by default guessed from each name.
            metadata: Kept with every file.
            allow_duplicate: Upload files the API already has.
            concurrency: Files in flight at once (default: the client's, 8).
            on_progress: Called with a ``Progress`` (files, bytes, rate, ETA) as bytes
                go and files finish, from worker threads.

        Returns:
            One ``UploadResult`` per file (``ok``, ``outcome``, ``file_id``,
            ``record``, ``error``, ``bytes_sent``, ``duration_s``).

        Raises:
            InvalidArgumentError: A bad argument, before anything is sent.
            FileReadError: A directory could not be listed.
        """
        return self.uploads.many(
            files,
            recursive=recursive,
            content_type=content_type,
            metadata=metadata,
            allow_duplicate=allow_duplicate,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    def validate(self, path: str | os.PathLike[str], *, content_type: str | None = None) -> Validation:
        """Judge a file here, as the processor would, before sending it; see :class:`PreFlight`."""
        return self.preflight.validate(path, content_type=content_type)

    def get(self, file_id: str) -> FileRecord:
        """Fetch one file record.

        Raises:
            InvalidArgumentError: ``file_id`` is not a non-empty string.
            NotFoundError: No such file for this partner.
            APIStatusError: Any other error status.
            APIConnectionError: The API could not be reached.
        """
        return self.files.get(file_id)

    def wait(
        self,
        file_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        interval: float = DEFAULT_POLL_INTERVAL,
    ) -> FileRecord:
        """Poll one file until it is final, and return its final record.

        Final states: ``processed``, ``quarantined``, ``expired``, ``cancelled``, and
        ``failed`` when ``error.retryable`` is false. For many files use
        :meth:`wait_many`, which reads 100 files per request.

        Args:
            file_id: The file to wait for.
            timeout: Seconds before giving up.
            interval: Seconds before the second poll; later polls wait a little longer
                each time, up to 10 seconds.

        Raises:
            WaitTimeoutError: Not final after ``timeout``; ``.record`` is the last seen.
            NotFoundError: No such file for this partner.
            APIStatusError: An error status while polling.
            APIConnectionError: The API could not be reached.
        """
        return self.files.wait(file_id, timeout=timeout, interval=interval)

    def wait_many(
        self,
        file_ids: Iterable[str],
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        interval: float = MANY_POLL_INTERVAL,
        max_interval: float = MANY_MAX_POLL_INTERVAL,
    ) -> Iterator[FileRecord]:
        """Follow many files, yielding each final record as soon as the file is final.

        One ``GET /files?ids=`` per 100 files still pending per poll; polls start
        ``interval`` apart (0.1 s), slow down while nothing changes, and speed up again
        when a file finishes.

        Args:
            file_ids: The files to follow.
            timeout: Seconds before giving up on the files still not final.
            interval: Seconds between the first polls.
            max_interval: The longest pause between polls.

        Returns:
            A lazy iterator of final records, in the order they became final.

        Raises:
            InvalidArgumentError: An id is not a non-empty string.
            NotFoundError: A file does not exist for this partner.
            WaitTimeoutError: Files still not final after ``timeout``; ``.records``
                holds their last records.
            APIStatusError: An error status while polling.
            APIConnectionError: The API could not be reached.
        """
        return self.files.wait_many(file_ids, timeout=timeout, interval=interval, max_interval=max_interval)

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
            limit: Page size, 1 to 100; it does not bound the total.
            created_after: Only files created at or after this time (timezone-aware).
            created_before: Only files created before this time (timezone-aware).
            q: Only files whose filename contains this text (case-insensitive).

        Raises:
            ValueError: ``state`` is not a known state.
            APIStatusError: An error status, while iterating.
            APIConnectionError: The API could not be reached, while iterating.
        """
        return self.files.list(
            state=state, limit=limit, created_after=created_after, created_before=created_before, q=q
        )

    def close(self) -> None:
        """Release the HTTP connections (a session passed in is left open) and the journal file."""
        self._transport.close()
        self._storage.close()
        if self._owned_journal is not None:
            self._owned_journal.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(endpoint={self.endpoint!r}, auth={self._transport.auth!r})"
