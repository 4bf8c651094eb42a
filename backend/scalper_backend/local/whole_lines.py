"""A text stream that writes each line whole, for ``scalper local``'s standard error."""

from __future__ import annotations

import io
import threading
from typing import TextIO


class WholeLines(io.TextIOBase):
    """A text stream that writes each line whole: ``print`` writes a line and its newline
    separately, so two threads printing at once could otherwise mix their lines."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._pending = threading.local()

    def write(self, text: str) -> int:
        pending = getattr(self._pending, "text", "") + text
        *lines, rest = pending.split("\n")
        self._pending.text = rest
        if lines:
            with self._lock:
                self._target.write("".join(line + "\n" for line in lines))
                self._target.flush()
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def fileno(self) -> int:
        return self._target.fileno()
