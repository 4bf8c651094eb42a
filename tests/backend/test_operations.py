"""Reprocessing, the sweeper and the processor's time budget, against moto (mock_aws).

The same paths run end to end through the local stack in tests/e2e/test_operations.py;
these pin the rules that are cheaper to prove here: a budget that defers records, the
last abandoned attempt, a reprocess whose bytes could not be moved.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta

import pytest

from scalper_backend.api.schemas import UploadRequest
from scalper_backend.errors import Conflict, StoreError
from scalper_backend.handlers import processor as processor_handler
from scalper_backend.local.runtime import LocalContext
from scalper_backend.models import FileState
from scalper_backend.notifications import S3ObjectRef
from scalper_backend.records import MAX_HISTORY, Attempt, object_key, utcnow, with_attempt
from scalper_backend.reprocessing import reprocess_file
from scalper_backend.uploads import create_upload

GOOD_CSV = b"a,b\n1,2\n"
RAGGED_CSV = b"a,b\n1,2\n3\n"


def _declare(backend, body: bytes, *, put: bool = True) -> str:
    request = UploadRequest(
        filename="f.csv",
        size=len(body),
        content_type="text/csv",
        sha256=hashlib.sha256(body).hexdigest(),
        allow_duplicate=True,
    )
    ticket = create_upload(
        request,
        "acme",
        settings=backend.settings,
        rules=backend.deps.rules.for_partner("acme"),
        files=backend.deps.files,
        objects=backend.deps.objects,
    )
    if put:
        key = object_key("acme", ticket.file_id)
        backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=body)
    return ticket.file_id


def _event(backend, load_event, file_ids: list[str]) -> dict:
    template = load_event("sqs_s3_object_created")["Records"][0]
    records = []
    for number, file_id in enumerate(file_ids):
        record = json.loads(json.dumps(template))
        record["messageId"] = f"m-{number}"
        body = record["body"].replace("BUCKET", backend.settings.input_bucket)
        record["body"] = body.replace("KEY", object_key("acme", file_id))
        records.append(record)
    return {"Records": records}


def _context(timeout_seconds: int) -> LocalContext:
    return LocalContext(
        function_name="processor", memory_limit_in_mb=1024, invoked_function_arn="arn", timeout_seconds=timeout_seconds
    )


def _alerts(backend) -> list[dict]:
    messages = backend.clients["sqs"].receive_message(
        QueueUrl=backend.resources.alerts_inbox_url, MaxNumberOfMessages=10
    )
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


# -- the processor's time budget


def test_a_batch_with_time_for_every_record_processes_them_all(backend, load_event):
    ids = [_declare(backend, GOOD_CSV) for _ in range(3)]

    answer = processor_handler.handler(_event(backend, load_event, ids), _context(timeout_seconds=60))

    assert answer == {"batchItemFailures": []}
    assert {backend.deps.files.get("acme", i).state for i in ids} == {FileState.PROCESSED}


def test_records_a_batch_has_no_time_left_for_go_back_on_the_queue_unstarted(backend, load_event):
    ids = [_declare(backend, GOOD_CSV) for _ in range(3)]
    sqs, queue = backend.clients["sqs"], backend.settings.upload_queue_url
    sqs.purge_queue(QueueUrl=queue)  # the bucket's own notifications of the three uploads
    event = _event(backend, load_event, ids)

    # Less time than any record is budgeted: only the first starts (every invocation makes progress).
    answer = processor_handler.handler(event, _context(timeout_seconds=1))

    # Not failures (SQS would hold them for the visibility timeout and count a receive):
    # the two others are new messages on the queue, as they came.
    assert answer == {"batchItemFailures": []}
    requeued = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert sorted(m["Body"] for m in requeued) == sorted(r["body"] for r in event["Records"][1:])
    states = [backend.deps.files.get("acme", i) for i in ids]
    assert [s.state for s in states] == [FileState.PROCESSED, FileState.PENDING_UPLOAD, FileState.PENDING_UPLOAD]
    assert [s.attempts for s in states] == [1, 0, 0]  # never claimed: no attempt spent


# -- reprocessing


def _reprocess(backend, file_id: str):
    deps = backend.deps
    return reprocess_file(
        "acme", file_id, settings=deps.settings, files=deps.files, objects=deps.objects, events=deps.events
    )


def test_a_failed_file_whose_bytes_are_gone_cannot_be_reprocessed(backend):
    file_id = _declare(backend, GOOD_CSV, put=False)
    backend.deps.files.claim("acme", file_id, now=utcnow(), lease=timedelta(minutes=15))
    claimed = backend.deps.files.get("acme", file_id)
    backend.deps.files.finish(claimed, claimed.model_copy(update={"state": FileState.FAILED, "due_at": None}))

    with pytest.raises(Conflict, match="no longer kept"):
        _reprocess(backend, file_id)
    assert backend.deps.files.get("acme", file_id).state == FileState.FAILED


def test_a_reprocess_whose_bytes_cannot_be_moved_leaves_the_file_as_it_was(backend, monkeypatch):
    file_id = _declare(backend, RAGGED_CSV)
    backend.deps.processor.process(S3ObjectRef(bucket=backend.settings.input_bucket, key=object_key("acme", file_id)))
    before = backend.deps.files.get("acme", file_id)

    def broken_copy(**kwargs):
        raise StoreError("CopyObject failed: SlowDown")

    monkeypatch.setattr(backend.deps.objects, "copy", broken_copy)
    with pytest.raises(StoreError):
        _reprocess(backend, file_id)

    after = backend.deps.files.get("acme", file_id)
    assert after == before and after.state == FileState.QUARANTINED and after.quarantine is not None


def test_a_reprocess_that_stopped_before_moving_the_bytes_back_can_be_done_again(backend):
    file_id = _declare(backend, RAGGED_CSV)
    ref = S3ObjectRef(bucket=backend.settings.input_bucket, key=object_key("acme", file_id))
    backend.deps.processor.process(ref)
    files, quarantined = backend.deps.files, backend.deps.files.get("acme", file_id)
    # The reprocess queued the file, then died before copying its bytes back from quarantine.
    files.queue_again(quarantined, now=utcnow(), due=utcnow() - timedelta(seconds=1))
    backend.deps.sweeper.sweep(lambda: 60_000)  # nobody took it: failed, and put back on the queue
    with pytest.raises(StoreError):  # the processor finds no input
        backend.deps.processor.process(ref)
    failed = files.get("acme", file_id)
    assert failed.state == FileState.FAILED and failed.quarantine is None

    queued = _reprocess(backend, file_id)  # the bytes are found in quarantine

    assert queued.state == FileState.PROCESSING
    assert backend.deps.processor.process(ref) == FileState.QUARANTINED  # the same bytes, judged again
    history = files.get("acme", file_id).history  # the queued reprocess nobody took was no attempt
    assert [a.state for a in history] == [FileState.QUARANTINED, FileState.FAILED, FileState.QUARANTINED]


def test_history_keeps_the_latest_attempts_with_bounded_codes():
    history: list[Attempt] = []
    for number in range(1, MAX_HISTORY + 6):
        attempt = Attempt(attempt=number, state=FileState.QUARANTINED, reasons=["x" * 500] * 50, finished_at=utcnow())
        history = with_attempt(history, attempt)

    assert [a.attempt for a in history] == list(range(6, MAX_HISTORY + 6))
    assert all(len(a.reasons) == 20 and all(len(code) == 64 for code in a.reasons) for a in history)


# -- the sweeper


def test_the_last_attempt_abandoned_makes_the_failure_final_and_is_not_retried(backend):
    file_id = _declare(backend, GOOD_CSV)
    files = backend.deps.files
    for hours_ago in range(backend.settings.max_attempts, 0, -1):  # attempts that each died
        files.claim("acme", file_id, now=utcnow() - timedelta(hours=hours_ago), lease=timedelta(minutes=15))

    report = backend.deps.sweeper.sweep(lambda: 60_000)

    record = files.get("acme", file_id)
    assert (report.final, report.abandoned) == (1, 0)
    assert record.state == FileState.FAILED and record.error.retryable is False
    assert record.error.code == "attempt_abandoned" and record.due_at is None
    (alert,) = _alerts(backend)
    assert (alert["event"], alert["final"], alert["attempt"]) == ("file.failed", True, 5)
    queued = backend.clients["sqs"].receive_message(QueueUrl=backend.settings.upload_queue_url, MaxNumberOfMessages=10)
    assert [m for m in queued.get("Messages", []) if "scalper:requeue" in m["Body"]] == []  # not put back


def test_a_retry_whose_event_never_went_out_is_put_back_by_a_later_sweep(backend, monkeypatch):
    file_id = _declare(backend, GOOD_CSV)
    files, sweeper = backend.deps.files, backend.deps.sweeper
    files.claim("acme", file_id, now=utcnow() - timedelta(hours=1), lease=timedelta(minutes=15))  # it died
    sent = sweeper.events.send

    def refused(body: str) -> None:
        raise StoreError("SendMessage failed: InternalError")

    monkeypatch.setattr(sweeper.events, "send", refused)
    with pytest.raises(StoreError):
        sweeper.sweep(lambda: 60_000)
    failed = files.get("acme", file_id)
    assert failed.state == FileState.FAILED and failed.error.retryable and failed.due_at is not None
    monkeypatch.setattr(sweeper.events, "send", sent)

    later = dataclasses.replace(sweeper, now=lambda: utcnow() + timedelta(hours=1))  # a lease's time on
    report = later.sweep(lambda: 60_000)

    assert report.requeued == 1
    ref = S3ObjectRef(bucket=backend.settings.input_bucket, key=object_key("acme", file_id))
    queued = backend.clients["sqs"].receive_message(QueueUrl=backend.settings.upload_queue_url, MaxNumberOfMessages=10)
    assert len([m for m in queued.get("Messages", []) if "scalper:requeue" in m["Body"]]) == 1
    assert backend.deps.processor.process(ref) == FileState.PROCESSED
    assert files.get("acme", file_id).due_at is None


def test_a_sweep_short_of_time_stops_and_leaves_the_rest_for_the_next(backend):
    file_id = _declare(backend, GOOD_CSV, put=False)
    backend.deps.files.postpone(backend.deps.files.get("acme", file_id), due=utcnow() - timedelta(hours=1))

    report = backend.deps.sweeper.sweep(lambda: 1_000)

    assert report.complete is False and report.expired == 0
    assert backend.deps.files.get("acme", file_id).state == FileState.PENDING_UPLOAD
