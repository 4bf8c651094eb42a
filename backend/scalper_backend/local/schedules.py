"""A local EventBridge scheduler: each ``Schedule`` event of the template invokes its
function on a timer, with the event EventBridge sends (``detail-type: Scheduled Event``).

The interval is the template's ``rate(...)``, unless the stack is given another one
(``scalper local --sweep-interval``, short in tests). A run that raises is logged, and the
next one comes at the next tick, as on AWS.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from .runtime import LocalFunction
from .template import ACCOUNT_ID, ScheduleSource
from .ticking import Ticker


class ScheduleTimer(Ticker):
    name = "schedule"

    def __init__(self, source: ScheduleSource, function: LocalFunction, *, region: str, every: float | None) -> None:
        super().__init__(every if every is not None else source.every_seconds)
        self._source = source
        self._function = function
        self._region = region

    def tick(self) -> None:
        self._function.invoke(self.event())

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
