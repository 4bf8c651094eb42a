"""Declaring a file: its fields, checked before any request, and ``POST /uploads``."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from scalper_inspection import content_type_for

from ._exceptions import InvalidArgumentError
from ._http import Transport
from .models import FileRecord, FileState, UploadRequest, UploadTicket

__all__ = ["Sent", "declaration_fields", "declare", "guess_content_type"]

logger = logging.getLogger("silent_scalper")

DEFAULT_CONTENT_TYPE = "application/octet-stream"
# A placeholder for checking a declaration's fields before the file is hashed.
_NO_DIGEST = "0" * 64


@dataclass(frozen=True)
class Sent:
    """What became of one upload.

    Attributes:
        file_id: The file's id (the existing file's for a duplicate).
        state: Its state when the upload returned.
        duplicate_of: Set when nothing was sent because the API already had the file.
        record: The record, when the API returned one (complete does).
        bytes_sent: Bytes this call sent to storage.
    """

    file_id: str
    state: FileState
    duplicate_of: str | None = None
    record: FileRecord | None = None
    bytes_sent: int = 0


def guess_content_type(filename: str) -> str:
    """Guess a content type from a file name, preferring the types the pipeline accepts.

    The pipeline's own validators name their extensions (``.csv``, ``.json``,
    ``.jsonl``/``.ndjson``, ``.dcm``/``.dicom``), so the SDK guesses as the processor reads.

    Args:
        filename: A file name or path.

    Returns:
        The content type; ``application/octet-stream`` when nothing matches.
    """
    guessed = content_type_for(filename) or mimetypes.guess_type(filename)[0]
    return guessed or DEFAULT_CONTENT_TYPE


def declaration_fields(
    filename: str, content_type: str | None, metadata: Mapping[str, str] | None, allow_duplicate: bool
) -> dict[str, Any]:
    """The declared fields, checked now so that a wrong type is refused before any request.

    Raises:
        InvalidArgumentError: A field has the wrong type or value; the message names it.
    """
    if metadata is not None and not isinstance(metadata, Mapping):
        raise InvalidArgumentError(f"metadata must be a mapping of strings to strings, got {type(metadata).__name__}")
    fields: dict[str, Any] = {
        "filename": filename,
        "content_type": content_type or guess_content_type(filename),
        "metadata": dict(metadata) if metadata else None,
        "allow_duplicate": True if allow_duplicate else None,
    }
    try:
        UploadRequest(**fields, size=0, sha256=_NO_DIGEST)
    except ValidationError as err:
        raise InvalidArgumentError(_describe(err)) from None
    return {name: value for name, value in fields.items() if value is not None}


def declare(transport: Transport, request: UploadRequest, idempotency_key: str) -> UploadTicket:
    """``POST /uploads``, retried safely: the same key returns the same file.

    Raises:
        APIStatusError: The API refused the declaration.
        APIConnectionError: The API could not be reached, after retries.
    """
    ticket = transport.post(
        "/uploads",
        cast_to=UploadTicket,
        json=request.model_dump(exclude_none=True),
        idempotent=True,
        headers={"Idempotency-Key": idempotency_key},
    )
    if ticket.duplicate_of is not None:
        logger.info("file %s is already uploaded: nothing to send", ticket.file_id)
    return ticket


def _describe(err: ValidationError) -> str:
    problems = []
    for error in err.errors()[:3]:
        where = str(error["loc"][0]) + "".join(f"[{part!r}]" for part in error["loc"][1:])
        value = error.get("input")
        problems.append(f"{where}: {error['msg'].lower()} (got {type(value).__name__})")
    hint = "; metadata keys and values are strings: pass str(value)" if "metadata" in problems[0] else ""
    return "; ".join(problems) + hint
