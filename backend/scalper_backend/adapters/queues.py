"""The upload-events queue and its dead-letter queue (SQS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import AWS_ERRORS, store_error


class UploadEvents:
    """Putting a file's event back on the queue the processor reads."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, body: str) -> None:
        try:
            self._client.send_message(QueueUrl=self._url, MessageBody=body)
        except AWS_ERRORS as err:
            raise store_error("SendMessage", err) from err


@dataclass(frozen=True)
class Redriven:
    moved: int
    left: int  # still in the dead-letter queue (approximate)


def redrive(client: Any, *, dead_letter_url: str, source_url: str, limit: int | None = None) -> Redriven:
    """Move messages from the dead-letter queue back to the source queue, each sent before
    it is deleted (a crash in between leaves a duplicate, which processing ignores, never a
    loss). Bodies and message attributes are kept; the receive count starts again.

    SQS's own redrive (StartMessageMoveTask) does the same asynchronously; this loop is
    synchronous, reports what it moved, and runs on moto too, which lacks that API.

    Raises:
        StoreError: SQS refused a call; what was moved so far stays moved.
    """
    moved = 0
    try:
        while limit is None or moved < limit:
            batch = min(10, limit - moved) if limit is not None else 10
            messages = client.receive_message(
                QueueUrl=dead_letter_url, MaxNumberOfMessages=batch, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                break
            for message in messages:
                attributes = message.get("MessageAttributes") or {}
                client.send_message(
                    QueueUrl=source_url,
                    MessageBody=message["Body"],
                    **({"MessageAttributes": attributes} if attributes else {}),
                )
                client.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        left = client.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["ApproximateNumberOfMessages"])
    except AWS_ERRORS as err:
        raise store_error("Redrive", err) from err
    return Redriven(moved=moved, left=int(left["Attributes"]["ApproximateNumberOfMessages"]))
