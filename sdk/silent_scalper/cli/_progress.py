"""A one-line progress bar on a terminal: files, bytes, rate and ETA.

Written here rather than taken from a library: it is one line of text redrawn with
``\\r``, and the SDK's only dependencies stay requests and pydantic.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import TextIO

from .._progress import Progress

__all__ = ["ProgressBar", "human_bytes"]

REDRAW_INTERVAL_S = 0.1
BAR_WIDTH = 24


class ProgressBar:
    """Draw :class:`Progress` snapshots on one line of ``stream``, at most 10 times a second.

    Args:
        stream: Where to draw (standard error, so standard output stays clean).
        enabled: When false, every call does nothing (not a terminal, or ``--quiet``).
    """

    def __init__(self, stream: TextIO, *, enabled: bool) -> None:
        self._stream = stream
        self.enabled = enabled
        self._lock = threading.Lock()
        self._last_draw = float("-inf")
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        finished = progress.files_done == progress.files_total
        with self._lock:
            if not finished and now - self._last_draw < REDRAW_INTERVAL_S:
                return
            self._last_draw = now
            width = shutil.get_terminal_size((80, 24)).columns - 1
            self._stream.write("\r" + render(progress)[:width].ljust(width))
            self._stream.flush()
            self._drawn = True

    def clear(self) -> None:
        """Erase the bar, so what is printed next starts on a clean line."""
        with self._lock:
            if self.enabled and self._drawn:
                width = shutil.get_terminal_size((80, 24)).columns - 1
                self._stream.write("\r" + " " * width + "\r")
                self._stream.flush()
                self._drawn = False


def render(progress: Progress) -> str:
    """``  37/500 files [#####.......]  12.1/80.0 MiB  4.2 MiB/s  ETA 0:16``"""
    total = progress.bytes_total or progress.files_total
    done = progress.bytes_done if progress.bytes_total else progress.files_done
    filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    eta = progress.eta_s
    eta_text = "--:--" if eta is None else f"{int(eta) // 60}:{int(eta) % 60:02d}"
    failed = f" ({progress.files_failed} failed)" if progress.files_failed else ""
    return (
        f"{progress.files_done:>{len(str(progress.files_total))}}/{progress.files_total} files{failed} [{bar}]  "
        f"{human_bytes(progress.bytes_done)}/{human_bytes(progress.bytes_total)}  "
        f"{human_bytes(progress.bytes_per_s)}/s  ETA {eta_text}"
    )


def human_bytes(count: float) -> str:
    """``512 B``, ``12.1 KiB``, ``3.0 MiB``, ``1.2 GiB``."""
    if abs(count) < 1024:
        return f"{count:.0f} B"
    value = count / 1024
    for unit in ("KiB", "MiB"):
        if abs(value) < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
