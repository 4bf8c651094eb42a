"""Invoking a handler the way Lambda does: one event at a time per function, with a context."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .template import ACCOUNT_ID, Template

# One cold start at a time in this process: two threads importing overlapping package
# trees at once (the gateway's and the poller's first events) can see a module half
# initialised and fail. On Lambda each function has a process of its own.
_COLD_START = threading.Lock()


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))


class LocalFunction:
    """One function of the template. Like a single Lambda instance, it runs one event at a
    time: the handlers keep per-invocation state.

    Functions that keep that state in the same process-wide place share ``lock``: the
    Powertools REST resolver keeps the current event on its base class
    (``BaseRouter.current_event``), one attribute for every resolver in the process. On
    Lambda each function is a process of its own; here, two API functions run at once
    would read each other's event (a POST's body replaced by a GET's ``None``).
    """

    def __init__(self, template: Template, logical_id: str, lock: threading.Lock | None = None) -> None:
        self.logical_id = logical_id
        self.name = f"{template.stack_name}-{logical_id}"
        self.handler_path = template.function_handler(logical_id)
        self.timeout = template.function_timeout(logical_id)
        self.arn = f"arn:aws:lambda:{template.region}:{ACCOUNT_ID}:function:{self.name}"
        self._handler: Callable[[dict[str, Any], Any], Any] | None = None
        self._lock = lock or threading.Lock()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            if self._handler is None:  # the cold start
                module_name, _, attribute = self.handler_path.rpartition(".")
                with _COLD_START:
                    self._handler = getattr(importlib.import_module(module_name), attribute)
            context = LocalContext(
                function_name=self.name,
                memory_limit_in_mb=512,
                invoked_function_arn=self.arn,
                timeout_seconds=self.timeout,
                log_group_name=f"/aws/lambda/{self.name}",
            )
            return self._handler(event, context)
