"""Progress of a bulk upload: what the ``on_progress`` callback receives."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressCallback", "ProgressTracker"]

# Byte counts are reported at most this often; a finished file is always reported.
REPORT_INTERVAL_S = 0.1


@dataclass(frozen=True)
class Progress:
    """A snapshot of a bulk upload.

    Attributes:
        files_done: Files finished, successfully or not (skipped ones included).
        files_failed: Of those, the ones that failed.
        files_total: Files in the run.
        bytes_sent: Bytes sent to storage so far.
        bytes_done: Bytes of finished or skipped files plus bytes sent of the others.
        bytes_total: Bytes of all the files of the run.
        elapsed_s: Seconds since the run started.
    """

    files_done: int
    files_failed: int
    files_total: int
    bytes_sent: int
    bytes_done: int
    bytes_total: int
    elapsed_s: float

    @property
    def bytes_per_s(self) -> float:
        """Bytes sent per second so far."""
        return self.bytes_sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def files_per_s(self) -> float:
        """Files finished per second so far."""
        return self.files_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds still needed at the rate so far, or ``None`` before there is a rate."""
        if self.files_done >= self.files_total:
            return 0.0
        if self.bytes_total and self.bytes_per_s > 0:
            return max(self.bytes_total - self.bytes_done, 0) / self.bytes_per_s
        if self.files_per_s > 0:
            return (self.files_total - self.files_done) / self.files_per_s
        return None


ProgressCallback = Callable[[Progress], None]
"""Receives a :class:`Progress`; called from worker threads, one call at a time."""


class ProgressTracker:
    """Counts files and bytes from many threads and reports snapshots, rate-limited."""

    def __init__(
        self,
        files_total: int,
        bytes_total: int,
        callback: ProgressCallback | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._files_total = files_total
        self._bytes_total = bytes_total
        self._files_done = 0
        self._files_failed = 0
        self._bytes_sent = 0
        self._bytes_finished = 0
        self._in_flight = 0
        self._last_report = float("-inf")

    def sent(self, count: int) -> None:
        """Bytes left for storage (negative when a failed attempt is taken back)."""
        with self._lock:
            self._bytes_sent += count
            self._in_flight += count
            self._report(force=False)

    def file_done(self, size: int, bytes_sent: int, *, failed: bool) -> None:
        """A file finished; ``bytes_sent`` of its ``size`` bytes were sent by this run."""
        with self._lock:
            self._files_done += 1
            self._files_failed += failed
            self._bytes_finished += size
            self._in_flight -= bytes_sent
            self._report(force=True)

    def _snapshot(self) -> Progress:
        return Progress(
            files_done=self._files_done,
            files_failed=self._files_failed,
            files_total=self._files_total,
            bytes_sent=self._bytes_sent,
            bytes_done=self._bytes_finished + max(self._in_flight, 0),
            bytes_total=self._bytes_total,
            elapsed_s=self._clock() - self._started,
        )

    def _report(self, *, force: bool) -> None:
        if self._callback is None:
            return
        now = self._clock()
        if force or now - self._last_report >= REPORT_INTERVAL_S:
            self._last_report = now
            self._callback(self._snapshot())
