"""Through the local stack, a batch never starts more than its time allows: with the
processor's timeout cut to one second (a copy of template.yaml, ``scalper local
--template``), a batch of four uploads starts one file per invocation, puts the others
back on the queue unstarted, and every file still ends processed, each in one attempt, in
seconds: a deferred record is a new message, not a failure SQS would hold back for the
queue's 90-minute visibility timeout."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from support.local_stack import ROOT, Stack, local_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("budget")
    template = (ROOT / "template.yaml").read_text()
    marker = "so no /tmp is used.\n      Timeout: 900\n"  # the processor's
    assert template.count(marker) == 1
    (directory / "template.yaml").write_text(template.replace(marker, marker.replace("900", "1")))
    options = ("--no-throttle", "--template", str(directory / "template.yaml"), "--summary-interval", "0")
    with local_stack(directory / "stack.log", *options, log_level="INFO", partners=("acme",)) as stack:
        yield stack


def test_a_batch_starts_only_what_its_time_allows_and_every_file_still_ends_processed(short):
    body = b"patient_ref,clinic\np-1,north\n"
    s3, bucket = short.aws("s3"), short.name("InputBucket")
    notifications = s3.get_bucket_notification_configuration(Bucket=bucket)
    notifications.pop("ResponseMetadata")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    ids = []
    try:  # the bytes land first, their events arrive together: one batch
        for _ in range(4):
            ticket = short.declare(body)
            put = requests.put(ticket["upload"]["url"], data=body, headers=ticket["upload"]["headers"], timeout=10)
            assert put.status_code == 200
            ids.append(ticket["file_id"])
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notifications)
    events = [_event(short, f"uploads/acme/{file_id}", len(body)) for file_id in ids]
    short.aws("sqs").send_message_batch(
        QueueUrl=short.queue_url("UploadEventsQueue"),
        Entries=[{"Id": str(i), "MessageBody": event} for i, event in enumerate(events)],
    )

    records = [short.wait_final(file_id, timeout=40) for file_id in ids]

    assert [(r["state"], r["attempts"]) for r in records] == [("processed", 1)] * 4
    deferred = [line for line in short.log.read_text().splitlines() if "record deferred" in line]
    assert len(deferred) >= 3  # the batch's others, put back unstarted at least once each
    visibility = short.aws("sqs").get_queue_attributes(
        QueueUrl=short.queue_url("UploadEventsQueue"), AttributeNames=["VisibilityTimeout"]
    )
    assert visibility["Attributes"]["VisibilityTimeout"] == "5400"  # no redelivery could have been this fast


def _event(stack: Stack, key: str, size: int) -> str:
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": stack.name("InputBucket")}, "object": {"key": key, "size": size}},
    }
    return json.dumps({"Records": [record]})
