"""Ending the local stack's child processes (moto's, the workers)."""

from __future__ import annotations

import subprocess
from typing import Any


def wait_or_kill(process: subprocess.Popen[Any], timeout: float) -> None:
    """Give ``process`` ``timeout`` seconds to exit on its own, then kill it; returns once
    it has exited (so no zombie is left)."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
