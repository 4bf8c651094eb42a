"""Sending bytes to presigned storage URLs: exactly the signed headers, retried safely.

A PUT of the same bytes to the same URL is idempotent, so it is retried on dropped
connections, timeouts and S3's "try again" answers (500 ``InternalError``, 503
``SlowDown``), each time from the first byte of a rewound slice. An expired URL
(403 ``AccessDenied``, "Request has expired") is not retried here: only the API can
presign it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from ._exceptions import UploadError
from ._http import (
    DEFAULT_POOL_SIZE,
    DEFAULT_TIMEOUT,
    Timeout,
    as_timeout,
    connection_error,
    mount_pool,
    pooled_session,
)
from ._retry import RETRY_STATUSES, RetryPolicy
from ._sources import Slice
from .models import UploadTarget

__all__ = ["UPLOAD_BLOCK_SIZE", "Storage"]

# How much of a body is read and written at a time (urllib3's default is 16 KiB): large
# enough that a gigabyte is not a hundred thousand system calls, small enough that
# `concurrency` uploads in flight hold only a few MiB.
UPLOAD_BLOCK_SIZE = 256 * 1024

ProgressHook = Callable[[int], None]
"""Called with a number of bytes sent (negative when an attempt is rolled back)."""


class _UploadAdapter(HTTPAdapter):
    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["blocksize"] = UPLOAD_BLOCK_SIZE
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


class Storage:
    """PUT bytes to presigned URLs with a session that never sees API credentials.

    Args:
        timeout: Seconds, or ``(connect, read)``, per attempt.
        retry: When and how long to wait before retrying.
    """

    def __init__(self, *, timeout: Timeout = DEFAULT_TIMEOUT, retry: RetryPolicy | None = None) -> None:
        self.timeout = as_timeout(timeout)
        self.retry = retry or RetryPolicy()
        self._session = pooled_session(DEFAULT_POOL_SIZE, _UploadAdapter)
        self._pool_size = DEFAULT_POOL_SIZE

    def ensure_pool(self, size: int) -> None:
        """Keep at least ``size`` connections per host, for ``size`` threads at once."""
        if size > self._pool_size:
            mount_pool(self._session, size, _UploadAdapter)
            self._pool_size = size

    def put(self, target: UploadTarget, body: Slice, *, progress: ProgressHook | None = None) -> str | None:
        """Send ``body`` to ``target`` with exactly its method and headers.

        Args:
            target: A presigned target from the API.
            body: The bytes, as a rewindable slice; streamed, never read whole.
            progress: Told about bytes as they are read for sending.

        Returns:
            The ``ETag`` storage answered with (needed to complete a multipart upload).

        Raises:
            APIConnectionError: Storage could not be reached, after retries.
            UploadError: Storage refused the bytes (after retries for 5xx); see
                ``UploadError.url_expired``.
        """
        attempt = 0
        while True:
            body.rewind()
            counted = _Counting(body, progress)
            try:
                response = self._session.request(
                    target.method,
                    target.url,
                    data=counted,
                    headers=dict(target.headers),
                    timeout=self.timeout,
                )
            except requests.RequestException as err:
                counted.roll_back()
                retryable = isinstance(err, requests.ConnectionError | requests.Timeout)
                if retryable and attempt < self.retry.max_retries:
                    self.retry.pause(attempt, None, f"{target.method} to storage", type(err).__name__)
                    attempt += 1
                    continue
                # The URL's query string is its signature: keep it out of the message.
                raise connection_error(err, target.method, target.url, detail=False) from err
            with response:
                if response.ok:
                    return response.headers.get("ETag")
                counted.roll_back()
                error = UploadError.from_s3_response(response.status_code, response.text)
                if response.status_code in RETRY_STATUSES and attempt < self.retry.max_retries:
                    retry_after = response.headers.get("Retry-After")
                    self.retry.pause(attempt, retry_after, f"{target.method} to storage", f"{error.code}")
                    attempt += 1
                    continue
                raise error

    def close(self) -> None:
        """Close the session and its connections."""
        self._session.close()


class _Counting:
    """Reports bytes as ``requests`` reads them, and can take back an attempt's count."""

    def __init__(self, body: Slice, progress: ProgressHook | None) -> None:
        self._body = body
        self._progress = progress
        self.sent = 0

    def __len__(self) -> int:
        return len(self._body)

    def tell(self) -> int:
        return self._body.tell()

    def read(self, size: int = -1) -> bytes:
        data = self._body.read(size)
        if data and self._progress is not None:
            self._progress(len(data))
        self.sent += len(data)
        return data

    def roll_back(self) -> None:
        if self.sent and self._progress is not None:
            self._progress(-self.sent)
        self.sent = 0
