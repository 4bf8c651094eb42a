"""The sweeper: no file stays in a state that never ends.

Run on a schedule (an EventBridge rule in template.yaml; a timer in the local stack), it
reads the open records whose deadline passed (``by_due``, see ``deadlines.py``) and:

* ``pending_upload`` past its last URL's expiry plus the grace: if the bytes are in the
  input bucket after all (the upload finished, its event is late or was lost), the file is
  put back on the queue and given a lease's time; otherwise it becomes ``expired`` (final)
  and the multipart upload it holds is aborted, freeing its parts;
* ``processing`` past its lease (the attempt died: out of memory, the timeout) or queued
  for reprocessing and never taken: ``failed``, with a ``file.failed`` alert; the file is
  put back on the queue unless that was its last attempt (``MaxReceiveCount``), which
  makes the failure final;
* ``failed`` and retryable, put back on the queue by a sweep, and not taken by an attempt
  within a lease's time (that event was lost, or sending it failed): put back again.

Every change is a conditional write on the record as the sweep read it, so a file that
moved on meanwhile (its upload arrived, its attempt finished) is left alone, and two
sweeps at once do no harm. A sweep stops early when its invocation runs short of time;
the next one carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from .adapters.alerts import Alerts
from .adapters.files_table import FilesTable
from .adapters.objects import Objects
from .adapters.queues import UploadEvents
from .config import Settings
from .deadlines import queue_deadline
from .errors import StateConflict
from .models import FileState
from .notifications import S3ObjectRef, requeue_notification
from .observability import Metric, count, logger
from .records import DUE_SHARD_KEYS, Attempt, FileRecord, ProcessingError, utcnow, with_attempt

# A sweep leaves this much of its invocation unused, so it never runs into the timeout.
RESERVE_MS = 10_000


@dataclass
class SweepReport:
    expired: int = 0
    requeued: int = 0
    abandoned: int = 0
    final: int = 0
    skipped: int = 0
    complete: bool = True

    def summary(self) -> dict[str, int | bool]:
        return asdict(self)


@dataclass(frozen=True)
class Sweeper:
    settings: Settings
    files: FilesTable
    objects: Objects
    events: UploadEvents
    alerts: Alerts
    now: Callable[[], datetime] = utcnow

    def sweep(self, remaining_ms: Callable[[], int]) -> SweepReport:
        """Act on every open record past its deadline, while time allows."""
        report, now = SweepReport(), self.now()
        for shard in DUE_SHARD_KEYS:
            start = None
            while True:
                records, start = self.files.due(shard, now=now, start_key=start)
                for record in records:
                    if remaining_ms() < RESERVE_MS:
                        report.complete = False
                        return report
                    self._sweep_one(record, report)
                if not start:
                    break
        return report

    def _sweep_one(self, record: FileRecord, report: SweepReport) -> None:
        logger.set_correlation_id(record.file_id)
        try:
            if record.state == FileState.PENDING_UPLOAD:
                self._pending(record, report)
            elif record.state == FileState.PROCESSING:
                self._processing(record, report)
            elif record.state == FileState.FAILED and record.error is not None and record.error.retryable:
                self._put_back(record, report, "retry never taken: requeued")
            else:
                report.skipped += 1  # the index lags behind a final write
        except StateConflict:
            report.skipped += 1
            logger.info("changed since the sweep read it", extra={"file_id": record.file_id})
        finally:
            logger.set_correlation_id(None)

    def _pending(self, record: FileRecord, report: SweepReport) -> None:
        now = self.now()
        if self.objects.exists(self.settings.input_bucket, record.object_key):
            self._put_back(record, report, "upload arrived, never processed: requeued")  # its event is late or lost
            return
        expired = self.files.expire(record, now=now)
        if expired.multipart is not None:
            self.objects.abort_multipart(
                bucket=self.settings.input_bucket, key=record.object_key, upload_id=expired.multipart.upload_id
            )
        report.expired += 1
        count(Metric.FILES_EXPIRED)
        logger.info("declaration expired: its bytes never arrived", extra={"file_id": record.file_id})

    def _processing(self, record: FileRecord, report: SweepReport) -> None:
        now = self.now()
        started = record.lease_expires_at is not None
        final = started and record.attempts >= self.settings.max_attempts
        if started:
            message = f"Attempt {record.attempts} stopped before it finished (out of time or memory); "
        else:
            message = "The file was queued for processing but not taken in time; "
        then = "operators have been alerted." if final else "it will be retried."
        error = ProcessingError(code="attempt_abandoned", message=message + then, retryable=not final)
        history = record.history
        if started:
            attempt = Attempt(
                attempt=record.attempts,
                state=FileState.FAILED,
                error=error.code,
                started_at=record.updated_at,
                finished_at=now,
            )
            history = with_attempt(history, attempt)
        # A retry keeps a deadline: if its event never reaches an attempt, the next sweeps send it again.
        due = None if final else queue_deadline(now, self.settings)
        self.files.fail_abandoned(record, now=now, error=error, history=history, due=due)
        self.alerts.file_failed(record, final=final, cause=error.code)
        count(Metric.ATTEMPTS_ABANDONED)
        if final:
            report.final += 1
            count(Metric.FILES_FAILED_FINAL)
            logger.error("attempt abandoned; it was the last", extra={"file_id": record.file_id})
            return
        self._requeue(record, now)
        report.abandoned += 1
        logger.warning("attempt abandoned; put back on the queue", extra={"file_id": record.file_id})

    def _put_back(self, record: FileRecord, report: SweepReport, why: str) -> None:
        """Put the file's event back on the queue, and give the queue a lease's time to
        deliver it before the sweeper looks again."""
        now = self.now()
        self.files.postpone(record, due=queue_deadline(now, self.settings))
        self._requeue(record, now)
        report.requeued += 1
        logger.warning(why, extra={"file_id": record.file_id})

    def _requeue(self, record: FileRecord, now: datetime) -> None:
        ref = S3ObjectRef(bucket=self.settings.input_bucket, key=record.object_key, size=record.size)
        self.events.send(requeue_notification(ref, now))
        count(Metric.EVENTS_REQUEUED)
