"""When to try a request again, and how long to wait first.

Shared by API requests and presigned uploads: exponential backoff with full jitter,
capped, unless the server says when with ``Retry-After`` (seconds or an HTTP-date).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["DEFAULT_MAX_RETRIES", "RETRY_STATUSES", "RetryPolicy", "retry_after_seconds"]

logger = logging.getLogger("silent_scalper")

DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A Retry-After beyond this is treated as garbage and replaced by our own backoff.
MAX_RETRY_AFTER = 60.0
# 500 and 503 are how S3 says "try again" (InternalError, SlowDown); API Gateway answers
# 502/504 when the function failed to answer and 429 when throttling.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry, and the pause before each retry.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retries).
        sleep: Called with each pause; tests replace it.
        wall_clock: Seconds since the epoch, to turn an HTTP-date into a delay.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    sleep: Callable[[float], None] = time.sleep
    wall_clock: Callable[[], float] = field(default=time.time)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def pause(self, attempt: int, retry_after: str | None, what: str, why: str) -> None:
        """Sleep before retry number ``attempt + 1`` of ``what``, logging ``why``."""
        delay = retry_after_seconds(retry_after, now=self.wall_clock())
        if delay is None:
            # Full jitter spreads out clients that failed together; not a secret.
            ceiling = min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2**attempt)
            delay = random.uniform(0, ceiling)  # noqa: S311
        logger.info("retrying %s in %.2fs after %s", what, delay, why)
        self.sleep(delay)


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """Read a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110 10.2.3).

    Args:
        value: The header, if any.
        now: The current time, in seconds since the epoch, for an HTTP-date.

    Returns:
        The seconds to wait, or ``None`` when the header is absent, unreadable, or
        asks for more than a minute (then our own backoff applies).
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
        seconds = max(seconds, 0.0)
    if not math.isfinite(seconds) or not 0 <= seconds <= MAX_RETRY_AFTER:
        return None
    return seconds
