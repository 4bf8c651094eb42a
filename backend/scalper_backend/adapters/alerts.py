"""SNS alerts for operators. They carry ids and reason codes, never file names or contents."""

from __future__ import annotations

import json
from typing import Any

from ..records import FileRecord
from .errors import AWS_ERRORS, store_error


class Alerts:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def publish(self, event: str, subject: str, payload: dict[str, Any]) -> None:
        """Publish one alert; ``event`` is also a message attribute subscribers can filter on."""
        try:
            self._client.publish(
                TopicArn=self._topic,
                Subject=subject[:100],
                Message=json.dumps({"event": event, **payload}, sort_keys=True),
                MessageAttributes={"event": {"DataType": "String", "StringValue": event}},
            )
        except AWS_ERRORS as err:
            raise store_error("Publish", err) from err

    def file_failed(self, record: FileRecord, *, final: bool, cause: str | None = None) -> None:
        """``file.failed``: an attempt at ``record`` failed; ``final`` when no retry follows.

        Args:
            cause: the failure's code, when it is not the attempt's own error.
        """
        payload: dict[str, Any] = {
            "partner_id": record.partner_id,
            "file_id": record.file_id,
            "attempt": record.attempts,
            "final": final,
        }
        if cause is not None:
            payload["cause"] = cause
        self.publish("file.failed", "Silent Scalper: file processing failed", payload)
