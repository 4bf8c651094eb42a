"""The charts' figures, from the records of the files created in the last hours.

Plain functions over :class:`FileRecord` (the API has no aggregate route): files per hour
by outcome, the quarantine rate, the top reasons and the upload-to-final latency.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel

from .._client import Client
from ..models import FileRecord, FileState

# Outcomes drawn in the charts, in stacking order: the states a file ends in (``failed``
# also while a retry is to come), then ``in_progress`` for pending_upload and processing.
OUTCOMES = ("processed", "quarantined", "failed", "expired", "cancelled", "in_progress")
_IN_PROGRESS = (FileState.PENDING_UPLOAD, FileState.PROCESSING)
DEFAULT_HOURS = 24
MAX_HOURS = 7 * 24
# The charts read at most this many files (10 pages of 100); ``truncated`` says so.
DEFAULT_MAX_FILES = 1000
TOP_REASONS = 8
# Upload-to-final latency histogram: (upper bound in seconds, label).
LATENCY_BUCKETS = (
    (1.0, "<1s"),
    (5.0, "1-5s"),
    (15.0, "5-15s"),
    (60.0, "15-60s"),
    (300.0, "1-5m"),
    (1800.0, "5-30m"),
    (math.inf, "30m+"),
)
_HOUR = timedelta(hours=1)


class Count(BaseModel):
    """One bar of a chart: a label and how many."""

    label: str
    count: int


class Latency(BaseModel):
    """Seconds from upload (the bytes stored) to a final state, over the files that have both."""

    count: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    buckets: list[Count]


class Stats(BaseModel):
    """Everything the charts and the figures above them show."""

    hours: int
    window_start: datetime
    generated_at: datetime
    files: int
    truncated: bool
    hour_starts: list[datetime]
    per_hour: dict[str, list[int]]
    totals: dict[str, int]
    retrying: int
    quarantine_rate: float | None
    quarantine_rate_per_hour: list[float | None]
    top_reasons: list[Count]
    latency: Latency


def window_start(now: datetime, hours: int) -> datetime:
    """The start of the first of ``hours`` whole-hour buckets; the last one holds ``now``."""
    return now.replace(minute=0, second=0, microsecond=0) - (hours - 1) * _HOUR


def collect(client: Client, now: datetime, hours: int, max_files: int = DEFAULT_MAX_FILES) -> Stats:
    """Read the files created since the window's start (newest first) and compute the figures.

    Raises:
        APIStatusError: The API refused a listing.
        APIConnectionError: The API could not be reached.
    """
    start = window_start(now, hours)
    records: list[FileRecord] = []
    cursor: str | None = None
    while len(records) < max_files:
        page = client.files.list_page(created_after=start, limit=min(100, max_files - len(records)), cursor=cursor)
        records.extend(page.files)
        cursor = page.next_cursor
        if cursor is None:
            break
    return compute(records, now=now, hours=hours, truncated=cursor is not None)


def outcome(record: FileRecord) -> str:
    """Which bar a file counts in: its state, or ``in_progress`` before it is processed."""
    return "in_progress" if record.state in _IN_PROGRESS else record.state.value


def compute(records: Iterable[FileRecord], *, now: datetime, hours: int, truncated: bool = False) -> Stats:
    """The figures for the files created in ``hours`` whole hours up to ``now``."""
    start = window_start(now, hours)
    per_hour = {name: [0] * hours for name in OUTCOMES}
    totals = dict.fromkeys(OUTCOMES, 0)
    reasons: Counter[str] = Counter()
    latencies: list[float] = []
    count = retrying = 0
    for record in records:
        index = int((record.created_at - start) / _HOUR)
        if not 0 <= index < hours:
            continue
        count += 1
        name = outcome(record)
        per_hour[name][index] += 1
        totals[name] += 1
        reasons.update(reason.code for reason in record.reasons)
        if record.state is FileState.FAILED and record.error is not None:
            reasons[record.error.code] += 1
            retrying += not record.is_final
        if record.is_final and record.uploaded_at and record.finished_at:
            latencies.append(max(0.0, (record.finished_at - record.uploaded_at).total_seconds()))
    return Stats(
        hours=hours,
        window_start=start,
        generated_at=now,
        files=count,
        truncated=truncated,
        hour_starts=[start + i * _HOUR for i in range(hours)],
        per_hour=per_hour,
        totals=totals,
        retrying=retrying,
        quarantine_rate=_rate(totals["quarantined"], totals["processed"]),
        quarantine_rate_per_hour=[
            _rate(q, p) for q, p in zip(per_hour["quarantined"], per_hour["processed"], strict=True)
        ],
        top_reasons=[Count(label=code, count=n) for code, n in reasons.most_common(TOP_REASONS)],
        latency=_latency(latencies),
    )


def _rate(quarantined: int, processed: int) -> float | None:
    """Quarantined among the files whose content was judged (processed or quarantined)."""
    judged = quarantined + processed
    return quarantined / judged if judged else None


def _latency(seconds: list[float]) -> Latency:
    ordered = sorted(seconds)
    buckets = [0] * len(LATENCY_BUCKETS)
    for value in ordered:
        buckets[next(i for i, (bound, _) in enumerate(LATENCY_BUCKETS) if value < bound)] += 1
    return Latency(
        count=len(ordered),
        p50_s=_percentile(ordered, 0.50),
        p95_s=_percentile(ordered, 0.95),
        max_s=ordered[-1] if ordered else None,
        buckets=[Count(label=label, count=n) for (_, label), n in zip(LATENCY_BUCKETS, buckets, strict=True)],
    )


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile: the smallest value with ``fraction`` of them at or below it."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
