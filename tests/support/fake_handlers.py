"""Handlers for the local runtime's tests: each does one thing a real handler might."""

from __future__ import annotations

import os
import signal
import time
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Who ran the event, with which variables and context."""
    return {
        "pid": os.getpid(),
        "env": {name: os.environ.get(name) for name in event.get("names", [])},
        "function_name": context.function_name,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def sleep(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(float(event["seconds"]))
    return {"pid": os.getpid()}


def fail(event: dict[str, Any], context: Any) -> None:
    raise ValueError("the handler refused the event")


def die(event: dict[str, Any], context: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def unserialisable(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"value": object()}


def shout(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print("a handler's print")
    return {}
