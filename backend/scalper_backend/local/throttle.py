"""API Gateway's throttling: token buckets, one per usage-plan key and one per method.

API Gateway "throttles requests to your API using the token bucket algorithm, where a
token counts for a request": the bucket holds up to the burst limit and refills at the
rate limit; a request that finds it empty gets 429 (the THROTTLED gateway response). A
request must pass both its key's bucket (the usage plan's throttle) and its method's (the
stage's MethodSettings, applied to each method on its own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .template import Throttle


class TokenBucket:
    def __init__(self, throttle: Throttle, now: float) -> None:
        self.throttle = throttle
        self._tokens = float(throttle.burst)
        self._last = now

    def take(self, now: float) -> bool:
        """Take one token if there is one."""
        self._tokens = min(float(self.throttle.burst), self._tokens + (now - self._last) * self.throttle.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class Throttles:
    """Buckets by name, made on first use; a changed throttle (an operator updated the
    usage plan) starts a fresh bucket, as a redeployed API Gateway setting does."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, name: str, throttle: Throttle) -> bool:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(name)
            if bucket is None or bucket.throttle != throttle:
                bucket = self._buckets[name] = TokenBucket(throttle, now)
            return bucket.take(now)
