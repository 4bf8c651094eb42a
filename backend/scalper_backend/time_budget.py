"""How much of a batch an invocation may start: a batch never runs past the timeout.

Kept apart from ``processing`` so that the processor handler imports it without the
inspection package, which the processor loads on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import BatchItemDeferred
from .observability import Metric, count, logger


@dataclass
class TimeBudget:
    """Which records of a batch to start, so that a batch never runs past the timeout.

    A record is started when the time left covers a cautious estimate of what it needs
    (a fixed cost plus its size at `BYTES_PER_SECOND`, a fraction of the measured
    inspection rate); a record that does not fit is handed back to SQS, unstarted, as a
    batch item failure, and comes back in a later batch. The first record of an
    invocation is always started, so every invocation makes progress: a file larger than
    any budget gets a whole invocation to itself.
    """

    remaining_ms: Callable[[], int]
    started: int = 0

    FIXED_MS = 2_000
    BYTES_PER_SECOND = 5 * 1024 * 1024

    def admit(self, size: int | None) -> None:
        """Note a record about to start.

        Raises:
            BatchItemDeferred: it does not fit in the time left.
        """
        needed = self.FIXED_MS + (size or 0) * 1000 // self.BYTES_PER_SECOND
        if self.started and self.remaining_ms() < needed:
            count(Metric.BATCH_ITEMS_DEFERRED)
            logger.info("record deferred: not enough time left", extra={"needed_ms": needed, "size": size})
            raise BatchItemDeferred(f"needs about {needed} ms, {self.remaining_ms()} ms left")
        self.started += 1
