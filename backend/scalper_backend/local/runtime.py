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

# On AWS each function cold-starts in a process of its own. Here they share one, and two
# cold starts importing Powertools at once (the processor woken by S3's test event while
# the first request reaches presign) can meet its circular imports half-initialised.
_IMPORTS = threading.Lock()


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
    time: the handlers keep per-invocation state (the resolver's current event)."""

    def __init__(self, template: Template, logical_id: str) -> None:
        self.logical_id = logical_id
        self.name = f"{template.stack_name}-{logical_id}"
        self.handler_path = template.function_handler(logical_id)
        self.timeout = template.function_timeout(logical_id)
        self.arn = f"arn:aws:lambda:{template.region}:{ACCOUNT_ID}:function:{self.name}"
        self._handler: Callable[[dict[str, Any], Any], Any] | None = None
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            if self._handler is None:  # the cold start
                module_name, _, attribute = self.handler_path.rpartition(".")
                with _IMPORTS:
                    self._handler = getattr(importlib.import_module(module_name), attribute)
            context = LocalContext(
                function_name=self.name,
                memory_limit_in_mb=512,
                invoked_function_arn=self.arn,
                timeout_seconds=self.timeout,
                log_group_name=f"/aws/lambda/{self.name}",
            )
            return self._handler(event, context)
