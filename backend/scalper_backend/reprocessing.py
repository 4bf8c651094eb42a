"""Reprocessing: send a quarantined or failed file through processing again (after a rule
change, say), keeping how each attempt ended in the record's ``history``.

Where the bytes come from: a quarantined file's bytes are in the quarantine bucket (the
input was deleted when it was quarantined), so they are copied back to the file's key
under ``uploads/``, where S3 announces them to the queue as for any upload, and the
quarantine copy is then deleted (one home at a time; versioning keeps the old one for the
recovery window). A failed file's input is still in the input bucket (kept until
``UnprocessedUploadRetentionDays``), so its event is put back on the queue.

The record goes first: ``quarantined``/``failed`` -> ``processing``, queued (no attempt
holds it, so the processor's claim may take it), conditional on the record being as it
was read. If moving the bytes then fails, the record is put back as it was. If the
reprocess stops in between (the function dies, or putting the record back fails too), the
record is queued but the bytes are still in quarantine: the sweeper, then the processor
finding no input, leave the file ``failed``, and reprocessing a failed file whose input is
gone looks for them in quarantine, so they are never stranded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .adapters.queues import UploadEvents
from .config import Settings
from .deadlines import queue_deadline
from .errors import Conflict, StateConflict
from .listing import get_record
from .models import FileState
from .notifications import S3ObjectRef, requeue_notification
from .observability import logger
from .records import FileRecord, ObjectLocation, quarantine_key, utcnow

REPROCESSABLE = frozenset({FileState.QUARANTINED, FileState.FAILED})


def reprocess_file(
    partner_id: str,
    file_id: str,
    *,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
    events: UploadEvents,
    now: Callable[[], datetime] = utcnow,
) -> FileRecord:
    """Reprocess one of the partner's files (``POST /files/{file_id}/reprocess``).

    Raises:
        FileNotFound: no such file for this partner.
        Conflict: ``invalid_state``: the file is not quarantined or failed, changed
            meanwhile, or its bytes are no longer kept.
    """
    record = get_record(files, partner_id, file_id)
    return reprocess(record, settings=settings, files=files, objects=objects, events=events, now=now)


def reprocess(
    record: FileRecord,
    *,
    settings: Settings,
    files: FilesTable,
    objects: Objects,
    events: UploadEvents,
    now: Callable[[], datetime] = utcnow,
) -> FileRecord:
    """Queue a file read as ``record`` for processing again; returns the queued record.

    Raises:
        Conflict: see :func:`reprocess_file`.
    """
    if record.state not in REPROCESSABLE:
        raise Conflict(f"Only a quarantined or failed file can be reprocessed; this file is {record.state.value}.")
    source = _moved_from(record, settings=settings, objects=objects)
    moment = now()
    try:
        queued = files.queue_again(record, now=moment, due=queue_deadline(moment, settings))
    except StateConflict:
        raise Conflict("The file changed while it was being reprocessed; get it and try again.") from None
    try:
        if source is not None:
            objects.copy(
                source_bucket=source.bucket, source_key=source.key, bucket=settings.input_bucket, key=record.object_key
            )
            objects.delete(source.bucket, source.key)
        else:
            ref = S3ObjectRef(bucket=settings.input_bucket, key=record.object_key, size=record.size)
            events.send(requeue_notification(ref, moment))
    except Exception:
        files.restore(queued, record)
        raise
    logger.info("reprocessing", extra={"file_id": record.file_id, "partner_id": record.partner_id, "was": record.state})
    return queued


def _moved_from(record: FileRecord, *, settings: Settings, objects: Objects) -> ObjectLocation | None:
    """Where the bytes must be copied back from, or ``None`` when they are in the input bucket.

    Raises:
        Conflict: the bytes are kept nowhere.
    """
    if record.state == FileState.QUARANTINED and record.quarantine is not None:
        return record.quarantine
    if objects.exists(settings.input_bucket, record.object_key):
        return None
    # A reprocess of a quarantined file that stopped before its bytes went back (see above).
    stranded = ObjectLocation(bucket=settings.quarantine_bucket, key=quarantine_key(record.partner_id, record.file_id))
    if objects.exists(stranded.bucket, stranded.key):
        return stranded
    raise Conflict("The uploaded bytes of this file are no longer kept, so it cannot be reprocessed.")
