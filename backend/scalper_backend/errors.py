"""The backend's one error tree.

::

    ScalperError                      base; never shown to partners as-is
    ├── ConfigurationError            the function's environment is wrong (a deploy bug)
    ├── ApiError                      becomes an HTTP JSON error with a stable code
    │   ├── InvalidRequest            400 invalid_request / invalid_json / invalid_cursor
    │   │   └── UploadIncomplete      400 upload_incomplete
    │   ├── Forbidden                 403 forbidden / unknown_partner
    │   ├── FileNotFound              404 file_not_found
    │   ├── Conflict                  409 invalid_state
    │   │   ├── IdempotencyKeyReused  409 idempotency_key_reused
    │   │   └── RequestInProgress     409 request_in_progress (with Retry-After)
    │   ├── FileTooLarge              413 file_too_large
    │   ├── UnsupportedContentType    415 unsupported_content_type
    │   └── UnsupportedMediaType      415 unsupported_media_type
    ├── StoreError                    an AWS call failed (ClientError translated in adapters/)
    │   ├── StateConflict             a conditional write lost a race
    │   │   └── DuplicateRace         another request took the same (sha256, filename) first
    │   ├── ObjectMissing             the S3 object is not there (any more)
    │   ├── PartsRejected             S3 refused to assemble the parts (missing, wrong ETag...)
    │   └── MultipartUploadGone       the S3 multipart upload was completed or aborted
    ├── FileBusy                      another live attempt is processing the file
    ├── BatchFailed                   every record of an SQS batch failed (Lambda retries them)
    └── InvocationFailed              local stack: an invocation returned no result (the handler raised)
        ├── FunctionTimedOut          it ran past the function's timeout; its worker was killed
        └── WorkerDied                its worker process died (killed, out of memory)

Domain errors become HTTP responses in exactly one place: ``api/responses.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # records builds on models only, so there is no cycle at run time
    from .records import FileRecord


class ScalperError(Exception):
    """Root of every error the backend raises on purpose."""


class ConfigurationError(ScalperError):
    """The environment the function runs in is missing something it needs."""


class ApiError(ScalperError):
    """An error a partner caused and can fix; carries the HTTP status and a stable code."""

    status = 400
    code = "invalid_request"
    # Seconds after which a retry may succeed, sent as ``Retry-After`` (None: no header).
    retry_after: int | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidRequest(ApiError):
    status = 400
    code = "invalid_request"


class UploadIncomplete(InvalidRequest):
    code = "upload_incomplete"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class FileNotFound(ApiError):
    status = 404
    code = "file_not_found"


class Conflict(ApiError):
    """The file is not in a state that allows the operation."""

    status = 409
    code = "invalid_state"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class RequestInProgress(Conflict):
    code = "request_in_progress"
    retry_after = 1


class FileTooLarge(ApiError):
    status = 413
    code = "file_too_large"


class UnsupportedContentType(ApiError):
    status = 415
    code = "unsupported_content_type"


class UnsupportedMediaType(ApiError):
    """The request body is not declared as JSON (its own Content-Type, not the file's)."""

    status = 415
    code = "unsupported_media_type"


class StoreError(ScalperError):
    """A call to S3, DynamoDB or SNS failed for a reason that is ours, not the partner's."""


class StateConflict(StoreError):
    """A conditional update found the record in a state other than the one expected.

    ``current`` is the record as the update found it, when DynamoDB returned it.
    """

    def __init__(self, message: str, *, current: FileRecord | None = None) -> None:
        super().__init__(message)
        self.current = current


class DuplicateRace(StateConflict):
    """Another declaration of the same (sha256, filename) was recorded first."""


class ObjectMissing(StoreError):
    """The object to read or copy does not exist (for example, it was already moved)."""


class PartsRejected(StoreError):
    """S3 would not assemble the parts: one is missing, too small, or its ETag or checksum
    does not match what was uploaded."""


class MultipartUploadGone(StoreError):
    """The S3 multipart upload no longer exists: it was completed or aborted."""


class FileBusy(ScalperError):
    """Another live attempt holds the file; the event should be delivered again later."""


class BatchFailed(ScalperError):
    """Every record of a batch failed; the message names each error without a library's text."""


class InvocationFailed(ScalperError):
    """The local stack invoked a function and got no result: the handler raised (the
    message is its type and message, as the Lambda runtime reports it), or one of the
    subclasses."""


class FunctionTimedOut(InvocationFailed):
    """The invocation ran past the function's timeout; its worker was killed, as Lambda does."""


class WorkerDied(InvocationFailed):
    """The worker process running the invocation died before it answered."""
