"""Declaring an upload: validate what the partner says, record it, sign a URL for the bytes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta

from scalper_inspection import Rules

from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .api.schemas import UploadRequest, UploadTarget, UploadTicket
from .config import Settings
from .errors import FileTooLarge, UnsupportedContentType
from .models import SUPPORTED_CONTENT_TYPES, FileState
from .records import FileRecord, new_file_id, object_key, utcnow


def normalise_content_type(value: str) -> str:
    """``Text/CSV; charset=utf-8`` -> ``text/csv``.

    Raises:
        UnsupportedContentType: the pipeline cannot validate that type.
    """
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type not in SUPPORTED_CONTENT_TYPES:
        supported = ", ".join(sorted(SUPPORTED_CONTENT_TYPES))
        raise UnsupportedContentType(f"content_type {media_type!r} is not supported; use one of: {supported}.")
    return media_type


def check_declaration(content_type: str, size: int, *, settings: Settings, rules: Rules) -> str:
    """Refuse a type or size that the platform or the partner's rules do not allow.

    Returns:
        The normalised content type.

    Raises:
        UnsupportedContentType: the pipeline cannot validate the type
            (``unsupported_content_type``), or the rules forbid it (``content_type_not_allowed``).
        FileTooLarge: over the platform's limit, or the rules' ``max_size``.
    """
    media_type = normalise_content_type(content_type)
    if not rules.allows_type(media_type):
        allowed = ", ".join(rules.allowed_types) or "none"
        raise UnsupportedContentType(
            f"content_type {media_type!r} is not allowed by your rules (profile {rules.profile}); allowed: {allowed}.",
            code="content_type_not_allowed",
        )
    limit = min(settings.max_upload_bytes, rules.max_size if rules.max_size is not None else settings.max_upload_bytes)
    if size > limit:
        whose = "your rules" if limit < settings.max_upload_bytes else "the platform"
        raise FileTooLarge(f"size {size} is over the limit of {limit} bytes set by {whose}.")
    return media_type


def create_upload(
    request: UploadRequest,
    partner_id: str,
    *,
    settings: Settings,
    rules: Rules,
    files: FilesTable,
    objects: Objects,
    now: Callable[[], datetime] = utcnow,
) -> UploadTicket:
    """Record a new file as ``pending_upload`` and presign the PUT of its bytes.

    The object key is made of the partner id and a file id we generate; the filename is
    stored as data only.

    Raises:
        FileTooLarge, UnsupportedContentType: the declaration is refused (by the platform,
            or by the partner's rules: code ``content_type_not_allowed``).
        StoreError: DynamoDB or S3 failed.
    """
    content_type = check_declaration(request.content_type, request.size, settings=settings, rules=rules)
    created = now()
    file_id = new_file_id()
    record = FileRecord(
        partner_id=partner_id,
        file_id=file_id,
        state=FileState.PENDING_UPLOAD,
        filename=request.filename,
        size=request.size,
        content_type=content_type,
        sha256=request.sha256,
        metadata=request.metadata,
        object_key=object_key(partner_id, file_id),
        created_at=created,
        updated_at=created,
    )
    files.put_new(record)
    checksum = base64.b64encode(bytes.fromhex(request.sha256)).decode("ascii")
    url = objects.presign_put(
        bucket=settings.input_bucket,
        key=record.object_key,
        content_type=content_type,
        size=request.size,
        sha256_b64=checksum,
        expires_in=settings.upload_url_ttl_seconds,
    )
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(request.size),
        "x-amz-checksum-sha256": checksum,
    }
    return UploadTicket(
        file_id=file_id,
        upload=UploadTarget(method="PUT", url=url, headers=headers),
        expires_at=(created + timedelta(seconds=settings.upload_url_ttl_seconds)).replace(microsecond=0),
    )
