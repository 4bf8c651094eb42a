"""The Lambda entry points with sample AWS events from ``events/``, against moto."""

from __future__ import annotations

import json

from scalper_backend.handlers import presign, processor, status
from scalper_backend.local.runtime import LocalContext


def _context(name: str) -> LocalContext:
    return LocalContext(function_name=name, memory_limit_in_mb=512, invoked_function_arn="arn", timeout_seconds=30)


def _partner(backend, key_id: str = "key0000001", partner: str = "acme") -> None:
    backend.clients["dynamodb"].put_item(
        TableName=backend.settings.partners_table,
        Item={"principal": {"S": f"apikey:{key_id}"}, "partner_id": {"S": partner}},
    )


def test_presign_handler_answers_201_and_status_handler_finds_the_file(backend, load_event):
    _partner(backend)

    answer = presign.handler(load_event("api_post_upload"), _context("presign"))

    assert answer["statusCode"] == 201
    ticket = json.loads(answer["body"])
    event = load_event("api_post_upload")
    event.update(resource="/files/{file_id}", path=f"/files/{ticket['file_id']}", httpMethod="GET", body=None)
    event["pathParameters"] = {"file_id": ticket["file_id"]}
    found = status.handler(event, _context("status"))
    assert found["statusCode"] == 200
    record = json.loads(found["body"])
    assert (record["state"], record["metadata"]) == ("pending_upload", {"clinic": "north"})


def test_handler_error_answers_never_carry_a_traceback(backend, monkeypatch, load_event):
    _partner(backend)
    monkeypatch.setattr(presign, "declare_upload", lambda *a, **k: 1 / 0)

    answer = presign.handler(load_event("api_post_upload"), _context("presign"))

    assert answer["statusCode"] == 500
    body = json.loads(answer["body"])
    assert body["error"]["code"] == "internal_error"
    assert body["error"]["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert "ZeroDivision" not in answer["body"]


def test_processor_handler_acknowledges_the_s3_test_event(backend, load_event):
    assert processor.handler(load_event("sqs_s3_test_event"), _context("processor")) == {"batchItemFailures": []}


def test_processor_handler_reports_only_the_failed_message(backend, load_event):
    event = load_event("sqs_s3_object_created")
    good = event["Records"][0]
    good["body"] = good["body"].replace("BUCKET", backend.settings.input_bucket).replace("KEY", "unrelated/key")
    bad = dict(good, messageId="bad-one", body="not json")
    event["Records"] = [good, bad]

    assert processor.handler(event, _context("processor")) == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
