"""A local EventBridge scheduler: each ``Schedule`` event of the template invokes its
function on a timer, with the event EventBridge sends (``detail-type: Scheduled Event``).

The interval is the template's ``rate(...)``, unless the stack is given another one
(``scalper local --sweep-interval``, short in tests). A run that raises is logged, and the
next one comes at the next tick, as on AWS.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from .runtime import LocalFunction
from .template import ACCOUNT_ID, ScheduleSource

logger = Logger(service="scalper-local")


class ScheduleTimer:
    def __init__(self, source: ScheduleSource, function: LocalFunction, *, region: str, every: float | None) -> None:
        self._source = source
        self._function = function
        self._region = region
        self.every = every if every is not None else source.every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{source.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self._function.invoke(self.event())
            except Exception:
                logger.exception("scheduled invocation failed", extra={"function": self._function.logical_id})

    def event(self) -> dict[str, Any]:
        """An EventBridge scheduled event, as the rule would send it."""
        rule = f"arn:aws:events:{self._region}:{ACCOUNT_ID}:rule/{self._source.name}"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [rule],
            "detail": {},
        }
