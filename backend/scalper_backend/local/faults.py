"""Faults the local stack can inject, to prove that nothing is lost when things break.

Only the local stack uses this module: a worker imports it when it was started with
faults (``worker.py``), the S3 edge asks it whether to refuse a request, and nothing the
Lambda package runs imports it (the Makefile's ``build-%`` leaves ``local/`` out).

=====================  ======================================================================
``raise=SHARE``        the processor raises on that share of files, on their first attempt
``raise-always=SHARE`` ... on every attempt: those messages end in the dead-letter queue
``hang=SHARE``         the first attempt at that share of files hangs past the queue's
                       visibility timeout (the message is delivered again meanwhile)
``kill=SHARE``         that share of first deliveries of batches: the worker is killed with
                       SIGKILL mid-batch (after its first record; a batch of one as it reads)
``s3-slowdown=SHARE``  S3 (the edge) answers that share of requests 503 SlowDown
``dynamodb-throttle=SHARE``  DynamoDB answers that share of requests
                       ProvisionedThroughputExceededException (in every function's workers)
=====================  ======================================================================

The last two last ``window`` seconds from the moment the stack serves, as a real slowdown
would. Which files are hit is decided by a hash of the file id (the message id for
``kill``), so a run can be reconciled against exactly the files that were meant to fail.
Each injected fault is logged (``"injected fault"`` with its ``fault`` name), so that a
run can count them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .s3_refusals import S3Refusal

# ``--fault`` names, and the field of ``Faults`` each sets.
FAULT_FIELDS = {
    "raise": "raise_first",
    "raise-always": "raise_always",
    "hang": "hang",
    "kill": "kill",
    "s3-slowdown": "s3_slowdown",
    "dynamodb-throttle": "dynamodb_throttle",
}
DEFAULT_WINDOW_SECONDS = 10.0


class InjectedFault(RuntimeError):
    """A failure the local stack injected on purpose (``--fault``)."""


@dataclass(frozen=True)
class Faults:
    """Which faults to inject, and how much (each a share between 0 and 1)."""

    raise_first: float = 0.0
    raise_always: float = 0.0
    hang: float = 0.0
    kill: float = 0.0
    s3_slowdown: float = 0.0
    dynamodb_throttle: float = 0.0
    # How long the two time-bound faults last, from ``started`` (time.time()).
    window: float = DEFAULT_WINDOW_SECONDS
    started: float = 0.0
    # How long a hanging attempt hangs (the stack sets it past the visibility timeout).
    hang_seconds: float = 0.0
    seed: str = field(default="scalper")

    @classmethod
    def parse(cls, specs: list[str], *, window: float = DEFAULT_WINDOW_SECONDS) -> Faults:
        """Faults from ``NAME=SHARE`` strings, as ``scalper local --fault`` takes them.

        Raises:
            ValueError: an unknown name or a share outside [0, 1].
        """
        shares: dict[str, float] = {}
        for spec in specs:
            name, _, value = spec.partition("=")
            if name not in FAULT_FIELDS:
                raise ValueError(f"unknown fault {name!r}; choose from {', '.join(FAULT_FIELDS)}")
            share = float(value or 1.0)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"the share of fault {name} must be between 0 and 1, not {share}")
            shares[FAULT_FIELDS[name]] = share
        return cls(**shares, window=window)  # type: ignore[arg-type]

    def any(self) -> bool:
        shares = (self.raise_first, self.raise_always, self.hang, self.kill, self.s3_slowdown, self.dynamodb_throttle)
        return any(shares)

    def starting_at(self, started: float, *, hang_seconds: float) -> Faults:
        return replace(self, started=started, hang_seconds=hang_seconds)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Faults:
        return cls(**json.loads(text))

    # -- decisions
    def hits(self, fault: str, subject: str) -> bool:
        """Whether ``fault`` (an attribute name) applies to ``subject`` (a file id, a
        message id): the same answer in every process, for a given seed."""
        share = float(getattr(self, fault))
        if share <= 0.0:
            return False
        digest = hashlib.sha256(f"{self.seed}/{fault}/{subject}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < share

    def in_window(self, now: float) -> bool:
        return self.started <= now < self.started + self.window

    def s3_refusal(self, rng: random.Random | None = None) -> S3Refusal | None:
        """For the S3 edge: SlowDown for this request, or None."""
        if self.s3_slowdown and self.in_window(time.time()) and (rng or random).random() < self.s3_slowdown:
            return S3Refusal(503, "SlowDown", "Please reduce your request rate.")
        return None


# -- in a worker process


@dataclass
class _Invocation:
    """What the current invocation is to suffer (set before the handler runs)."""

    fail: set[str] = field(default_factory=set)
    hang: set[str] = field(default_factory=set)
    kill_at: int = 0  # the GetObject (1-based) of this invocation that kills the worker
    reads: int = 0


_current = _Invocation()
_lock = threading.Lock()


def install_in_worker(spec: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Hook every boto3 client this process will make, and return what wraps the handler.

    botocore copies ``BUILTIN_HANDLERS`` into each new session, so the hooks reach the
    handlers' clients without any code of theirs knowing.
    """
    from botocore import handlers

    faults = Faults.from_json(spec)
    handlers.BUILTIN_HANDLERS.append(("before-parameter-build.s3.GetObject", _on_read(faults)))
    if faults.dynamodb_throttle:
        handlers.BUILTIN_HANDLERS.append(("before-send.dynamodb", _throttle(faults)))
    return lambda handler: _wrapped(handler, faults)


def _wrapped(handler: Callable[..., Any], faults: Faults) -> Callable[..., Any]:
    def invoke(event: dict[str, Any], context: Any) -> Any:
        global _current
        with _lock:
            _current = _plan(event, faults)
        return handler(event, context)

    return invoke


def _plan(event: dict[str, Any], faults: Faults) -> _Invocation:
    plan = _Invocation()
    records = event.get("Records") or []
    for record in records:
        if record.get("eventSource") != "aws:sqs":
            continue
        first = str(record.get("attributes", {}).get("ApproximateReceiveCount", "1")) == "1"
        for key in _object_keys(record.get("body", "")):
            file_id = key.rsplit("/", 1)[-1]
            if faults.hits("raise_always", file_id) or (first and faults.hits("raise_first", file_id)):
                plan.fail.add(key)
            elif first and faults.hits("hang", file_id):
                plan.hang.add(key)
    if (
        records
        and all(str(r.get("attributes", {}).get("ApproximateReceiveCount", "1")) == "1" for r in records)
        and faults.hits("kill", str(records[0].get("messageId")))
    ):
        plan.kill_at = min(2, len(records))
    return plan


def _object_keys(body: str) -> list[str]:
    from urllib.parse import unquote_plus

    try:
        data = json.loads(body)
        return [unquote_plus(r["s3"]["object"]["key"]) for r in data.get("Records", [])]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _on_read(faults: Faults) -> Callable[..., None]:
    def before_get_object(params: dict[str, Any], **_: Any) -> None:
        key = str(params.get("Key", ""))
        with _lock:
            _current.reads += 1
            kill = _current.reads == _current.kill_at
            fail, hang = key in _current.fail, key in _current.hang
        if kill:
            _announce("kill")
            os.kill(os.getpid(), signal.SIGKILL)
        if fail:
            _announce("raise")
            raise InjectedFault("injected fault: the processor raised")
        if hang:
            _announce("hang")
            time.sleep(faults.hang_seconds)

    return before_get_object


def _throttle(faults: Faults) -> Callable[..., Any]:
    from botocore.awsrequest import AWSResponse, HTTPHeaders

    rng = random.Random()  # noqa: S311 - a fault's dice, not a secret
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded.",
        }
    ).encode()

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        if not (faults.in_window(time.time()) and rng.random() < faults.dynamodb_throttle):
            return None
        _announce("dynamodb-throttle")
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        headers["x-amzn-RequestId"] = "injected-throttle"
        return AWSResponse(request.url, 400, headers, _Raw(body))

    return before_send


def _announce(fault: str) -> None:
    """Log the fault about to be injected, as the handlers log (JSON on standard output,
    which is the stack's standard error), so that a run can count what it suffered."""
    print(json.dumps({"level": "WARNING", "message": "injected fault", "fault": fault, "pid": os.getpid()}), flush=True)


class _Raw:
    """The smallest stand-in for urllib3's response that botocore's AWSResponse reads."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._body
