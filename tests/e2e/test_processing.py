"""Files go in through the API and come out processed or quarantined, through the real path:
HTTP -> local gateway -> presign handler -> boto3 -> moto S3 -> SQS -> processor handler."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _output_lines(stack: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    output = record["output"]
    body = stack.aws("s3").get_object(Bucket=output["bucket"], Key=output["key"])["Body"].read()
    return [json.loads(line) for line in body.decode().splitlines()]


def test_valid_csv_is_processed_into_json_lines(stack, upload):
    ticket = upload(b"patient_id,name\n1,Ada\n2,Grace\n", filename="patients.csv")

    record = stack.wait_final(ticket["file_id"])

    assert record["state"] == "processed"
    assert record["reasons"] == []
    assert record["details"]["detected_type"] == "csv"
    assert (record["details"]["rows"], record["details"]["columns"]) == (2, 2)
    assert record["output"]["bucket"] == stack.name("OutputBucket")
    assert record["output"]["key"] == f"processed/acme/{ticket['file_id']}.jsonl"
    assert _output_lines(stack, record) == [{"patient_id": "1", "name": "Ada"}, {"patient_id": "2", "name": "Grace"}]
    assert record["attempts"] == 1 and record["uploaded_at"] and record["finished_at"]
    assert record["details"]["duration_ms"] > 0 and record["details"]["queued_ms"] >= 0


def test_valid_json_array_is_processed_into_json_lines(stack, upload):
    body = json.dumps([{"scan": "ct", "slices": 120}, {"scan": "mri", "slices": 88}]).encode()
    ticket = upload(body, filename="scans.json", content_type="application/json")

    record = stack.wait_final(ticket["file_id"])

    assert record["state"] == "processed"
    assert _output_lines(stack, record) == [{"scan": "ct", "slices": 120}, {"scan": "mri", "slices": 88}]


def test_valid_json_lines_are_processed(stack, upload):
    body = b'{"bpm": 61}\n{"bpm": 72}\n'
    ticket = upload(body, filename="vitals.jsonl", content_type="application/x-ndjson")

    record = stack.wait_final(ticket["file_id"])

    assert record["state"] == "processed"
    assert _output_lines(stack, record) == [{"bpm": 61}, {"bpm": 72}]


QUARANTINE_CASES = {
    "empty_file": dict(body=b"", filename="empty.csv"),
    "type_mismatch": dict(body=PNG, filename="scan.csv"),
    "invalid_encoding": dict(body="name\nJosé\n".encode("latin-1"), filename="latin1.csv"),
    "csv_no_header": dict(body=b",\n1,2\n", filename="noheader.csv"),
    "csv_ragged_rows": dict(body=b"a,b\n1,2\n3\n4,5,6\n", filename="ragged.csv"),
    "csv_no_rows": dict(body=b"a,b\n", filename="header-only.csv"),
    "csv_malformed": dict(body=b'a,b\n1,"unterminated\n', filename="quote.csv"),
    "json_malformed": dict(body=b'{"a": [1, 2}', filename="bad.json", content_type="application/json"),
    "json_wrong_shape": dict(body=b"[1, 2, 3]", filename="numbers.json", content_type="application/json"),
}


@pytest.mark.parametrize("reason", sorted(QUARANTINE_CASES))
def test_invalid_file_is_quarantined_with_its_reason(stack, upload, reason):
    case = dict(QUARANTINE_CASES[reason])
    ticket = upload(case.pop("body"), **case)

    record = stack.wait_final(ticket["file_id"])

    assert record["state"] == "quarantined"
    assert reason in [r["code"] for r in record["reasons"]]
    assert all(r["message"] for r in record["reasons"])
    s3 = stack.aws("s3")
    quarantine = record["quarantine"]
    assert quarantine["bucket"] == stack.name("QuarantineBucket")
    s3.head_object(Bucket=quarantine["bucket"], Key=quarantine["key"])  # the bytes are kept
    listed = s3.list_objects_v2(Bucket=stack.name("InputBucket"), Prefix=f"uploads/acme/{ticket['file_id']}")
    assert listed.get("KeyCount", 0) == 0  # and gone from the input bucket


def test_object_differing_from_its_declaration_is_quarantined_for_size_and_checksum(stack, declare):
    # The presigned URL cannot deliver such a body: the S3 edge refuses it, as S3 does
    # (test_s3_edge.py). Whoever holds the stack's own credentials can still write the
    # key, so the processor checks size and checksum again, whatever wrote the object.
    ticket = declare(b"a,b\n1,2\n", declared={"size": 5, "sha256": "0" * 64})
    key = f"uploads/acme/{ticket['file_id']}"
    stack.s3().put_object(Bucket=stack.name("InputBucket"), Key=key, Body=b"a,b\n1,2\n")

    record = stack.wait_final(ticket["file_id"])

    assert record["state"] == "quarantined"
    assert {"size_mismatch", "checksum_mismatch"} <= {r["code"] for r in record["reasons"]}


def test_quarantine_publishes_an_alert_without_file_names(stack, upload):
    ticket = upload(b"a,b\n1\n", filename="secret-patient-name.csv")
    stack.wait_final(ticket["file_id"])

    # Published before the record turned quarantined, so already in the inbox.
    alerts = stack.alerts(ticket["file_id"])
    assert alerts, f"no alert for {ticket['file_id']}"
    alert = alerts[0]

    assert alert["event"] == "file.quarantined"
    assert alert["partner_id"] == "acme"
    assert alert["reasons"] == ["csv_ragged_rows"]
    assert "secret-patient-name" not in json.dumps(alert)


def _redeliver(stack: Any, ticket: dict[str, Any]) -> None:
    """Send the S3 notification for this upload again, as SQS at-least-once may."""
    stack.notify_created(f"uploads/acme/{ticket['file_id']}")
    stack.wait_queue_empty("UploadEventsQueue")


def test_redelivered_event_does_not_process_a_file_twice(stack, upload):
    ticket = upload(b"a,b\n1,2\n")
    first = stack.wait_final(ticket["file_id"])
    s3 = stack.aws("s3")
    output_before = s3.head_object(Bucket=first["output"]["bucket"], Key=first["output"]["key"])

    _redeliver(stack, ticket)
    _redeliver(stack, ticket)

    again = stack.api("GET", f"/files/{ticket['file_id']}").json()
    assert again == first  # same attempts, same finished_at: nothing ran again
    output_after = s3.head_object(Bucket=first["output"]["bucket"], Key=first["output"]["key"])
    assert output_after["LastModified"] == output_before["LastModified"]
    dlq = stack.aws("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url("UploadEventsDeadLetterQueue"), AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert dlq["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_redelivered_event_of_a_quarantined_file_changes_nothing(stack, upload):
    ticket = upload(b"")
    first = stack.wait_final(ticket["file_id"])

    _redeliver(stack, ticket)

    assert stack.api("GET", f"/files/{ticket['file_id']}").json() == first


def test_filename_is_data_never_a_path(stack, upload):
    ticket = upload(b"a\n1\n", filename="../../other-partner/evil.csv")

    record = stack.wait_final(ticket["file_id"])

    assert record["filename"] == "../../other-partner/evil.csv"
    assert record["state"] == "processed"
    assert record["output"]["key"] == f"processed/acme/{ticket['file_id']}.jsonl"
    assert ticket["upload"]["url"].split("?")[0].endswith(f"/uploads/acme/{ticket['file_id']}")


HOSTILE_CASES = {
    "deeply nested brackets": (b"[" * 100_000 + b"]" * 100_000, "json_malformed"),
    "deeply nested objects": (b'{"a":' * 5000, "json_malformed"),
    "escaped lone surrogate": (b'[{"name": "\\ud800"}]', "invalid_encoding"),
    "duplicate keys": (b'{"id": 1, "id": 2}', "json_malformed"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CASES))
def test_hostile_json_is_quarantined_quickly_and_the_stack_stays_up(stack, upload, case):
    body, reason = HOSTILE_CASES[case]
    started = time.monotonic()
    ticket = upload(body, filename="hostile.json", content_type="application/json")

    record = stack.wait_final(ticket["file_id"], timeout=20)

    assert record["state"] == "quarantined", record
    assert reason in [r["code"] for r in record["reasons"]]
    assert time.monotonic() - started < 10
    assert stack.api("GET", "/files", params={"limit": 1}).status_code == 200
