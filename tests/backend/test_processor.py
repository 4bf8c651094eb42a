"""The processor's state machine against moto: one final state per file, whatever happens."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalper_backend.adapters.file_items import to_item
from scalper_backend.adapters.streaming import MultipartWriter
from scalper_backend.api.schemas import UploadRequest
from scalper_backend.errors import FileBusy, StoreError
from scalper_backend.models import FileState
from scalper_backend.notifications import S3ObjectRef
from scalper_backend.records import object_key, utcnow
from scalper_backend.uploads import create_upload

GOOD_CSV = b"a,b\n1,2\n"
RAGGED_CSV = b"a,b\n1,2\n3\n"


def _declare_and_put(backend, body: bytes, partner: str = "acme", content_type: str = "text/csv") -> S3ObjectRef:
    request = UploadRequest(
        filename="f.csv", size=len(body), content_type=content_type, sha256=hashlib.sha256(body).hexdigest()
    )
    ticket = create_upload(
        request,
        partner,
        settings=backend.settings,
        rules=backend.deps.rules.for_partner(partner),
        files=backend.deps.files,
        objects=backend.deps.objects,
    )
    key = object_key(partner, ticket.file_id)
    backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=body)
    return S3ObjectRef(bucket=backend.settings.input_bucket, key=key)


def _record(backend, ref: S3ObjectRef):
    partner, file_id = ref.key.split("/")[1:]
    return backend.deps.files.get(partner, file_id)


def _alerts(backend) -> list[dict]:
    sqs = backend.clients["sqs"]
    messages = sqs.receive_message(QueueUrl=backend.resources.alerts_inbox_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_valid_file_ends_processed_with_output(backend):
    ref = _declare_and_put(backend, GOOD_CSV)

    assert backend.deps.processor.process(ref) == FileState.PROCESSED

    record = _record(backend, ref)
    assert record.state == FileState.PROCESSED and record.attempts == 1 and record.lease_expires_at is None
    body = backend.clients["s3"].get_object(Bucket=record.output.bucket, Key=record.output.key)["Body"].read()
    assert body == b'{"a":"1","b":"2"}\n'


def test_processed_input_is_removed_from_the_input_bucket(backend):
    # The uploaded bytes are patient data: once normalised into the output, keeping them
    # is only risk (a noncurrent version remains for the recovery window, then expires).
    ref = _declare_and_put(backend, GOOD_CSV)

    backend.deps.processor.process(ref)

    assert backend.clients["s3"].list_objects_v2(Bucket=ref.bucket, Prefix=ref.key).get("KeyCount", 0) == 0


def test_redelivery_finishes_an_interrupted_input_removal(backend):
    ref = _declare_and_put(backend, GOOD_CSV)
    backend.deps.processor.process(ref)
    # As if the first attempt died between recording `processed` and deleting the input.
    backend.clients["s3"].put_object(Bucket=ref.bucket, Key=ref.key, Body=GOOD_CSV)

    assert backend.deps.processor.process(ref) == FileState.PROCESSED
    assert backend.clients["s3"].list_objects_v2(Bucket=ref.bucket, Prefix=ref.key).get("KeyCount", 0) == 0


def test_invalid_file_is_copied_to_quarantine_and_deleted_from_the_input_bucket(backend):
    ref = _declare_and_put(backend, RAGGED_CSV)

    assert backend.deps.processor.process(ref) == FileState.QUARANTINED

    record = _record(backend, ref)
    assert [reason.code for reason in record.reasons] == ["csv_ragged_rows"]
    s3 = backend.clients["s3"]
    kept = s3.get_object(Bucket=record.quarantine.bucket, Key=record.quarantine.key)["Body"].read()
    assert (record.quarantine.bucket, kept) == (backend.settings.quarantine_bucket, RAGGED_CSV)
    assert s3.list_objects_v2(Bucket=ref.bucket, Prefix=ref.key).get("KeyCount", 0) == 0


def test_quarantine_publishes_one_alert_with_ids_and_reason_codes_only(backend):
    ref = _declare_and_put(backend, RAGGED_CSV)

    backend.deps.processor.process(ref)

    file_id = ref.key.rsplit("/", 1)[1]
    assert _alerts(backend) == [
        {"event": "file.quarantined", "partner_id": "acme", "file_id": file_id, "reasons": ["csv_ragged_rows"]}
    ]


def test_fault_marks_the_file_failed_and_retryable_then_a_retry_processes_it(backend, monkeypatch):
    ref = _declare_and_put(backend, GOOD_CSV)

    def broken_upload(*args, **kwargs):
        raise StoreError("PutObject failed: SlowDown")

    monkeypatch.setattr(MultipartWriter, "complete", broken_upload)
    with pytest.raises(StoreError):
        backend.deps.processor.process(ref)
    failed = _record(backend, ref)
    assert failed.state == FileState.FAILED
    assert failed.error is not None and failed.error.retryable and failed.error.code == "processing_error"
    assert failed.error.message == "Processing failed (StoreError); it will be retried."
    assert [a["event"] for a in _alerts(backend)] == ["file.failed"]

    monkeypatch.undo()
    assert backend.deps.processor.process(ref) == FileState.PROCESSED
    recovered = _record(backend, ref)
    assert recovered.attempts == 2 and recovered.error is None


def _fail_storing_output(backend, monkeypatch, *, earlier_attempts: int, delivery: int) -> S3ObjectRef:
    """A good file whose ``earlier_attempts`` attempts died, then one that fails storing its
    output (S3 answers SlowDown), on the event's ``delivery``-th delivery."""
    ref = _declare_and_put(backend, GOOD_CSV)
    partner, file_id = ref.key.split("/")[1:]
    for hours_ago in range(earlier_attempts, 0, -1):
        backend.deps.files.claim(
            partner, file_id, now=utcnow() - timedelta(hours=hours_ago), lease=timedelta(minutes=15)
        )

    def broken_upload(*args, **kwargs):
        raise StoreError("PutObject failed: SlowDown")

    monkeypatch.setattr(MultipartWriter, "complete", broken_upload)
    with pytest.raises(StoreError):
        backend.deps.processor.process(ref, delivery=delivery)
    return ref


def test_failure_on_the_last_attempt_is_final_and_says_so(backend, monkeypatch):
    last = backend.settings.max_attempts
    ref = _fail_storing_output(backend, monkeypatch, earlier_attempts=last - 1, delivery=last)

    failed = _record(backend, ref)
    assert failed.attempts == backend.settings.max_attempts
    assert failed.error is not None and not failed.error.retryable
    assert "gave up after 5 attempts" in failed.error.message
    (alert,) = _alerts(backend)
    assert alert["event"] == "file.failed" and alert["final"] is True


def test_a_fresh_event_after_a_final_failure_has_its_own_deliveries_left(backend, monkeypatch):
    # A file that failed for good is reprocessed (or its event redriven): its attempts
    # run past the queue's max receives, but this event has been delivered once.
    ref = _fail_storing_output(backend, monkeypatch, earlier_attempts=backend.settings.max_attempts, delivery=1)

    failed = _record(backend, ref)
    assert failed.attempts == backend.settings.max_attempts + 1
    assert failed.error is not None and failed.error.retryable
    (alert,) = _alerts(backend)
    assert alert["final"] is False


def test_file_held_by_a_live_attempt_is_busy(backend):
    ref = _declare_and_put(backend, GOOD_CSV)
    partner, file_id = ref.key.split("/")[1:]
    backend.deps.files.claim(partner, file_id, now=utcnow(), lease=timedelta(minutes=15))

    with pytest.raises(FileBusy):
        backend.deps.processor.process(ref)


def test_file_whose_attempt_died_is_taken_over_after_the_lease(backend):
    ref = _declare_and_put(backend, GOOD_CSV)
    partner, file_id = ref.key.split("/")[1:]
    backend.deps.files.claim(partner, file_id, now=utcnow() - timedelta(hours=1), lease=timedelta(minutes=15))

    assert backend.deps.processor.process(ref) == FileState.PROCESSED
    assert _record(backend, ref).attempts == 2


def test_duplicate_delivery_of_a_final_file_does_nothing(backend):
    ref = _declare_and_put(backend, GOOD_CSV)
    backend.deps.processor.process(ref)
    before = _record(backend, ref)

    assert backend.deps.processor.process(ref) == FileState.PROCESSED
    assert _record(backend, ref) == before


def test_redelivery_finishes_an_interrupted_quarantine_move(backend):
    ref = _declare_and_put(backend, b"")
    backend.deps.processor.process(ref)
    # As if the first attempt died between recording the quarantine and deleting the input.
    backend.clients["s3"].put_object(Bucket=ref.bucket, Key=ref.key, Body=b"")

    assert backend.deps.processor.process(ref) == FileState.QUARANTINED
    assert backend.clients["s3"].list_objects_v2(Bucket=ref.bucket, Prefix=ref.key).get("KeyCount", 0) == 0


def test_object_without_a_record_is_quarantined_as_an_orphan(backend):
    key = object_key("acme", "f_01jdq3w6x1f8m3zq1v6k7c2n4r")
    backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=b"x")

    assert backend.deps.processor.process(S3ObjectRef(bucket=backend.settings.input_bucket, key=key)) is None

    s3 = backend.clients["s3"]
    s3.head_object(Bucket=backend.settings.quarantine_bucket, Key="orphans/acme/f_01jdq3w6x1f8m3zq1v6k7c2n4r")
    assert s3.list_objects_v2(Bucket=backend.settings.input_bucket).get("KeyCount", 0) == 0
    assert [a["event"] for a in _alerts(backend)] == ["file.orphaned"]


@pytest.mark.parametrize("key", ["other/acme/f_01jdq3w6x1f8m3zq1v6k7c2n4r", "uploads/../acme/x", "uploads/ACME/f_1"])
def test_object_under_a_key_we_did_not_make_is_set_aside_with_an_alert(backend, key):
    s3 = backend.clients["s3"]
    s3.put_object(Bucket=backend.settings.input_bucket, Key=key, Body=b"x")

    assert backend.deps.processor.process(S3ObjectRef(bucket=backend.settings.input_bucket, key=key)) is None

    digest = hashlib.sha256(key.encode()).hexdigest()
    moved = s3.get_object(Bucket=backend.settings.quarantine_bucket, Key=f"orphans/unparsed/{digest}")
    assert moved["Body"].read() == b"x" and moved["Metadata"]["original-key"] == quote(key, safe="/")
    assert s3.list_objects_v2(Bucket=backend.settings.input_bucket, Prefix=key).get("KeyCount", 0) == 0
    (alert,) = _alerts(backend)
    assert (alert["event"], alert["key_sha256"]) == ("object.unparseable", digest)
    assert key not in json.dumps(alert)  # named by its digest only


def test_a_redelivered_unparseable_key_is_acknowledged_once_set_aside(backend):
    key = "uploads/North_Side/f_01jdq3w6x1f8m3zq1v6k7c2n4r"
    backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=b"x")
    ref = S3ObjectRef(bucket=backend.settings.input_bucket, key=key)
    backend.deps.processor.process(ref)

    assert backend.deps.processor.process(ref) is None
    (alert,) = _alerts(backend)
    assert alert["file_id"] == "f_01jdq3w6x1f8m3zq1v6k7c2n4r"  # the id as we issue them, found in the key


def test_redelivered_orphan_event_is_acknowledged_once_moved(backend):
    key = object_key("acme", "f_01jdq3w6x1f8m3zq1v6k7c2n4r")
    backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=b"x")
    ref = S3ObjectRef(bucket=backend.settings.input_bucket, key=key)
    backend.deps.processor.process(ref)

    assert backend.deps.processor.process(ref) is None  # no error: nothing left to move
    assert [a["event"] for a in _alerts(backend)] == ["file.orphaned"]


# -- the streamed output is never left half-written

# 2.4 MB of two-column rows become about 10.8 MB of JSON Lines: one 8 MiB part goes to S3
# before the end of the input is read.
LARGE_CSV = b"a,b\n" + b"1,2\n" * 600_000


@pytest.fixture
def parts_at_abort(monkeypatch) -> list[int]:
    """How many parts each aborted output had sent to S3 when it was aborted."""
    seen: list[int] = []
    abort = MultipartWriter.abort

    def counting_abort(self: MultipartWriter) -> None:
        seen.append(self.part_count)
        abort(self)

    monkeypatch.setattr(MultipartWriter, "abort", counting_abort)
    return seen


def _output_left(backend, ref: S3ObjectRef) -> tuple[list[str], int]:
    """The multipart uploads still open in the output bucket, and the objects under the file's key."""
    s3, bucket = backend.clients["s3"], backend.settings.output_bucket
    uploads = [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    prefix = "processed/acme/" + ref.key.rsplit("/", 1)[1]
    return uploads, s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)


def test_a_file_quarantined_after_its_output_began_leaves_no_output_and_no_upload(backend, parts_at_abort):
    ref = _declare_and_put(backend, LARGE_CSV + b"3\n")  # the last row is ragged

    assert backend.deps.processor.process(ref) == FileState.QUARANTINED

    assert parts_at_abort and parts_at_abort[0] >= 1  # the output had begun to stream
    assert _output_left(backend, ref) == ([], 0)


def test_a_fault_after_parts_were_sent_aborts_the_output_upload(backend, monkeypatch, parts_at_abort):
    ref = _declare_and_put(backend, LARGE_CSV)

    def refused(self: MultipartWriter) -> None:
        raise StoreError("CompleteMultipartUpload failed: InternalError")

    monkeypatch.setattr(MultipartWriter, "complete", refused)
    with pytest.raises(StoreError):
        backend.deps.processor.process(ref)

    assert _record(backend, ref).state == FileState.FAILED
    assert parts_at_abort and parts_at_abort[0] >= 1
    assert _output_left(backend, ref) == ([], 0)
# DynamoDB's item size limit; the item's JSON is larger than its DynamoDB size (quotes,
# braces, type tags), so a JSON under it is an item under it.
ITEM_LIMIT_BYTES = 400 * 1024


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content_type=st.sampled_from(["text/csv", "application/json", "application/x-ndjson", "application/dicom"]),
    body=st.one_of(
        st.binary(min_size=1, max_size=2048),
        st.lists(st.sampled_from([b"a,b\n", b"1,2\n", b"3\n", b'{"a":1}\n', b"\xff", b"=cmd|x\n"]), min_size=1)
        .map(b"".join),
    ),
)
def test_any_bytes_end_in_one_final_state_with_a_record_that_fits_an_item(backend, content_type, body):
    ref = _declare_and_put(backend, body, content_type=content_type)

    state = backend.deps.processor.process(ref)

    record = _record(backend, ref)
    assert state in (FileState.PROCESSED, FileState.QUARANTINED) and record.state == state
    assert len(json.dumps(to_item(record))) < ITEM_LIMIT_BYTES
