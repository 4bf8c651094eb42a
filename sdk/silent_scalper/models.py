"""Pydantic models of every payload in the HTTP API (``docs/api.md``).

Response models ignore fields they do not know, so a newer server can add fields without
breaking older clients.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from scalper_inspection import DicomSummary, FormulaCells, Reason

__all__ = [
    "Attempt",
    "CompleteRequest",
    "CompletedPart",
    "ErrorDetail",
    "ErrorResponse",
    "FileDetails",
    "FilePage",
    "FileRecord",
    "FileState",
    "MultipartTarget",
    "OutputLocation",
    "PartChecksum",
    "PartTarget",
    "PartUrls",
    "PartsRequest",
    "ProcessingError",
    "QuarantineLocation",
    "Reason",
    "UploadRequest",
    "UploadTarget",
    "UploadTicket",
]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FileState(StrEnum):
    """Where a file is in its life; ``FileRecord.is_final`` says which are final."""

    PENDING_UPLOAD = "pending_upload"
    PROCESSING = "processing"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


_ALWAYS_FINAL = frozenset({FileState.PROCESSED, FileState.QUARANTINED, FileState.EXPIRED, FileState.CANCELLED})


class PartChecksum(_Payload):
    """One part of a multipart declaration: its number and the SHA-256 of its bytes."""

    part_number: int
    sha256: str


class UploadRequest(BaseModel):
    """The body of ``POST /uploads``: the file being declared.

    Strict, so a wrong type (``metadata={"n": 1}``) is refused here, before any request,
    instead of being coerced.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    filename: str = Field(min_length=1)
    size: int = Field(ge=0)
    content_type: str
    sha256: str
    metadata: dict[str, str] | None = None
    allow_duplicate: bool | None = None
    part_size: int | None = None
    parts: list[PartChecksum] | None = None


class UploadTarget(_Payload):
    """Where and how to send the bytes: exactly this method, URL and headers."""

    method: str = "PUT"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)


class PartTarget(UploadTarget):
    """Where and how to send one part of a multipart upload."""

    part_number: int


class MultipartTarget(_Payload):
    """The parts of a multipart upload: their size and presigned targets.

    A plan may hold only some parts' targets; the others are asked for with
    ``POST /uploads/{file_id}/parts``.
    """

    part_size: int
    parts: list[PartTarget] = Field(default_factory=list)


class UploadTicket(_Payload):
    """The answer to ``POST /uploads``.

    One of three shapes: a single presigned ``upload``; a ``multipart`` plan; or, when
    this partner already has the same file (same name and SHA-256), ``duplicate_of``
    with no target at all: there is nothing to send.
    """

    file_id: str
    state: FileState = FileState.PENDING_UPLOAD
    duplicate_of: str | None = None
    upload: UploadTarget | None = None
    multipart: MultipartTarget | None = None
    expires_at: datetime | None = None


class PartsRequest(_Payload):
    """The body of ``POST /uploads/{file_id}/parts``: the parts that need fresh URLs."""

    part_numbers: list[int]


class PartUrls(_Payload):
    """The answer to ``POST /uploads/{file_id}/parts``."""

    file_id: str
    multipart: MultipartTarget
    expires_at: datetime | None = None


class CompletedPart(_Payload):
    """A part storage accepted, identified by the ETag it answered with."""

    part_number: int
    etag: str


class CompleteRequest(_Payload):
    """The body of ``POST /uploads/{file_id}/complete``: every part, in order."""

    parts: list[CompletedPart]


class OutputLocation(_Payload):
    """Where the normalised output of a processed file was written."""

    bucket: str
    key: str
    format: str
    size: int | None = None


class QuarantineLocation(_Payload):
    """Where a quarantined file was moved."""

    bucket: str
    key: str


class ProcessingError(_Payload):
    """A fault on the server side; ``retryable`` says it will be retried."""

    code: str
    message: str
    retryable: bool = False


class FileDetails(_Payload):
    """What the processor learnt about the content."""

    detected_type: str | None = None
    rows: int | None = None
    columns: int | None = None
    rules: str | None = None
    formula_cells: FormulaCells | None = None
    dicom: DicomSummary | None = None
    duration_ms: float | None = None
    queued_ms: float | None = None


class Attempt(_Payload):
    """How one earlier processing attempt ended (``FileRecord.history``)."""

    attempt: int
    state: FileState
    reasons: list[str] = Field(default_factory=list)
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime


class FileRecord(_Payload):
    """One file, as returned by ``GET /files/{file_id}``."""

    file_id: str
    state: FileState
    filename: str
    size: int
    content_type: str
    sha256: str
    metadata: dict[str, str] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    reasons: list[Reason] = Field(default_factory=list)
    details: FileDetails | None = None
    output: OutputLocation | None = None
    quarantine: QuarantineLocation | None = None
    error: ProcessingError | None = None
    history: list[Attempt] = Field(default_factory=list)

    @property
    def is_final(self) -> bool:
        """Whether the file will not change state any more.

        ``processed``, ``quarantined``, ``expired`` and ``cancelled`` are final;
        ``failed`` is final unless the error says it will be retried (a ``failed``
        record without an error is final, since nothing promises a retry).
        """
        if self.state in _ALWAYS_FINAL:
            return True
        if self.state is FileState.FAILED:
            return self.error is None or not self.error.retryable
        return False


class FilePage(_Payload):
    """One page of ``GET /files``; ``next_cursor`` is ``None`` on the last page."""

    files: list[FileRecord]
    next_cursor: str | None = None


class ErrorDetail(_Payload):
    """The ``error`` object of every error response."""

    code: str
    message: str
    request_id: str | None = None


class ErrorResponse(_Payload):
    """Every error response: ``{"error": {"code", "message", "request_id"}}``."""

    error: ErrorDetail
