"""The HTTP transport: one pooled session, timeouts, JSON, retries and error mapping.

Only idempotent requests (GET) are retried, on connection errors and on
429/502/503/504, with exponential backoff and full jitter, honouring ``Retry-After``.
POST is never retried: a retried ``POST /uploads`` could declare the same file twice.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.auth import AuthBase

from ._exceptions import (
    UNKNOWN_ERROR_CODE,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    UploadError,
    make_status_error,
)
from ._version import __version__
from .models import ErrorResponse, UploadTarget

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "Timeout", "Transport"]

logger = logging.getLogger("silent_scalper")

Timeout = float | tuple[float, float]
"""Seconds for the whole exchange, or ``(connect, read)``."""

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A Retry-After beyond this is treated as garbage and replaced by our own backoff.
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_METHODS = frozenset({"GET"})
REQUEST_ID_HEADERS = ("x-amzn-requestid", "x-amz-apigw-id")
USER_AGENT = f"silent-scalper/{__version__}"

ModelT = TypeVar("ModelT", bound=BaseModel)


class Transport:
    """Send requests to the API and turn the answers into Python values or SDK errors.

    Args:
        base_url: The endpoint, stage included, without a trailing slash.
        auth: Applied to every API request (never to presigned uploads).
        timeout: Seconds, or ``(connect, read)``; a single number also caps the connect
            timeout at 5 seconds so an unreachable host fails fast.
        max_retries: Retries of an idempotent request after the first attempt.
        session: A ``requests.Session`` to reuse; one is created (and closed) otherwise.
        sleep: Called with the delay before a retry; tests replace it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthBase,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url
        self.auth = auth
        self.timeout = _as_timeout(timeout)
        self.max_retries = max_retries
        self._sleep = sleep
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        # Presigned URLs carry their own signature: they get a session that has never
        # seen the API credentials, whatever the caller configured on theirs.
        self._upload_session = requests.Session()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}

    def get(
        self,
        path: str,
        *,
        cast_to: type[ModelT],
        params: Mapping[str, str | int] | None = None,
    ) -> ModelT:
        """GET ``path`` (relative to the endpoint), retrying when it fails transiently.

        Returns:
            The body, parsed as ``cast_to``.

        Raises:
            APIConnectionError: The API could not be reached, after retries.
            APIStatusError: The API answered with an error status, after retries.
            APIResponseValidationError: The body is not a valid ``cast_to``.
        """
        return self.request("GET", path, cast_to=cast_to, params=params)

    def post(self, path: str, *, cast_to: type[ModelT], json: Any) -> ModelT:
        """POST a JSON body to ``path``, once.

        Returns:
            The body, parsed as ``cast_to``.

        Raises:
            APIConnectionError: The API could not be reached.
            APIStatusError: The API answered with an error status.
            APIResponseValidationError: The body is not a valid ``cast_to``.
        """
        return self.request("POST", path, cast_to=cast_to, json=json)

    def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[ModelT],
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> ModelT:
        """Send one API request, retrying it when it is safe to.

        Args:
            method: The HTTP method.
            path: The path below the endpoint, starting with ``/``.
            cast_to: The model the success body is parsed as.
            params: Query parameters.
            json: The JSON body, if any.

        Returns:
            The body, parsed as ``cast_to``.

        Raises:
            APIConnectionError: The API could not be reached.
            APIStatusError: The API answered with an error status.
            APIResponseValidationError: The body is not a valid ``cast_to``.
        """
        url = self.base_url + path
        retries = self.max_retries if method.upper() in RETRY_METHODS else 0
        attempt = 0
        while True:
            try:
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=self._headers,
                    auth=self.auth,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as err:
                if attempt < retries:
                    self._pause(attempt, None, method, path, type(err).__name__)
                    attempt += 1
                    continue
                raise _connection_error(err, method, url, detail=True) from err
            except requests.RequestException as err:
                raise _connection_error(err, method, url, detail=True) from err

            if response.ok:
                return _parse(response, cast_to)
            if attempt < retries and response.status_code in RETRY_STATUSES:
                retry_after = response.headers.get("Retry-After")
                response.close()
                self._pause(attempt, retry_after, method, path, str(response.status_code))
                attempt += 1
                continue
            raise _status_error(response)

    def put_presigned(self, target: UploadTarget, body: IO[bytes] | bytes) -> None:
        """Send bytes to a presigned URL with exactly the headers it was signed with.

        Not retried: ``body`` is a stream that has been consumed by the first attempt.

        Args:
            target: The ``upload`` object of an upload ticket.
            body: An open binary file positioned at the first byte (streamed, not read
                into memory), or ``bytes``.

        Raises:
            APIConnectionError: Storage could not be reached.
            UploadError: Storage refused the bytes.
        """
        try:
            response = self._upload_session.request(
                target.method,
                target.url,
                data=body,
                headers=dict(target.headers),
                timeout=self.timeout,
            )
        except requests.RequestException as err:
            # The error text would repeat the URL, signature included.
            raise _connection_error(err, target.method, target.url, detail=False) from err
        with response:
            if not response.ok:
                raise UploadError.from_s3_response(response.status_code, response.text)

    def close(self) -> None:
        """Close the sessions this transport created; a caller's session stays open."""
        self._upload_session.close()
        if self._owns_session:
            self._session.close()

    def _pause(self, attempt: int, retry_after: str | None, method: str, path: str, why: str) -> None:
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            # Full jitter spreads out clients that failed together; not a secret.
            ceiling = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2**attempt)
            delay = random.uniform(0, ceiling)  # noqa: S311
        logger.info("retrying %s %s in %.2fs after %s", method, path, delay, why)
        self._sleep(delay)


def _as_timeout(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        return timeout
    return (min(DEFAULT_CONNECT_TIMEOUT, timeout), timeout)


def _retry_after_seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_RETRY_AFTER:
        return None
    return seconds


def _parse(response: requests.Response, cast_to: type[ModelT]) -> ModelT:
    try:
        body = response.json()
    except ValueError as err:
        raise _invalid_response(response, "is not JSON", response.text) from err
    try:
        return cast_to.model_validate(body)
    except ValidationError as err:
        raise _invalid_response(response, f"is not a valid {cast_to.__name__}", body) from err


def _invalid_response(response: requests.Response, problem: str, body: Any) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"the {response.status_code} response {problem}",
        status_code=response.status_code,
        request_id=_header_request_id(response),
        body=body,
    )


def _status_error(response: requests.Response) -> APIStatusError:
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text
    code = UNKNOWN_ERROR_CODE
    message = f"HTTP {response.status_code} {response.reason or ''}".strip()
    request_id = None
    if isinstance(body, dict):
        try:
            detail = ErrorResponse.model_validate(body).error
        except ValidationError:
            # API Gateway's uncustomised responses look like {"message": "..."}.
            if isinstance(body.get("message"), str):
                message = body["message"]
        else:
            code, message, request_id = detail.code, detail.message, detail.request_id
    return make_status_error(
        response.status_code,
        code=code,
        message=message,
        request_id=request_id or _header_request_id(response),
        body=body,
    )


def _header_request_id(response: requests.Response) -> str | None:
    for header in REQUEST_ID_HEADERS:
        if value := response.headers.get(header):
            return value
    return None


def _connection_error(err: requests.RequestException, method: str, url: str, *, detail: bool) -> APIConnectionError:
    scheme, netloc, path, _, _ = urlsplit(url)
    where = urlunsplit((scheme, netloc, path, "", ""))
    reason = f"{type(err).__name__}: {err}" if detail else type(err).__name__
    if isinstance(err, requests.Timeout):
        return APITimeoutError(f"{method} {where} timed out ({reason})")
    return APIConnectionError(f"{method} {where} failed ({reason})")
