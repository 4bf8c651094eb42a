"""Logs, metrics and traces: configured once, from the environment template.yaml sets.

* ``logger``: the one Powertools ``Logger`` of the backend. Its service name and level come
  from ``POWERTOOLS_SERVICE_NAME`` and ``POWERTOOLS_LOG_LEVEL``; every module logs through
  it, and the inspection package's standard-library logger is given the same JSON
  configuration. A file's id is the correlation id of the lines about it.
* metrics: CloudWatch Embedded Metric Format through Powertools, in the namespace
  ``POWERTOOLS_METRICS_NAMESPACE``, names from `Metric`. Dimensions are bounded: the
  service, and for ``QuarantineReasons`` a reason code from the closed set
  (``ReasonCode``); never a file name, a partner or a file id. One metric set per thread:
  Lambda runs one invocation per process, and the local stack runs several functions on
  threads of one process, each invocation on one thread.
* ``traced``: the Powertools ``Tracer`` (X-Ray subsegments for each AWS call), for the
  functions nobody waits on (the processor and the sweeper). Importing the X-Ray SDK costs
  about 100 ms of a cold start, measured, so the API functions do without it: Lambda's
  active tracing still records their invocations, linked to API Gateway's traces. It
  records neither answers nor exceptions as trace metadata: answers hold file names and
  presigned URLs, and a library's exception can quote file contents. Outside Lambda
  Powertools disables it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from scalper_inspection import ReasonCode

logger = Logger()
copy_config_to_registered_loggers(source_logger=logger, include={"scalper_inspection"})

F = TypeVar("F", bound=Callable[..., Any])
_REASONS = frozenset(code.value for code in ReasonCode)


class Metric(StrEnum):
    """Every metric the functions emit (template.yaml's alarms and dashboard name them)."""

    FILES_DECLARED = "FilesDeclared"
    FILES_RECEIVED = "FilesReceived"
    FILES_PROCESSED = "FilesProcessed"
    FILES_QUARANTINED = "FilesQuarantined"
    QUARANTINE_REASONS = "QuarantineReasons"
    FILES_FAILED = "FilesFailed"
    FILES_FAILED_FINAL = "FilesFailedFinal"
    BYTES_RECEIVED = "BytesReceived"
    PROCESSING_DURATION = "ProcessingDuration"
    PRESIGN_TO_FINAL_LATENCY = "PresignToFinalLatency"
    FILES_EXPIRED = "FilesExpired"
    ATTEMPTS_ABANDONED = "AttemptsAbandoned"
    EVENTS_REQUEUED = "EventsRequeued"
    FILES_REPROCESSED = "FilesReprocessed"
    OBJECTS_SET_ASIDE = "ObjectsSetAside"
    BATCH_ITEMS_DEFERRED = "BatchItemsDeferred"


_local = threading.local()


def _metrics() -> AmazonCloudWatchEMFProvider | None:
    """The metric set of the invocation running on this thread (``None`` outside one:
    domain code called directly, by a test or a command, counts nothing)."""
    return getattr(_local, "metrics", None)


def count(metric: Metric, value: float = 1) -> None:
    """Add to a count of this invocation."""
    measure(metric, value, MetricUnit.Count)


def measure(metric: Metric, value: float, unit: MetricUnit = MetricUnit.Milliseconds) -> None:
    """Record a duration (or a size, with ``unit=MetricUnit.Bytes``) for this invocation."""
    provider = _metrics()
    if provider is not None:
        provider.add_metric(name=metric.value, unit=unit, value=value)


def count_reasons(codes: Iterable[str]) -> None:
    """One ``QuarantineReasons`` data point per distinct reason code, with the code as its
    dimension; a code outside the closed set is counted as ``other``."""
    if _metrics() is None:
        return
    for code in sorted(set(codes)):
        provider = AmazonCloudWatchEMFProvider()
        provider.add_dimension(name="reason", value=code if code in _REASONS else "other")
        provider.add_metric(name=Metric.QUARANTINE_REASONS.value, unit=MetricUnit.Count, value=1)
        provider.flush_metrics()


def publish_metrics(handler: F) -> F:
    """Give the invocation a metric set (namespace and service from the environment) and
    flush it when the invocation ends, even when it raises (nothing is printed when it
    counted nothing)."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        provider = _local.metrics = AmazonCloudWatchEMFProvider()
        try:
            return handler(*args, **kwargs)
        finally:
            _local.metrics = None
            if provider.metric_set:
                provider.flush_metrics()

    return wrapper  # type: ignore[return-value]


@functools.cache
def tracer() -> Any:
    """The Powertools Tracer, made (and the X-Ray SDK imported) by the first function that traces."""
    from aws_lambda_powertools import Tracer

    return Tracer()


def traced(handler: F) -> F:
    """The handler as an X-Ray segment with its AWS calls, without its answer or exception
    as metadata."""
    traced_handler: F = tracer().capture_lambda_handler(handler, capture_response=False, capture_error=False)
    return traced_handler
