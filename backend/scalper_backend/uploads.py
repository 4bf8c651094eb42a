"""Declaring an upload: validate what the partner says, find the partner's duplicate or
record a new file, and sign where its bytes go (one PUT, or a multipart upload)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from scalper_inspection import Rules

from .adapters.files_table import FilesTable, UniqueName
from .adapters.objects import Objects
from .api.schemas import MAX_PART_TARGETS, FileView, UploadRequest, UploadTarget, UploadTicket
from .config import Settings
from .deadlines import keep_open, upload_deadline
from .errors import Conflict, DuplicateRace, FileTooLarge, StateConflict, StoreError, UnsupportedContentType
from .listing import checked_file_id, get_record
from .models import MAX_SINGLE_PUT_BYTES, SUPPORTED_CONTENT_TYPES, VOID_STATES, FileState
from .multipart import part_targets, start_multipart
from .observability import Metric, count
from .records import FileRecord, duplicate_key, new_file_id, object_key, utcnow

# Declarations of one (sha256, filename) racing each other: the loser reads the winner's
# record and answers with it, so a second round is enough; more is a fault.
_RACE_ROUNDS = 3


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
    """Answer a declaration: the partner's existing file with this sha256 and filename, or
    a new ``pending_upload`` file with presigned upload targets.

    The ticket has ``duplicate_of`` set exactly when there is nothing to send (the API
    answers 200 then, 201 otherwise).

    The object key is made of the partner id and a file id we generate; the filename is
    stored as data only. Unless ``allow_duplicate``, the new record and the item that
    makes (partner, sha256, filename) unique are written in one transaction.

    Raises:
        FileTooLarge, UnsupportedContentType: the declaration is refused (by the platform,
            or by the partner's rules: code ``content_type_not_allowed``).
        StoreError: DynamoDB or S3 failed.
    """
    # The platform's and the partner's rules, before anything is read, written or started.
    content_type = check_declaration(request.content_type, request.size, settings=settings, rules=rules)
    _check_single_put(request)
    name = None if request.allow_duplicate else duplicate_key(request.sha256, request.filename)
    for _ in range(_RACE_ROUNDS):
        holder_id = files.name_holder(partner_id, name) if name else None
        holder = files.get(partner_id, holder_id) if holder_id else None
        if holder is not None and holder.state not in VOID_STATES:
            # A file still awaiting its bytes gets fresh targets; any other has nothing to send.
            duplicate_of = None if holder.awaiting_bytes else holder.file_id
            return _ticket_again(
                holder, duplicate_of=duplicate_of, settings=settings, files=files, objects=objects, now=now()
            )
        # A void holder (or one whose record is gone) gives its name up to the new file.
        record = _new_record(request, partner_id, content_type, now(), settings=settings, objects=objects)
        try:
            files.put_new(record, unique=UniqueName(name, holder_id) if name else None)
        except StoreError as err:
            # Nothing will ever name this multipart upload: do not leave it behind.
            _abort_multipart(record, settings=settings, objects=objects)
            if isinstance(err, DuplicateRace):
                continue  # the next round reads the winner
            raise
        count(Metric.FILES_DECLARED)
        return ticket_for(record, settings=settings, objects=objects, now=now())
    raise StoreError(f"declaration still racing after {_RACE_ROUNDS} rounds")


def declare_upload(
    request: UploadRequest,
    partner_id: str,
    *,
    idempotency_key: str | None,
    idempotency_store: Callable[[], Any],
    context: Any,
    settings: Settings,
    rules: Rules,
    files: FilesTable,
    objects: Objects,
) -> tuple[UploadTicket, bool]:
    """:func:`create_upload`, once per ``Idempotency-Key`` when one is given; returns the
    ticket and whether it is a replay (the first answer again, with fresh URLs).

    Args:
        idempotency_store: makes Powertools' persistence layer (only called with a key).
        context: the Lambda context (see :func:`idempotency.run_once`).

    Raises:
        IdempotencyKeyReused, RequestInProgress: see :func:`idempotency.run_once`.
    """

    def create() -> UploadTicket:
        return create_upload(request, partner_id, settings=settings, rules=rules, files=files, objects=objects)

    if idempotency_key is None:
        return create(), False
    # Imported here: requests without the header never load Powertools' idempotency (8 ms).
    from .idempotency import Kept, run_once

    outcome = run_once(
        idempotency_store(),
        partner_id=partner_id,
        key=idempotency_key,
        request=request,
        run=create,
        keep=lambda ticket: Kept(file_id=ticket.file_id, duplicate_of=ticket.duplicate_of),
        context=context,
    )
    if isinstance(outcome, UploadTicket):
        return outcome, False
    record = get_record(files, partner_id, outcome.file_id)
    ticket = _ticket_again(
        record, duplicate_of=outcome.duplicate_of, settings=settings, files=files, objects=objects, now=utcnow()
    )
    return ticket, True


def ticket_for(
    record: FileRecord,
    *,
    settings: Settings,
    objects: Objects,
    now: datetime,
    duplicate_of: str | None = None,
) -> UploadTicket:
    """The ticket for a file: fresh upload targets while it awaits its bytes, none after."""
    ticket = UploadTicket(file_id=record.file_id, state=record.state, duplicate_of=duplicate_of)
    if record.awaiting_bytes:
        ttl = settings.upload_url_ttl_seconds
        ticket.expires_at = (now + timedelta(seconds=ttl)).replace(microsecond=0)
        if record.multipart is None:
            ticket.upload = _single_put(record, settings=settings, objects=objects)
        else:
            first = range(1, min(record.multipart.part_count, MAX_PART_TARGETS) + 1)
            ticket.multipart = part_targets(record, record.multipart, first, settings=settings, objects=objects)
    return ticket


def cancel_upload(
    partner_id: str,
    file_id: str,
    *,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
    now: Callable[[], datetime] = utcnow,
) -> FileView:
    """Abort a declared upload: the file becomes ``cancelled`` (final), its multipart
    upload is aborted. Cancelling a cancelled file again is harmless (the abort is retried).

    Raises:
        FileNotFound: no such file for this partner.
        Conflict: the file is past ``pending_upload`` (or its multipart upload is complete).
    """
    try:
        record = files.cancel(partner_id, checked_file_id(file_id), now=now())
    except StateConflict as conflict:
        record = conflict.current or get_record(files, partner_id, file_id)
        if record.state != FileState.CANCELLED:
            raise Conflict(f"Only a pending_upload can be cancelled; this file is {record.state.value}.") from None
    # S3 may keep a part whose upload was in flight during the abort; the bucket's
    # lifecycle rule aborts incomplete uploads after 7 days, and a second DELETE retries.
    _abort_multipart(record, settings=settings, objects=objects)
    return FileView.of(record)


def _check_single_put(request: UploadRequest) -> None:
    if request.parts is None and request.size > MAX_SINGLE_PUT_BYTES:
        raise FileTooLarge(f"size {request.size} is over what one PUT holds ({MAX_SINGLE_PUT_BYTES}); send parts.")


def _ticket_again(
    record: FileRecord,
    *,
    duplicate_of: str | None,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
    now: datetime,
) -> UploadTicket:
    """The ticket for an existing file; fresh targets keep it open until they expire."""
    ticket = ticket_for(record, duplicate_of=duplicate_of, settings=settings, objects=objects, now=now)
    keep_open(record, files=files, settings=settings, now=now)
    return ticket


def _new_record(
    request: UploadRequest,
    partner_id: str,
    content_type: str,
    created: datetime,
    *,
    settings: Settings,
    objects: Objects,
) -> FileRecord:
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
        due_at=upload_deadline(created, settings),
    )
    if request.parts is None or request.part_size is None:
        return record
    return start_multipart(record, request.parts, request.part_size, settings=settings, objects=objects)


def _abort_multipart(record: FileRecord, *, settings: Settings, objects: Objects) -> None:
    if record.multipart is not None:
        upload_id = record.multipart.upload_id
        objects.abort_multipart(bucket=settings.input_bucket, key=record.object_key, upload_id=upload_id)


def _single_put(record: FileRecord, *, settings: Settings, objects: Objects) -> UploadTarget:
    checksum = base64.b64encode(bytes.fromhex(record.sha256)).decode("ascii")
    url = objects.presign_put(
        bucket=settings.input_bucket,
        key=record.object_key,
        content_type=record.content_type,
        size=record.size,
        sha256_b64=checksum,
        expires_in=settings.upload_url_ttl_seconds,
    )
    headers = {
        "Content-Type": record.content_type,
        "Content-Length": str(record.size),
        "x-amz-checksum-sha256": checksum,
    }
    return UploadTarget(method="PUT", url=url, headers=headers)
