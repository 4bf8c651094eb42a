"""pydantic models of every API payload. ``docs/openapi.json`` is generated from these."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from ..models import MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, FileState
from ..records import FileFields, FileRecord

MetadataKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MetadataValue = Annotated[str, StringConstraints(max_length=256)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
PartNumber = Annotated[StrictInt, Field(ge=1, le=MAX_PARTS)]
# Part URLs asked for in one call: each is ~1.5 KB on Lambda (the session token is in it),
# and a Lambda answer holds at most 6 MB.
MAX_PART_TARGETS = 1000


def no_control_characters(value: str) -> str:
    # Control and format characters (NUL, bidi overrides) have no place in names shown to people.
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValueError("must not contain control characters")
    return value


class PartChecksum(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_number: PartNumber
    sha256: Sha256Hex


class UploadRequest(BaseModel):
    """``POST /uploads``: a file the partner is about to upload."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, description="Kept as data, never used as a path.")
    size: StrictInt = Field(ge=0, description="Size in bytes.")
    content_type: str = Field(min_length=1, max_length=255)
    sha256: Sha256Hex = Field(description="SHA-256 of the bytes, hex.")
    metadata: dict[MetadataKey, MetadataValue] = Field(default_factory=dict, max_length=10)
    allow_duplicate: StrictBool = Field(
        default=False, description="Make a new file even if this partner has one with the same sha256 and filename."
    )
    parts: list[PartChecksum] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PARTS,
        description="Ask for a multipart upload: every part, numbered 1..N in order, with its SHA-256.",
    )
    part_size: StrictInt | None = Field(
        default=None,
        ge=MIN_PART_BYTES,
        le=MAX_PART_BYTES,
        description="Bytes in every part but the last (required with parts).",
        validate_default=True,
    )

    @field_validator("filename")
    @classmethod
    def _printable(cls, value: str) -> str:
        return no_control_characters(value)

    @field_validator("metadata")
    @classmethod
    def _printable_values(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            no_control_characters(item)
        return value

    @field_validator("parts")
    @classmethod
    def _numbered_in_order(cls, parts: list[PartChecksum] | None) -> list[PartChecksum] | None:
        if parts is not None and [part.part_number for part in parts] != list(range(1, len(parts) + 1)):
            raise ValueError("must be numbered 1..N, in order")
        return parts

    @field_validator("part_size")
    @classmethod
    def _parts_fit_the_size(cls, part_size: int | None, info: ValidationInfo) -> int | None:
        parts, size = info.data.get("parts"), info.data.get("size")
        if parts is None:
            if part_size is not None:
                raise ValueError("is only for a multipart upload (with parts)")
            return part_size
        if part_size is None:
            raise ValueError("is required with parts")
        if size is not None and not 1 <= size - (len(parts) - 1) * part_size <= part_size:
            raise ValueError(f"{len(parts)} parts of {part_size} bytes (the last one smaller) cannot hold {size} bytes")
        return part_size


class UploadTarget(BaseModel):
    method: str = "PUT"
    url: str
    headers: dict[str, str]


class PartTarget(UploadTarget):
    part_number: int


class MultipartTarget(BaseModel):
    """Where to send each part. Part URLs come for at most 1,000 parts per answer; ask
    ``POST /uploads/{file_id}/parts`` for the others."""

    part_size: int
    parts: list[PartTarget]


class UploadTicket(BaseModel):
    """The answer to ``POST /uploads``: 201 with where to send the bytes, or 200 with
    ``duplicate_of`` when this partner already has the file and there is nothing to send."""

    file_id: str
    state: FileState
    duplicate_of: str | None = None
    upload: UploadTarget | None = None
    multipart: MultipartTarget | None = None
    expires_at: datetime | None = None


class PartsRequest(BaseModel):
    """``POST /uploads/{file_id}/parts``: the parts to presign again."""

    model_config = ConfigDict(extra="forbid")

    part_numbers: list[PartNumber] = Field(min_length=1, max_length=MAX_PART_TARGETS)


class PartsTicket(BaseModel):
    """The answer to ``POST /uploads/{file_id}/parts``."""

    file_id: str
    multipart: MultipartTarget
    expires_at: datetime


class CompletedPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_number: PartNumber
    etag: str = Field(
        min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$", description="The ETag S3 answered the part's PUT with."
    )


class CompleteRequest(BaseModel):
    """``POST /uploads/{file_id}/complete``: every part, in order, with its ETag."""

    model_config = ConfigDict(extra="forbid")

    parts: list[CompletedPart] = Field(min_length=1, max_length=MAX_PARTS)


class FileView(FileFields):
    """A file record as partners see it (``GET /files/{file_id}``): no internal fields."""

    @classmethod
    def of(cls, record: FileRecord) -> FileView:
        return cls.model_validate(record.model_dump(include=set(cls.model_fields)))


class FilePage(BaseModel):
    """``GET /files``: one page, newest first."""

    files: list[FileView]
    next_cursor: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str | None = None


class ErrorBody(BaseModel):
    """Every error answer, whatever produced it."""

    error: ErrorDetail
