"""How much of a batch an invocation may start, and the deferral of the rest: a batch
never runs past the timeout.

Kept apart from ``processing`` so that the processor handler imports it without the
inspection package, which the processor loads on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .notifications import created_objects
from .observability import Metric, count, logger

if TYPE_CHECKING:
    from .dependencies import Dependencies


@dataclass
class TimeBudget:
    """Which records of a batch to start, so that a batch never runs past the timeout.

    A record is started when the time left covers a cautious estimate of what it needs
    (a fixed cost plus its size at `BYTES_PER_SECOND`, a fraction of the measured
    inspection rate); a record that does not fit is deferred, unstarted: the processor
    puts its event back on the queue as a new message, so it comes back at once, in
    another invocation, without a receive counted toward the dead-letter queue. The first
    record of an invocation is always started, so every invocation makes progress: a file
    larger than any budget gets a whole invocation to itself.
    """

    remaining_ms: Callable[[], int]
    started: int = 0

    FIXED_MS = 2_000
    BYTES_PER_SECOND = 5 * 1024 * 1024

    def admit(self, size: int | None) -> bool:
        """Whether a record of ``size`` bytes may start now (then it counts as started)."""
        needed = self.FIXED_MS + (size or 0) * 1000 // self.BYTES_PER_SECOND
        if self.started and self.remaining_ms() < needed:
            count(Metric.BATCH_ITEMS_DEFERRED)
            logger.info("record deferred: not enough time left", extra={"needed_ms": needed, "size": size})
            return False
        self.started += 1
        return True


def process_or_defer(body: str, delivery: int, *, budget: TimeBudget, deps: Dependencies) -> None:
    """Process the objects one SQS message announces, or defer them all when ``budget``
    has no time for their size: the message is sent again as a new one, which another
    invocation handles at once.

    Args:
        body: the message body (an S3 notification).
        delivery: how many times SQS has delivered the message (its receive count).
    """
    refs = created_objects(body)
    if not budget.admit(sum(ref.size or 0 for ref in refs)):
        deps.events.send(body)
        return
    for ref in refs:
        deps.processor.process(ref, delivery=delivery)
