"""Multipart uploads: one presigned URL per part, each bound to its length and SHA-256;
presign again on request (resume, expired URLs); complete with the declared checksums.

The S3 upload id stays in the file record and never reaches the partner: every S3 call
on it is made here, for a file the caller's partner owns.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .api.schemas import (
    CompleteRequest,
    FileView,
    MultipartTarget,
    PartChecksum,
    PartsRequest,
    PartsTicket,
    PartTarget,
)
from .config import Settings
from .deadlines import keep_open
from .errors import Conflict, InvalidRequest, MultipartUploadGone, PartsRejected, UploadIncomplete
from .listing import get_record
from .models import VOID_STATES
from .records import FileRecord, MultipartUpload, utcnow

# Part numbers quoted back in an error message, at most.
_SHOWN = 10


def start_multipart(
    record: FileRecord, parts: Sequence[PartChecksum], part_size: int, *, settings: Settings, objects: Objects
) -> FileRecord:
    """Create the S3 multipart upload for a new record; returns the record holding it."""
    upload_id = objects.start_multipart(
        bucket=settings.input_bucket, key=record.object_key, content_type=record.content_type
    )
    return record.model_copy(
        update={
            "multipart": MultipartUpload(upload_id=upload_id, part_size=part_size, part_count=len(parts)),
            "part_sha256": b"".join(bytes.fromhex(part.sha256) for part in parts),
        }
    )


def part_targets(
    record: FileRecord,
    plan: MultipartUpload,
    part_numbers: Iterable[int],
    *,
    settings: Settings,
    objects: Objects,
) -> MultipartTarget:
    """Presigned UploadPart URLs for some parts of a record's multipart upload (``plan``).

    Each URL is signed over the part's exact length and declared SHA-256, so S3 refuses a
    part whose bytes differ (on AWS; moto does not check, the processor still does).
    """
    targets = []
    for number in part_numbers:
        size = min(plan.part_size, record.size - (number - 1) * plan.part_size)
        checksum = base64.b64encode(record.part_checksum(number)).decode("ascii")
        url = objects.presign_part(
            bucket=settings.input_bucket,
            key=record.object_key,
            upload_id=plan.upload_id,
            part_number=number,
            size=size,
            sha256_b64=checksum,
            expires_in=settings.upload_url_ttl_seconds,
        )
        headers = {"Content-Length": str(size), "x-amz-checksum-sha256": checksum}
        targets.append(PartTarget(part_number=number, method="PUT", url=url, headers=headers))
    return MultipartTarget(part_size=plan.part_size, parts=targets)


def refresh_parts(
    partner_id: str,
    file_id: str,
    request: PartsRequest,
    *,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
    now: Callable[[], datetime] = utcnow,
) -> PartsTicket:
    """Fresh URLs for some parts of a pending multipart upload (to resume, or after expiry).

    Raises:
        FileNotFound: no such file for this partner.
        Conflict: the file is not a multipart upload still awaiting its bytes.
        InvalidRequest: a part number is beyond the upload's parts.
    """
    record = get_record(files, partner_id, file_id)
    if record.multipart is None or not record.awaiting_bytes:
        raise Conflict(f"No multipart upload awaits parts for this file (it is {record.state.value}).")
    count = record.multipart.part_count
    beyond = [n for n in request.part_numbers if n > count][:_SHOWN]
    if beyond:
        raise InvalidRequest(f"part_numbers: this upload has parts 1..{count}; not {beyond}.")
    numbers = list(dict.fromkeys(request.part_numbers))
    expires = (now() + timedelta(seconds=settings.upload_url_ttl_seconds)).replace(microsecond=0)
    targets = part_targets(record, record.multipart, numbers, settings=settings, objects=objects)
    keep_open(record, files=files, settings=settings, now=now())
    return PartsTicket(file_id=record.file_id, multipart=targets, expires_at=expires)


def complete_upload(
    partner_id: str,
    file_id: str,
    request: CompleteRequest,
    *,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
) -> FileView:
    """Have S3 assemble the file from its parts, each with its declared SHA-256; S3 then
    announces the object and processing starts. Completing again returns the record.

    Raises:
        FileNotFound: no such file for this partner.
        Conflict: not a multipart upload, or cancelled/expired, or S3 no longer has it.
        UploadIncomplete: a part is missing, or S3 refused one (ETag or checksum).
    """
    record = get_record(files, partner_id, file_id)
    if record.multipart is None or record.state in VOID_STATES:
        raise Conflict(f"This file has no multipart upload to complete (it is {record.state.value}).")
    if not record.awaiting_bytes:
        return FileView.of(record)  # completed before: harmless
    _check_every_part_listed(request, record.multipart.part_count)
    parts = [
        (part.part_number, part.etag, base64.b64encode(record.part_checksum(part.part_number)).decode("ascii"))
        for part in request.parts
    ]
    bucket, upload_id = settings.input_bucket, record.multipart.upload_id
    try:
        objects.complete_multipart(bucket=bucket, key=record.object_key, upload_id=upload_id, parts=parts)
    except PartsRejected as err:
        raise UploadIncomplete(f"S3 refused the parts ({err}): upload each part again, then complete.") from None
    except MultipartUploadGone:
        # A concurrent complete won (or the upload was aborted): the record says which.
        current = get_record(files, partner_id, file_id)
        if current.awaiting_bytes or current.state in VOID_STATES:
            raise Conflict("The multipart upload no longer exists; GET the file for its state.") from None
        return FileView.of(current)
    return FileView.of(files.mark_completed(partner_id, record.file_id))


def _check_every_part_listed(request: CompleteRequest, count: int) -> None:
    listed = [part.part_number for part in request.parts]
    if listed != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(listed))[:_SHOWN]
        raise UploadIncomplete(f"parts: list every part 1..{count} once, in order; missing {missing}.")
