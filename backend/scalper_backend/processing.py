"""Processing one uploaded object: claim it, inspect it, then publish its outcome.

Each file ends in exactly one known state. The claim is a conditional write, so a
redelivered event (SQS is at-least-once) finds the file final and does nothing, and two
concurrent deliveries cannot both work on it. The order of the side effects is chosen so
that a crash at any point leaves the file recoverable by the next delivery:

* valid: write the output, mark ``processed``, then delete the input;
* invalid: copy to quarantine, alert, mark ``quarantined``, then delete the input;
  (a redelivery that finds the file ``processed`` or ``quarantined`` finishes that delete:
  uploaded bytes are patient data and are not kept once they have a final home);
* a fault of ours: mark ``failed`` (retryable), alert, and let SQS deliver again; after
  the queue's max receives the message goes to the dead-letter queue, which is alarmed.
  The failure is final when this delivery was the event's last (its receive count, not
  the file's attempts: a file reprocessed or redriven gets a fresh event with its own
  deliveries).

The output streams to S3 while the input is read (a multipart upload, one part in
memory; aborted unless the file is processed); a DICOM file's output is a server-side copy
of the input. Every attempt that ends adds a line to the record's ``history``. An object
under ``uploads/`` whose key we did not make is set aside in the quarantine bucket with
an alert, never dropped.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from aws_lambda_powertools.metrics import MetricUnit

from scalper_inspection import VALIDATORS, Declared, Inspection, RulesBook, inspect_stream

from .adapters.alerts import Alerts
from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .adapters.streaming import MultipartWriter
from .config import Settings
from .errors import FileBusy, ObjectMissing, ScalperError, StateConflict
from .log_fields import exception_fields
from .models import VOID_STATES, FileState, Reason
from .notifications import S3ObjectRef
from .observability import Metric, count, count_reasons, logger, measure
from .records import (
    FILE_ID_PATTERN,
    Attempt,
    FileDetails,
    FileRecord,
    ObjectLocation,
    OutputLocation,
    ProcessingError,
    parse_object_key,
    quarantine_key,
    utcnow,
    with_attempt,
)

# Output format -> (key suffix, content type). DICOM is stored as sent (see scalper_inspection.dicom).
OUTPUTS = {"jsonl": (".jsonl", "application/x-ndjson"), "dicom": (".dcm", "application/dicom")}
# Where objects under keys we did not make are set aside, in the quarantine bucket.
SET_ASIDE_PREFIX = "orphans/unparsed/"
# S3 user metadata holds 2 KB in all; the original key is kept percent-encoded, cut to this.
_ORIGINAL_KEY_CHARS = 1800
_FILE_ID = re.compile(FILE_ID_PATTERN[1:-1] + "$")


@dataclass(frozen=True)
class Processor:
    """Everything processing needs, built once per cold start."""

    settings: Settings
    rules: RulesBook
    files: FilesTable
    objects: Objects
    alerts: Alerts
    now: Callable[[], datetime] = utcnow

    def process(self, ref: S3ObjectRef, *, delivery: int = 1) -> FileState | None:
        """Take one created object to a final state (or to ``failed``, raising).

        Args:
            ref: the object S3 announced.
            delivery: how many times SQS has delivered this event (its receive count).

        Returns:
            The state the file ended in, or ``None`` when there was nothing to do.

        Raises:
            FileBusy: another attempt is processing the file right now.
            Exception: a fault of ours; the file is marked ``failed`` first.
        """
        if ref.bucket != self.settings.input_bucket:
            # The bucket's notification names only the input bucket; nothing else is ours.
            logger.warning("ignoring an object of another bucket")
            return None
        ids = parse_object_key(ref.key)
        if ids is None:
            self._set_aside(ref)
            return None
        partner_id, file_id = ids
        logger.set_correlation_id(file_id)
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
        if claimed.attempts == 1:
            count(Metric.FILES_RECEIVED)
        try:
            return self._run(claimed)
        except StateConflict:
            logger.warning("lost the claim to another attempt", extra={"file_id": file_id})
            return None
        except Exception as err:
            self._fail(claimed, err, last_delivery=delivery >= self.settings.max_attempts)
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
        if current.state in (FileState.PROCESSED, FileState.QUARANTINED):
            # Finish a removal that an earlier attempt may have left undone. A delete of an
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
        output_format = _output_format(claimed.content_type)
        suffix, content_type = OUTPUTS[output_format]
        output = OutputLocation(
            bucket=self.settings.output_bucket,
            key=f"processed/{claimed.partner_id}/{claimed.file_id}{suffix}",
            format=output_format,
            size=0,
        )
        # JSON Lines stream to S3 as they are made; a DICOM file is copied as sent, once judged.
        sink: MultipartWriter | _Discard = (
            _Discard()
            if output_format == "dicom"
            else self.objects.writer(bucket=output.bucket, key=output.key, content_type=content_type)
        )
        try:
            body = self.objects.open(self.settings.input_bucket, claimed.object_key)
            try:
                result = inspect_stream(body, declared, sink, rules=self.rules.for_partner(claimed.partner_id))
            finally:
                body.close()
            measure(Metric.BYTES_RECEIVED, result.size, MetricUnit.Bytes)
            if result.ok:
                self._store_output(claimed, sink, output)
        except BaseException:
            sink.abort()
            raise
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        measure(Metric.PROCESSING_DURATION, duration_ms)
        if result.ok:
            return self._processed(claimed, result, output, duration_ms, queued_ms)
        sink.abort()
        return self._quarantined(claimed, result, duration_ms, queued_ms)

    def _store_output(self, claimed: FileRecord, sink: MultipartWriter | _Discard, output: OutputLocation) -> None:
        if isinstance(sink, MultipartWriter):
            sink.complete()
            return
        self.objects.copy(
            source_bucket=self.settings.input_bucket,
            source_key=claimed.object_key,
            bucket=output.bucket,
            key=output.key,
        )

    def _processed(
        self,
        claimed: FileRecord,
        result: Inspection,
        output: OutputLocation,
        duration_ms: float,
        queued_ms: float | None,
    ) -> FileState:
        self._record_outcome(
            claimed,
            FileState.PROCESSED,
            details=_details(result, duration_ms, queued_ms),
            output=output.model_copy(update={"size": result.output_size}),
        )
        self.objects.delete(self.settings.input_bucket, claimed.object_key)
        count(Metric.FILES_PROCESSED)
        logger.info("processed", extra={"file_id": claimed.file_id, "rows": result.rows, "duration_ms": duration_ms})
        return FileState.PROCESSED

    def _quarantined(
        self, claimed: FileRecord, result: Inspection, duration_ms: float, queued_ms: float | None
    ) -> FileState:
        key = quarantine_key(claimed.partner_id, claimed.file_id)
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
            reasons=result.reasons,
            details=_details(result, duration_ms, queued_ms),
            quarantine=ObjectLocation(bucket=self.settings.quarantine_bucket, key=key),
        )
        self.objects.delete(self.settings.input_bucket, claimed.object_key)
        count(Metric.FILES_QUARANTINED)
        count_reasons(codes)
        logger.info("quarantined", extra={"file_id": claimed.file_id, "reasons": codes})
        return FileState.QUARANTINED

    def _fail(self, claimed: FileRecord, err: Exception, *, last_delivery: bool) -> None:
        # Our own errors' messages never quote data; a library's may.
        fields = exception_fields(err, message_is_ours=isinstance(err, ScalperError))
        logger.error("processing failed", extra={"file_id": claimed.file_id, "attempt": claimed.attempts, **fields})
        retryable = not last_delivery
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
        count(Metric.FILES_FAILED)
        if not retryable:
            count(Metric.FILES_FAILED_FINAL)
        try:
            self._record_outcome(claimed, FileState.FAILED, error=error)
            self.alerts.file_failed(claimed, final=not retryable)
        except Exception:
            # The original error is what matters; the lease expiry lets a retry take over.
            logger.exception("could not record the failure", extra={"file_id": claimed.file_id})

    def _record_outcome(
        self,
        claimed: FileRecord,
        state: FileState,
        *,
        reasons: Sequence[Reason] = (),
        error: ProcessingError | None = None,
        **changes: object,
    ) -> None:
        """Write the attempt's outcome and add it to the history; ``finished_at`` only for
        a final state, and the time from the declaration for a file's first verdict."""
        now = self.now()
        final = state in (FileState.PROCESSED, FileState.QUARANTINED)
        attempt = Attempt(
            attempt=claimed.attempts,
            state=state,
            reasons=[reason.code for reason in reasons],
            error=error.code if error else None,
            started_at=claimed.updated_at,
            finished_at=now,
        )
        update = {
            "state": state,
            "updated_at": now,
            "lease_expires_at": None,
            "due_at": None,
            "reasons": list(reasons),
            "error": error,
            "history": with_attempt(claimed.history, attempt),
            **({"finished_at": now} if final else {}),
            **changes,
        }
        self.files.finish(claimed, claimed.model_copy(update=update))
        if final and not claimed.history:
            measure(Metric.PRESIGN_TO_FINAL_LATENCY, _milliseconds(now - claimed.created_at))

    def _quarantine_orphan(self, ref: S3ObjectRef, partner_id: str, file_id: str) -> None:
        payload = {"partner_id": partner_id, "file_id": file_id}
        self._move_aside(ref, f"orphans/{partner_id}/{file_id}", "file.orphaned", "upload without a record", payload)

    def _set_aside(self, ref: S3ObjectRef) -> None:
        """Move an object whose key we did not make (a partner id that is not a slug, a
        key written by hand) to the quarantine bucket, and alert. Logs and the alert name
        it by a digest of its key: a key written by hand can hold a file name."""
        digest = hashlib.sha256(ref.key.encode()).hexdigest()
        found = _FILE_ID.search(ref.key)
        payload = {"key_sha256": digest, "key_length": len(ref.key), "file_id": found.group(0) if found else None}
        self._move_aside(
            ref,
            SET_ASIDE_PREFIX + digest,
            "object.unparseable",
            "upload under a key the pipeline did not make",
            payload,
            metadata={"original-key": quote(ref.key, safe="/")[:_ORIGINAL_KEY_CHARS]},
        )

    def _move_aside(
        self,
        ref: S3ObjectRef,
        key: str,
        event: str,
        what: str,
        payload: Mapping[str, object],
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Copy an object we will not process to the quarantine bucket, alert, then delete
        it: never dropped. A redelivery finds it moved and is acknowledged."""
        ids = {"file_id": payload.get("file_id"), "key_sha256": payload.get("key_sha256")}
        try:
            self.objects.copy(
                source_bucket=ref.bucket,
                source_key=ref.key,
                bucket=self.settings.quarantine_bucket,
                key=key,
                metadata=metadata,
            )
        except ObjectMissing:
            logger.info("object already moved aside", extra=ids)  # a redelivery
            return
        self.alerts.publish(event, f"Silent Scalper: {what}", {**payload, "quarantine_key": key})
        self.objects.delete(ref.bucket, ref.key)
        count(Metric.OBJECTS_SET_ASIDE)
        logger.warning(f"{what}: moved aside", extra=ids)


class _Discard:
    """The sink of a DICOM file's inspection: its output is the input, copied by S3."""

    def write(self, data: bytes) -> int:
        return len(data)

    def abort(self) -> None:
        """Nothing was written."""


def _output_format(content_type: str) -> str:
    return next(v.output_format for v in VALIDATORS if content_type in v.content_types)


def _details(result: Inspection, duration_ms: float, queued_ms: float | None) -> FileDetails:
    return FileDetails(**result.details(), duration_ms=duration_ms, queued_ms=queued_ms)


def _milliseconds(delta: timedelta) -> float:
    return round(max(delta.total_seconds(), 0.0) * 1000, 3)
