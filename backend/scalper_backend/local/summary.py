"""``scalper local``'s running summary: every N seconds, one line on standard error with
how many files are in each state and how many upload events wait in the queues.

Counts come from the files table (every record, by state) and the queues' attributes,
which is what an operator would read on AWS from the dashboard.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any, TextIO

from ..models import FileState
from .ticking import Ticker

_RECEIVED = (FileState.PROCESSING, FileState.PROCESSED, FileState.QUARANTINED, FileState.FAILED)


def summary_line(states: Counter[str], queued: int, in_flight: int, dead: int) -> str:
    received = sum(states[state] for state in _RECEIVED)
    return (
        f"scalper local: files {sum(states.values())} declared, {received} received, "
        f"{states[FileState.PROCESSED]} processed, {states[FileState.QUARANTINED]} quarantined, "
        f"{states[FileState.FAILED]} failed, {states[FileState.PENDING_UPLOAD]} pending, "
        f"{states[FileState.EXPIRED]} expired; "
        f"queue {queued} waiting, {in_flight} in flight; dead-letter {dead}"
    )


class SummaryReporter(Ticker):
    name = "summary"

    def __init__(
        self,
        dynamodb: Any,
        sqs: Any,
        *,
        files_table: str,
        queue_url: str,
        dead_letter_url: str,
        every: float,
        out: TextIO | None = None,
    ) -> None:
        super().__init__(every)
        self._dynamodb = dynamodb
        self._sqs = sqs
        self._table = files_table
        self._queue = queue_url
        self._dead = dead_letter_url
        self._out = out or sys.stderr

    def tick(self) -> None:
        print(self.line(), file=self._out, flush=True)

    def line(self) -> str:
        states: Counter[str] = Counter()
        params: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "#s",
            "ExpressionAttributeNames": {"#s": "state"},
        }
        while True:
            page = self._dynamodb.scan(**params)
            states.update(item["state"]["S"] for item in page.get("Items", []) if "state" in item)
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        queue = self._attributes(self._queue)
        dead = self._attributes(self._dead)
        return summary_line(
            states,
            int(queue["ApproximateNumberOfMessages"]),
            int(queue["ApproximateNumberOfMessagesNotVisible"]),
            int(dead["ApproximateNumberOfMessages"]),
        )

    def _attributes(self, url: str) -> dict[str, str]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        return dict(self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"])
