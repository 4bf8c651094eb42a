"""Declaring an upload: validate what the partner says, record it, sign a URL for the bytes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta

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


def create_upload(
    request: UploadRequest,
    partner_id: str,
    *,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
    now: Callable[[], datetime] = utcnow,
) -> UploadTicket:
    """Record a new file as ``pending_upload`` and presign the PUT of its bytes.

    The object key is made of the partner id and a file id we generate; the filename is
    stored as data only.

    Raises:
        FileTooLarge, UnsupportedContentType: the declaration is refused.
        StoreError: DynamoDB or S3 failed.
    """
    content_type = normalise_content_type(request.content_type)
    if request.size > settings.max_upload_bytes:
        raise FileTooLarge(f"size {request.size} is over the limit of {settings.max_upload_bytes} bytes.")
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
