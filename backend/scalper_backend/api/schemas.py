"""pydantic models of every API payload. ``docs/openapi.json`` is generated from these."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

from scalper_inspection import Rules

from ..records import FileFields, FileRecord

MetadataKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MetadataValue = Annotated[str, StringConstraints(max_length=256)]


def _no_control_characters(value: str) -> str:
    # Control and format characters (NUL, bidi overrides) have no place in names shown to people.
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValueError("must not contain control characters")
    return value


class UploadRequest(BaseModel):
    """``POST /uploads``: a file the partner is about to upload."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, description="Kept as data, never used as a path.")
    size: StrictInt = Field(ge=0, description="Size in bytes.")
    content_type: str = Field(min_length=1, max_length=255)
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the bytes, hex.")
    metadata: dict[MetadataKey, MetadataValue] = Field(default_factory=dict, max_length=10)

    @field_validator("filename")
    @classmethod
    def _printable(cls, value: str) -> str:
        return _no_control_characters(value)

    @field_validator("metadata")
    @classmethod
    def _printable_values(cls, value: dict[str, str]) -> dict[str, str]:
        for item in value.values():
            _no_control_characters(item)
        return value

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UploadTarget(BaseModel):
    method: str = "PUT"
    url: str
    headers: dict[str, str]


class UploadTicket(BaseModel):
    """``201`` answer to ``POST /uploads``."""

    file_id: str
    upload: UploadTarget
    expires_at: datetime


class FileView(FileFields):
    """A file record as partners see it (``GET /files/{file_id}``): no internal fields."""

    @classmethod
    def of(cls, record: FileRecord) -> FileView:
        return cls.model_validate(record.model_dump(include=set(cls.model_fields)))


class FilePage(BaseModel):
    """``GET /files``: one page, newest first."""

    files: list[FileView]
    next_cursor: str | None


class RulesView(Rules):
    """``GET /rules``: the rules that judge the caller's uploads (``scalper validate`` uses them)."""

    @classmethod
    def of(cls, rules: Rules) -> RulesView:
        return cls.model_validate(rules.model_dump(by_alias=True))


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str | None = None


class ErrorBody(BaseModel):
    """Every error answer, whatever produced it."""

    error: ErrorDetail
