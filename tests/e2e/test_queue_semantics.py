"""The local event source mapping keeps SQS's promises: failed messages come back, and
after the queue's maxReceiveCount they go to the dead-letter queue instead of vanishing."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def fast_retries(stack):
    """The template's visibility timeout (90 minutes), cut to 3 s for this test. With 1 s,
    files other tests of this stack still had in flight came back mid-attempt on a loaded
    machine, their deliveries refused as busy, and the queue had not emptied 20 s later."""
    sqs, url = stack.aws("sqs"), stack.queue_url("UploadEventsQueue")
    original = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "3"})
    # A receive already waiting (the poller long-polls for 1 s) took the old timeout.
    time.sleep(2.5)
    yield
    sqs.set_queue_attributes(QueueUrl=url, Attributes=original)


def test_message_that_keeps_failing_ends_in_the_dead_letter_queue(stack, fast_retries):
    sqs = stack.aws("sqs")
    dlq = stack.queue_url("UploadEventsDeadLetterQueue")
    sqs.send_message(QueueUrl=stack.queue_url("UploadEventsQueue"), MessageBody="not an S3 notification")

    deadline, moved = time.monotonic() + 45, []
    while not moved and time.monotonic() < deadline:
        moved = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]).get(
            "Messages", []
        )

    assert [m["Body"] for m in moved] == ["not an S3 notification"]
    max_receives = stack.template.resolve(
        stack.template.properties("UploadEventsQueue")["RedrivePolicy"]["maxReceiveCount"]
    )
    assert int(moved[0]["Attributes"]["ApproximateReceiveCount"]) >= int(max_receives)
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=moved[0]["ReceiptHandle"])
    stack.wait_queue_empty("UploadEventsQueue")
