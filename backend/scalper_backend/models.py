"""Domain models shared by the handlers, the processor and the records store."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

# What the processor can validate: the API refuses anything else up front (415).
ContentType = Literal["text/csv", "application/json", "application/x-ndjson", "application/jsonl"]
SUPPORTED_CONTENT_TYPES: frozenset[str] = frozenset(get_args(ContentType))


class FileState(StrEnum):
    """Where a file is in its life. Every accepted file ends in exactly one of the last three."""

    PENDING_UPLOAD = "pending_upload"
    PROCESSING = "processing"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    FAILED = "failed"


class Reason(BaseModel):
    """Why a file was quarantined: a stable machine code and a sentence for people."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
