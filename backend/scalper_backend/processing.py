"""Processing one uploaded object: claim it, inspect it, then publish its outcome.

Each file ends in exactly one known state. The claim is a conditional write, so a
redelivered event (SQS is at-least-once) finds the file final and does nothing, and two
concurrent deliveries cannot both work on it. The order of the side effects is chosen so
that a crash at any point leaves the file recoverable by the next delivery:

* valid: write the output, then mark ``processed``;
* invalid: copy to quarantine, alert, mark ``quarantined``, then delete the input
  (a redelivery that finds it ``quarantined`` finishes that delete);
* a fault of ours: mark ``failed`` (retryable), alert, and let SQS deliver again; after
  the queue's max receives the message goes to the dead-letter queue, which is alarmed.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from aws_lambda_powertools import Logger

from .adapters.alerts import Alerts
from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .config import Settings
from .errors import FileBusy, ObjectMissing, ScalperError, StateConflict
from .inspection import Declared, Inspection, inspect_stream
from .log_fields import exception_fields
from .models import VOID_STATES, FileState
from .notifications import S3ObjectRef
from .records import (
    FileDetails,
    FileRecord,
    ObjectLocation,
    OutputLocation,
    ProcessingError,
    parse_object_key,
    utcnow,
)

logger = Logger(service="scalper")

OUTPUT_CONTENT_TYPE = "application/x-ndjson"
# Inspection output is kept in memory up to this size, then spills to /tmp.
SPOOL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Processor:
    """Everything processing needs, built once per cold start."""

    settings: Settings
    files: FilesTable
    objects: Objects
    alerts: Alerts
    now: Callable[[], datetime] = utcnow

    def process(self, ref: S3ObjectRef) -> FileState | None:
        """Take one created object to a final state (or to ``failed``, raising).

        Returns:
            The state the file ended in, or ``None`` when there was nothing to do.

        Raises:
            FileBusy: another attempt is processing the file right now.
            Exception: a fault of ours; the file is marked ``failed`` first.
        """
        ids = parse_object_key(ref.key) if ref.bucket == self.settings.input_bucket else None
        if ids is None:
            logger.warning("ignoring an object we did not issue", extra={"bucket": ref.bucket})
            return None
        partner_id, file_id = ids
        try:
            claimed = self.files.claim(
                partner_id,
                file_id,
                now=self.now(),
                lease=timedelta(seconds=self.settings.processing_lease_seconds),
                uploaded_at=ref.event_time,
            )
        except StateConflict as conflict:
            return self._not_claimed(ref, partner_id, file_id, conflict.current)
        logger.info("processing", extra={"file_id": file_id, "partner_id": partner_id, "attempt": claimed.attempts})
        try:
            return self._run(claimed)
        except StateConflict:
            logger.warning("lost the claim to another attempt", extra={"file_id": file_id})
            return None
        except Exception as err:
            self._fail(claimed, err)
            raise

    def _not_claimed(
        self, ref: S3ObjectRef, partner_id: str, file_id: str, current: FileRecord | None
    ) -> FileState | None:
        if current is None:
            # An object under our prefix with no record: never delete data silently.
            self._quarantine_orphan(ref, partner_id, file_id)
            return None
        if current.state == FileState.PROCESSING:
            raise FileBusy(file_id)
        if current.state == FileState.QUARANTINED:
            # Finish a move that an earlier attempt may have left half done. A delete of an
            # object that is gone succeeds, and needs no s3:ListBucket to tell 404 from 403.
            self.objects.delete(ref.bucket, ref.key)
        if current.state in VOID_STATES:
            # Bytes that arrived after the partner cancelled (a PUT URL still valid, or a
            # complete racing the cancel): the declaration is void, so they are not kept.
            logger.warning("upload arrived for a void declaration", extra={"file_id": file_id})
            self.objects.delete(ref.bucket, ref.key)
        logger.info("duplicate delivery ignored", extra={"file_id": file_id, "state": current.state.value})
        return current.state

    def _run(self, claimed: FileRecord) -> FileState:
        started = time.perf_counter()
        queued_ms = _milliseconds(claimed.updated_at - claimed.uploaded_at) if claimed.uploaded_at else None
        declared = Declared(size=claimed.size, sha256=claimed.sha256, content_type=claimed.content_type)
        body = self.objects.open(self.settings.input_bucket, claimed.object_key)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as sink:
            try:
                result = inspect_stream(body, declared, sink)
            finally:
                body.close()
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            if result.ok:
                sink.seek(0)
                return self._processed(claimed, result, sink, duration_ms, queued_ms)
        return self._quarantined(claimed, result, duration_ms, queued_ms)

    def _processed(
        self, claimed: FileRecord, result: Inspection, sink: IO[bytes], duration_ms: float, queued_ms: float | None
    ) -> FileState:
        key = f"processed/{claimed.partner_id}/{claimed.file_id}.jsonl"
        self.objects.upload(sink, bucket=self.settings.output_bucket, key=key, content_type=OUTPUT_CONTENT_TYPE)
        self._record_outcome(
            claimed,
            FileState.PROCESSED,
            details=_details(result, duration_ms, queued_ms),
            output=OutputLocation(
                bucket=self.settings.output_bucket, key=key, format=result.output_format, size=result.output_size
            ),
        )
        logger.info("processed", extra={"file_id": claimed.file_id, "rows": result.rows, "duration_ms": duration_ms})
        return FileState.PROCESSED

    def _quarantined(
        self, claimed: FileRecord, result: Inspection, duration_ms: float, queued_ms: float | None
    ) -> FileState:
        key = f"quarantine/{claimed.partner_id}/{claimed.file_id}"
        self.objects.copy(
            source_bucket=self.settings.input_bucket,
            source_key=claimed.object_key,
            bucket=self.settings.quarantine_bucket,
            key=key,
        )
        codes = [reason.code for reason in result.reasons]
        self.alerts.publish(
            "file.quarantined",
            "Silent Scalper: file quarantined",
            {"partner_id": claimed.partner_id, "file_id": claimed.file_id, "reasons": codes},
        )
        self._record_outcome(
            claimed,
            FileState.QUARANTINED,
            reasons=list(result.reasons),
            details=_details(result, duration_ms, queued_ms),
            quarantine=ObjectLocation(bucket=self.settings.quarantine_bucket, key=key),
        )
        self.objects.delete(self.settings.input_bucket, claimed.object_key)
        logger.info("quarantined", extra={"file_id": claimed.file_id, "reasons": codes})
        return FileState.QUARANTINED

    def _fail(self, claimed: FileRecord, err: Exception) -> None:
        # Our own errors' messages never quote data; a library's may.
        fields = exception_fields(err, message_is_ours=isinstance(err, ScalperError))
        logger.error("processing failed", extra={"file_id": claimed.file_id, "attempt": claimed.attempts, **fields})
        retryable = claimed.attempts < self.settings.max_attempts
        then = (
            "it will be retried."
            if retryable
            else f"gave up after {claimed.attempts} attempts; operators have been alerted."
        )
        error = ProcessingError(
            code="processing_error",
            message=f"Processing failed ({type(err).__name__}); {then}",
            retryable=retryable,
        )
        try:
            self._record_outcome(claimed, FileState.FAILED, error=error)
            self.alerts.publish(
                "file.failed",
                "Silent Scalper: file processing failed",
                {
                    "partner_id": claimed.partner_id,
                    "file_id": claimed.file_id,
                    "attempt": claimed.attempts,
                    "final": not retryable,
                },
            )
        except Exception:
            # The original error is what matters; the lease expiry lets a retry take over.
            logger.exception("could not record the failure", extra={"file_id": claimed.file_id})

    def _record_outcome(self, claimed: FileRecord, state: FileState, **changes: object) -> None:
        """Write the attempt's outcome; ``finished_at`` only for a final state."""
        now = self.now()
        finished = {"finished_at": now} if state in (FileState.PROCESSED, FileState.QUARANTINED) else {}
        update = {"state": state, "updated_at": now, "lease_expires_at": None, **finished, **changes}
        self.files.finish(claimed, claimed.model_copy(update=update))

    def _quarantine_orphan(self, ref: S3ObjectRef, partner_id: str, file_id: str) -> None:
        key = f"orphans/{partner_id}/{file_id}"
        try:
            self.objects.copy(
                source_bucket=ref.bucket, source_key=ref.key, bucket=self.settings.quarantine_bucket, key=key
            )
        except ObjectMissing:
            logger.info("orphan already moved", extra={"file_id": file_id})  # a redelivery
            return
        self.alerts.publish(
            "file.orphaned",
            "Silent Scalper: upload without a record",
            {"partner_id": partner_id, "file_id": file_id, "quarantine_key": key},
        )
        self.objects.delete(ref.bucket, ref.key)
        logger.warning("orphan object quarantined", extra={"file_id": file_id})


def _details(result: Inspection, duration_ms: float, queued_ms: float | None) -> FileDetails:
    return FileDetails(
        detected_type=result.detected_type,
        rows=result.rows,
        columns=result.columns,
        duration_ms=duration_ms,
        queued_ms=queued_ms,
    )


def _milliseconds(delta: timedelta) -> float:
    return round(max(delta.total_seconds(), 0.0) * 1000, 3)
