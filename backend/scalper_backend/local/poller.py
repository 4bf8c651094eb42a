"""A local SQS event source mapping: receive a batch, invoke, delete what succeeded.

What is not deleted becomes visible again after the queue's visibility timeout, and SQS
moves a message to the dead-letter queue once it was received ``maxReceiveCount`` times,
just as with Lambda on AWS. Several pollers run at once, each with at most one batch in
flight, so the function runs as many batches at a time as there are pollers: the event
source's ``MaximumConcurrency`` on AWS, capped locally by the machine (``--workers``).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from aws_lambda_powertools import Logger

from .runtime import LocalFunction

logger = Logger(service="scalper-local")


class QueuePoller:
    def __init__(
        self,
        sqs: Any,
        *,
        queue_url: str,
        queue_arn: str,
        function: LocalFunction,
        batch_size: int,
        region: str,
        concurrency: int = 1,
        wait_seconds: int = 1,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._function = function
        self._batch_size = min(batch_size, 10)
        self._region = region
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"poller-{function.logical_id}-{n}", daemon=True)
            for n in range(max(1, concurrency))
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop receiving; a batch in flight is left to its worker (stop the function next)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self._wait + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, as the real event source mapping does
                if not self._stop.is_set():
                    logger.exception("poll failed")
                    self._stop.wait(1)

    def poll_once(self) -> int:
        """Receive and process one batch; returns how many messages were received."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self._function.invoke(event) or {}
        except Exception as err:
            # The whole batch failed (the handler raised, timed out or its worker died):
            # delete nothing, SQS redelivers every message after the visibility timeout.
            if not self._stop.is_set():
                logger.warning(
                    "batch failed",
                    extra={"function": self._function.logical_id, "error": f"{type(err).__name__}: {err}"},
                )
            return len(messages)
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        # SQS's body digest is MD5 (an integrity check of the record, not security).
        digest = message.get("MD5OfBody") or hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest()
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": digest,
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }
