"""Lambda's context object, as a local worker hands it to a handler."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    @classmethod
    def for_invocation(cls, function: dict[str, Any], request_id: str, deadline: float) -> LocalContext:
        """The context of one invocation of ``function`` (its name, arn and memory_mb)
        that must end by ``deadline`` (``time.time()``, set by the invoking process)."""
        return cls(
            function_name=function["name"],
            memory_limit_in_mb=int(function["memory_mb"]),
            invoked_function_arn=function["arn"],
            timeout_seconds=max(0.0, deadline - time.time()),
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{function['name']}",
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))
