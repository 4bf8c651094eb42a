"""A background timer for the local stack's stand-ins for AWS's operations services
(EventBridge schedules, an alerts subscriber, the summary line, the rules watcher)."""

from __future__ import annotations

import threading

from aws_lambda_powertools import Logger

logger = Logger(service="scalper-local")

# Seconds before the tick after one that failed, at least: a ticker with `every` 0 (the
# alerts console long-polls in its tick) would otherwise spin on an unreachable queue.
RETRY_AFTER = 1.0


class Ticker:
    """Calls `tick` every `every` seconds on a daemon thread until stopped. A tick that
    raises is logged and the next one comes (`RETRY_AFTER` seconds later at the soonest),
    as a scheduled service carries on."""

    name = "ticker"

    def __init__(self, every: float) -> None:
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def tick(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        delay = self.every
        while not self._stop.wait(delay):
            delay = self.every
            try:
                self.tick()
            except Exception:
                if not self._stop.is_set():
                    logger.exception(f"{self.name} failed")
                    delay = max(self.every, RETRY_AFTER)
