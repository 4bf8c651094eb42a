"""Domain models shared by the handlers, the processor and the records store."""

from __future__ import annotations

from enum import StrEnum

# What the processor can validate and why a file fails: defined once, by the inspection
# package the SDK shares (the API refuses any other content type up front, 415).
from scalper_inspection import SUPPORTED_CONTENT_TYPES, Reason

__all__ = ["SUPPORTED_CONTENT_TYPES", "FileState", "Reason"]


class FileState(StrEnum):
    """Where a file is in its life. Every accepted file ends in exactly one of the last three."""

    PENDING_UPLOAD = "pending_upload"
    PROCESSING = "processing"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    FAILED = "failed"

