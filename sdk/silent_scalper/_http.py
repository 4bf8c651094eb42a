"""The API transport: one pooled session, timeouts, JSON, retries and error mapping.

A request is retried (on connection errors, 429 and 5xx, honouring ``Retry-After``) only
when repeating it cannot do anything twice: GET, and POSTs the API makes idempotent,
such as ``POST /uploads`` with an ``Idempotency-Key`` (the same key returns the same
file) or completing a multipart upload.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from ._exceptions import (
    UNKNOWN_ERROR_CODE,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    make_status_error,
)
from ._retry import DEFAULT_MAX_RETRIES, RETRY_STATUSES, RetryPolicy
from ._version import __version__
from .models import ErrorResponse

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "Timeout",
    "Transport",
    "as_timeout",
    "connection_error",
    "encode_query",
    "mount_pool",
    "pooled_session",
]

logger = logging.getLogger("silent_scalper")

Timeout = float | tuple[float, float]
"""Seconds for the whole exchange, or ``(connect, read)``."""

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_POOL_SIZE = 10
REQUEST_ID_HEADERS = ("x-amzn-requestid", "x-amz-apigw-id")
USER_AGENT = f"silent-scalper/{__version__}"
# 409 with this code means "the same idempotent request is still running": try later.
IN_PROGRESS_CODE = "request_in_progress"
CLOCK_HINT = "this machine's clock may be off: `scalper doctor` compares it with the API's"
STAGE_HINT = "the endpoint has no stage: it should end with the stage name, for example {endpoint}/v1"
NOT_RUNNING_HINT = (
    "is the API running there? Check SCALPER_ENDPOINT (or --endpoint), or start the local stack with `scalper local`"
)

ModelT = TypeVar("ModelT", bound=BaseModel)


class Transport:
    """Send requests to the API and turn the answers into Python values or SDK errors.

    Args:
        base_url: The endpoint, stage included, without a trailing slash.
        auth: Applied to every API request (never to presigned uploads).
        timeout: Seconds, or ``(connect, read)``; a single number also caps the connect
            timeout at 5 seconds so an unreachable host fails fast.
        retry: When and how long to wait before retrying.
        session: A ``requests.Session`` to reuse; one is created (and closed) otherwise.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: AuthBase,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url
        self.auth = auth
        self.timeout = as_timeout(timeout)
        self.retry = retry or RetryPolicy()
        self._owns_session = session is None
        self._session = session if session is not None else pooled_session(DEFAULT_POOL_SIZE)
        self._pool_size = DEFAULT_POOL_SIZE
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}

    def ensure_pool(self, size: int) -> None:
        """Keep at least ``size`` connections per host, for ``size`` threads at once.

        A session passed in by the caller is left as it was configured.
        """
        if self._owns_session and size > self._pool_size:
            mount_pool(self._session, size)
            self._pool_size = size

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

    def post(
        self,
        path: str,
        *,
        cast_to: type[ModelT],
        json: Any,
        idempotent: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> ModelT:
        """POST a JSON body to ``path``; retried only when ``idempotent``.

        Returns:
            The body, parsed as ``cast_to``.

        Raises:
            APIConnectionError: The API could not be reached.
            APIStatusError: The API answered with an error status.
            APIResponseValidationError: The body is not a valid ``cast_to``.
        """
        return self.request("POST", path, cast_to=cast_to, json=json, idempotent=idempotent, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        cast_to: type[ModelT],
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ModelT:
        """Send one API request, retrying it when it is safe to.

        Args:
            method: The HTTP method.
            path: The path below the endpoint, starting with ``/``.
            cast_to: The model the success body is parsed as.
            params: Query parameters.
            json: The JSON body, if any.
            idempotent: Whether repeating the request is harmless; by default only
                GET is.
            headers: Extra headers (for example ``Idempotency-Key``).

        Returns:
            The body, parsed as ``cast_to``.

        Raises:
            APIConnectionError: The API could not be reached.
            APIStatusError: The API answered with an error status.
            APIResponseValidationError: The body is not a valid ``cast_to``.
        """
        url = self.base_url + path
        if params:
            # Sent exactly as SigV4 canonicalises it, so a signer that signs the query
            # as written (aws-requests-auth) agrees with API Gateway.
            url += "?" + encode_query(params)
        if idempotent is None:
            idempotent = method.upper() == "GET"
        retries = self.retry.max_retries if idempotent else 0
        all_headers = {**self._headers, **(headers or {})}
        attempt = 0
        while True:
            try:
                response = self._session.request(
                    method, url, json=json, headers=all_headers, auth=self.auth, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as err:
                if attempt < retries:
                    self.retry.pause(attempt, None, f"{method} {path}", type(err).__name__)
                    attempt += 1
                    continue
                raise connection_error(err, method, url, hint=NOT_RUNNING_HINT) from err
            except requests.RequestException as err:
                raise connection_error(err, method, url, hint=NOT_RUNNING_HINT) from err

            if response.ok:
                return _parse(response, cast_to)
            error = self.status_error(response)
            if attempt < retries and _retryable(error):
                retry_after = response.headers.get("Retry-After")
                response.close()
                self.retry.pause(attempt, retry_after, f"{method} {path}", f"{error.status_code} {error.code}")
                attempt += 1
                continue
            raise error

    def probe(self, path: str, params: Mapping[str, str | int] | None = None) -> requests.Response:
        """GET ``path`` once and return the raw response, whatever its status (for ``scalper doctor``).

        Raises:
            APIConnectionError: The API could not be reached.
        """
        url = self.base_url + path + ("?" + encode_query(params) if params else "")
        try:
            return self._session.get(url, headers=self._headers, auth=self.auth, timeout=self.timeout)
        except requests.RequestException as err:
            raise connection_error(err, "GET", url, hint=NOT_RUNNING_HINT) from err

    def close(self) -> None:
        """Close the session this transport created; a caller's session stays open."""
        if self._owns_session:
            self._session.close()

    def status_error(self, response: requests.Response) -> APIStatusError:
        """The SDK error an error response maps to, with a hint when the SDK knows one."""
        error = _status_error(response)
        path = urlsplit(self.base_url).path.strip("/")
        if not path and (error.code == "route_not_found" or error.message == "Missing Authentication Token"):
            # API Gateway answers an unknown route (the stage is the first path segment)
            # with a 403 "Missing Authentication Token"; the local stack with a 404.
            error.message = f"{error.message}; {STAGE_HINT.format(endpoint=self.base_url)}"
        elif error.status_code == 403 and error.message.startswith(("Signature expired", "Signature not yet current")):
            error.message = f"{error.message}; {CLOCK_HINT}"
        return error


def encode_query(params: Mapping[str, str | int]) -> str:
    """Encode query parameters as SigV4's canonical query string.

    Names sorted, names and values percent-encoded per RFC 3986 (a space is ``%20``,
    never ``+``; ``,`` is ``%2C``), which any server decodes to the same values.
    """
    pairs = sorted((quote(str(name), safe="-_.~"), quote(str(value), safe="-_.~")) for name, value in params.items())
    return "&".join(f"{name}={value}" for name, value in pairs)


def pooled_session(pool_size: int, adapter: type[HTTPAdapter] = HTTPAdapter) -> requests.Session:
    """A session that keeps up to ``pool_size`` connections per host."""
    session = requests.Session()
    mount_pool(session, pool_size, adapter)
    return session


def mount_pool(session: requests.Session, pool_size: int, adapter: type[HTTPAdapter] = HTTPAdapter) -> None:
    """Mount ``adapter`` on ``session`` for http and https, keeping up to ``pool_size`` connections per host."""
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter(pool_connections=4, pool_maxsize=pool_size))


def as_timeout(timeout: Timeout) -> tuple[float, float]:
    """``(connect, read)`` seconds from a number or a pair."""
    if isinstance(timeout, tuple):
        return timeout
    return (min(DEFAULT_CONNECT_TIMEOUT, timeout), timeout)


def _retryable(error: APIStatusError) -> bool:
    if error.status_code == 409:
        return error.code == IN_PROGRESS_CODE
    return error.status_code in RETRY_STATUSES


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


def connection_error(
    err: requests.RequestException, method: str, url: str, *, hint: str | None = None, detail: bool = True
) -> APIConnectionError:
    """Describe a failed exchange without repeating the query string (it may hold a signature)."""
    scheme, netloc, path, _, _ = urlsplit(url)
    where = urlunsplit((scheme, netloc, path, "", ""))
    reason = f"{type(err).__name__}: {_root_cause(err)}" if detail else type(err).__name__
    suffix = f"; {hint}" if hint else ""
    if isinstance(err, requests.Timeout):
        return APITimeoutError(f"{method} {where} timed out ({reason}){suffix}")
    return APIConnectionError(f"{method} {where} failed ({reason}){suffix}")


def _root_cause(err: BaseException) -> str:
    """The innermost cause's text: 'Connection refused' rather than urllib3's whole chain."""
    seen = err
    for _ in range(8):  # a bounded walk: causes can, in theory, form a cycle
        inner = getattr(seen, "reason", None)  # urllib3's MaxRetryError.reason
        if not isinstance(inner, BaseException):
            inner = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else seen.__cause__
        if inner is None:
            break
        seen = inner
    text = str(seen)
    # urllib3 prefixes "<urllib3.connection.HTTPConnection object at 0x...>: "; drop it.
    return text.split(">: ", 1)[-1] if text.startswith("<") else text
