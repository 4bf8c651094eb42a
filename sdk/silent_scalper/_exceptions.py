"""Every error the SDK raises, in one tree.

``except ScalperError`` catches all of them; every error has a stable ``code`` and a
``message``::

    ScalperError
    ├── ConfigurationError                 no endpoint or credentials, or a missing extra
    ├── InvalidArgumentError               a call the SDK refuses before sending anything
    ├── FileReadError                      a local file could not be read (also an OSError)
    ├── APIError                           anything the API or storage answered or failed to
    │   ├── APIConnectionError             the API or storage could not be reached
    │   │   └── APITimeoutError            ... or did not answer in time
    │   ├── APIStatusError                 the API answered with an error status
    │   │   ├── BadRequestError            400
    │   │   ├── AuthenticationError        401
    │   │   ├── PermissionDeniedError      403
    │   │   ├── NotFoundError              404
    │   │   ├── ConflictError              409
    │   │   ├── PayloadTooLargeError       413
    │   │   ├── UnsupportedMediaTypeError  415
    │   │   ├── RateLimitError             429
    │   │   └── InternalServerError        >= 500
    │   ├── APIResponseValidationError     a 2xx body that is not the documented payload
    │   └── UploadError                    storage refused the bytes sent to a presigned URL
    └── WaitTimeoutError                   wait() or wait_many() gave up before files were final

``APIError`` carries ``status_code`` and ``request_id`` (both ``None`` when there was no
answer), so a caller quoting an error to support needs no ``getattr``.
``APIStatusError`` subclasses are chosen from the status code by
:func:`make_status_error`, the only place that mapping lives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

if TYPE_CHECKING:
    from .models import FileRecord

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "FileReadError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ScalperError",
    "UnsupportedMediaTypeError",
    "UploadError",
    "WaitTimeoutError",
    "make_status_error",
]

UNKNOWN_ERROR_CODE = "unknown_error"


class ScalperError(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        code: A stable, machine-readable code (the server's ``error.code`` for API
            errors).
        message: A sentence for people.
    """

    code: str = "scalper_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigurationError(ScalperError):
    """The client cannot be built: the endpoint or credentials are missing or invalid."""

    code = "configuration_error"


class InvalidArgumentError(ScalperError, ValueError, TypeError):
    """The SDK refused a call before sending anything; the message says what to change.

    It is also a ``ValueError`` and a ``TypeError``, as the SDK raised those before.
    """

    code = "invalid_argument"


class FileReadError(ScalperError, OSError):
    """A local file or directory could not be read (it is also an ``OSError``).

    Attributes:
        path: The path that could not be read.
    """

    code = "io_error"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot read {path}: {reason}")
        self.path = path

    @classmethod
    def from_os_error(cls, path: str, err: OSError) -> FileReadError:
        """Describe ``err`` (raised while reading ``path``) as a ``FileReadError``."""
        return cls(path, err.strerror or str(err))


class APIError(ScalperError):
    """Base class of every error from the API or from storage.

    Attributes:
        status_code: The HTTP status, or ``None`` when there was no answer.
        request_id: The id to quote to support, when the answer carried one.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.request_id = request_id


class APIConnectionError(APIError):
    """The request got no HTTP response (DNS, refused connection, TLS, reset...)."""

    code = "connection_error"


class APITimeoutError(APIConnectionError):
    """The server did not accept the connection or answer within the timeout."""

    code = "timeout"


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status.

    Attributes:
        status_code: The HTTP status.
        code: The server's ``error.code``, or ``unknown_error`` when the body was not
            the API's error shape (for example a proxy's HTML page).
        message: The server's ``error.message``, and a hint when the SDK knows one.
        request_id: The id to quote to support, from the body or the API Gateway
            headers.
        body: The decoded JSON body, or the raw text when it was not JSON.
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str = UNKNOWN_ERROR_CODE,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code, request_id=request_id)
        self.body = body

    def __str__(self) -> str:
        suffix = f" (request_id={self.request_id})" if self.request_id else ""
        return f"{self.status_code} {self.code}: {self.message}{suffix}"


class BadRequestError(APIStatusError):
    """400: the request was malformed, out of range, or carried a bad cursor."""


class AuthenticationError(APIStatusError):
    """401: the request was not authenticated."""


class PermissionDeniedError(APIStatusError):
    """403: the API key is missing, unknown, disabled or not mapped to a partner."""


class NotFoundError(APIStatusError):
    """404: no such file for this partner, or no such route."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state of the resource."""


class PayloadTooLargeError(APIStatusError):
    """413: the declared size is over the limit."""


class UnsupportedMediaTypeError(APIStatusError):
    """415: the content type is not one the pipeline can validate."""


class RateLimitError(APIStatusError):
    """429: over the usage plan's rate."""


class InternalServerError(APIStatusError):
    """5xx: a fault on the server side; quote the ``request_id``."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    429: RateLimitError,
}


def make_status_error(
    status_code: int,
    *,
    code: str,
    message: str,
    request_id: str | None = None,
    body: Any = None,
) -> APIStatusError:
    """Build the ``APIStatusError`` subclass that matches an HTTP status.

    Args:
        status_code: The HTTP status of the response.
        code: The server's ``error.code`` (or ``unknown_error``).
        message: The server's ``error.message``.
        request_id: The request id, if known.
        body: The decoded body (or raw text).

    Returns:
        The error to raise; a plain ``APIStatusError`` for statuses without a subclass.
    """
    if status_code >= 500:
        error_class: type[APIStatusError] = InternalServerError
    else:
        error_class = _STATUS_ERRORS.get(status_code, APIStatusError)
    return error_class(message, status_code=status_code, code=code, request_id=request_id, body=body)


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not the payload ``docs/api.md`` documents.

    Attributes:
        status_code: The HTTP status.
        request_id: The request id from the API Gateway headers, if any.
        body: The decoded JSON body, or the raw text when it was not JSON.
    """

    code = "invalid_response"

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id)
        self.body = body


class UploadError(APIError):
    """Storage refused the bytes PUT to the presigned URL.

    Attributes:
        status_code: The HTTP status storage answered with.
        code: S3's ``<Code>``, for example ``SignatureDoesNotMatch``, ``BadDigest`` or
            ``AccessDenied`` (with the message ``Request has expired`` once a URL expired).
        message: S3's ``<Message>``.
        request_id: S3's ``<RequestId>``, if any.
        body: The raw response text.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str = UNKNOWN_ERROR_CODE,
        request_id: str | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message, code=code, status_code=status_code, request_id=request_id)
        self.body = body

    @classmethod
    def from_s3_response(cls, status_code: int, body: str) -> UploadError:
        """Parse S3's XML error document (``<Error><Code/><Message/></Error>``).

        Args:
            status_code: The HTTP status of the PUT.
            body: The response text.

        Returns:
            The error, with ``code`` ``unknown_error`` when the body is not S3's XML.
        """
        fallback = f"upload refused with HTTP {status_code}"
        try:
            # S3 (or the local stack) wrote this; ElementTree never fetches external
            # entities or DTDs, and the expat of every Python the SDK supports (3.11+,
            # expat >= 2.4.1) refuses entity-expansion bombs ("XML vulnerabilities" in the
            # Python docs), which is what bandit's B314 warns about.
            root = ElementTree.fromstring(body)  # noqa: S314  # nosec B314
        except ElementTree.ParseError:
            return cls(fallback, status_code=status_code, body=body)
        return cls(
            root.findtext("Message") or fallback,
            status_code=status_code,
            code=root.findtext("Code") or UNKNOWN_ERROR_CODE,
            request_id=root.findtext("RequestId"),
            body=body,
        )

    @property
    def url_expired(self) -> bool:
        """Whether the presigned URL had expired (S3: 403 ``AccessDenied``, "Request has expired")."""
        return self.status_code == 403 and self.code == "AccessDenied" and "expired" in self.message.lower()

    def __str__(self) -> str:
        return f"{self.status_code} {self.code}: {self.message}"


class WaitTimeoutError(ScalperError):
    """``wait()`` or ``wait_many()`` ran out of time before the files reached a final state.

    Attributes:
        file_id: The (first) file still not final.
        timeout: The timeout, in seconds.
        record: The last record seen of that file; its ``state`` says where it was stuck.
        records: The last record of every file still not final (one for ``wait()``).
    """

    code = "wait_timeout"

    def __init__(self, record: FileRecord, *, timeout: float, pending: Sequence[FileRecord] = ()) -> None:
        records = list(pending) or [record]
        if len(records) == 1:
            message = f"file {record.file_id} still {record.state.value} after {timeout:g}s"
        else:
            message = f"{len(records)} files still not final after {timeout:g}s (first: {record.file_id})"
        super().__init__(message)
        self.file_id = record.file_id
        self.timeout = timeout
        self.record = record
        self.records = records
