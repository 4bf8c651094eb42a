"""Domain models shared by the handlers, the processor and the records store."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

# What the processor can validate: the API refuses anything else up front (415).
ContentType = Literal["text/csv", "application/json", "application/x-ndjson", "application/jsonl"]
SUPPORTED_CONTENT_TYPES: frozenset[str] = frozenset(get_args(ContentType))


class FileState(StrEnum):
    """Where a file is in its life (``docs/api.md`` says which states are final)."""

    PENDING_UPLOAD = "pending_upload"
    PROCESSING = "processing"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    # Declared but never uploaded before its URL expired (the sweeper sets it).
    EXPIRED = "expired"
    # Declared, then aborted by the partner (DELETE /uploads/{file_id}).
    CANCELLED = "cancelled"


# A declaration in these states no longer holds its (sha256, filename): declaring the same
# file again makes a new file.
VOID_STATES = frozenset({FileState.EXPIRED, FileState.CANCELLED})

# S3's limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): one PUT
# holds at most 5 GiB; a multipart upload has 1..10,000 parts, each 5 MiB..5 GiB except
# the last, which may be smaller.
MAX_SINGLE_PUT_BYTES = 5 * 1024**3
MIN_PART_BYTES = 5 * 1024**2
MAX_PART_BYTES = 5 * 1024**3
MAX_PARTS = 10_000


class Reason(BaseModel):
    """Why a file was quarantined: a stable machine code and a sentence for people."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
