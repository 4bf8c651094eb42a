"""The client: configuration, transport and resources in one object."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Self

import requests
from requests.auth import AuthBase

from ._auth import ApiKeyAuth
from ._config import resolve_api_key, resolve_endpoint
from ._exceptions import ConfigurationError
from ._http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, Timeout, Transport
from ._validate import PreFlight, Validation
from .files import DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, Files
from .models import FileRecord, FileState
from .uploads import FileSource, Uploads

__all__ = ["Client"]


class Client:
    """A connection to the Silent Scalper API for one partner.

    Holds one pooled HTTP session, the credentials, the timeouts and the retry policy;
    close it (or use it as a context manager) when done.

    Args:
        endpoint: The API base URL, stage included (``https://.../v1``); defaults to
            ``SCALPER_ENDPOINT``.
        api_key: The partner API key; defaults to ``SCALPER_API_KEY``. Ignored when
            ``auth`` is given.
        auth: Any ``requests`` auth object to use instead of the API key (for example a
            SigV4 signer).
        timeout: Seconds, or ``(connect, read)``, for each HTTP request.
        max_retries: Retries of an idempotent request on connection errors, 429 and
            502/503/504.
        session: A ``requests.Session`` for API requests (proxies, certificates); it is
            not closed by the client.

    Raises:
        ConfigurationError: No endpoint, or neither an API key nor ``auth``, or both.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        api_key: str | None = None,
        *,
        auth: AuthBase | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        self.endpoint = resolve_endpoint(endpoint)
        if auth is None:
            auth = ApiKeyAuth(resolve_api_key(api_key))
        elif api_key is not None:
            raise ConfigurationError("pass either api_key or auth, not both")
        self._transport = Transport(
            self.endpoint,
            auth=auth,
            timeout=timeout,
            max_retries=max_retries,
            session=session,
        )
        self.files = Files(self._transport)
        self.uploads = Uploads(self._transport, self.files)
        self.preflight = PreFlight(self._transport)

    def upload(
        self,
        file: FileSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> FileRecord:
        """Upload one file; see :meth:`Uploads.create`."""
        return self.uploads.create(file, filename=filename, content_type=content_type, metadata=metadata)

    def validate(self, path: str | os.PathLike[str], *, content_type: str | None = None) -> Validation:
        """Judge a file here, as the processor would, before sending it; see :class:`PreFlight`."""
        return self.preflight.validate(path, content_type=content_type)

    def get(self, file_id: str) -> FileRecord:
        """Fetch one file record; see :meth:`Files.get`."""
        return self.files.get(file_id)

    def wait(
        self,
        file_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        interval: float = DEFAULT_POLL_INTERVAL,
    ) -> FileRecord:
        """Poll a file until it reaches a final state; see :meth:`Files.wait`."""
        return self.files.wait(file_id, timeout=timeout, interval=interval)

    def list(self, *, state: FileState | str | None = None, limit: int | None = None) -> Iterator[FileRecord]:
        """Iterate over all your files, newest first; see :meth:`Files.list`."""
        return self.files.list(state=state, limit=limit)

    def close(self) -> None:
        """Release the HTTP connections (a session passed in is left open)."""
        self._transport.close()

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
