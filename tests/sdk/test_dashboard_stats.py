"""The dashboard's figures: files per hour by outcome, quarantine rate, top reasons, latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from silent_scalper import FileRecord
from silent_scalper.dashboard.stats import compute, outcome, window_start

NOW = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)


def record(state: str, *, created: datetime, latency: float | None = None, **fields: Any) -> FileRecord:
    uploaded = created + timedelta(seconds=1)
    final = None if latency is None else uploaded + timedelta(seconds=latency)
    return FileRecord.model_validate(
        {
            "file_id": f"f_{id(fields)}",
            "state": state,
            "filename": "a.csv",
            "size": 1,
            "content_type": "text/csv",
            "sha256": "0" * 64,
            "created_at": created,
            "updated_at": created,
            "uploaded_at": uploaded,
            "finished_at": final,
            **fields,
        }
    )


def test_the_window_is_whole_hours_ending_with_the_current_one():
    assert window_start(NOW, 24) == datetime(2026, 11, 24, 22, 0, tzinfo=UTC)
    assert window_start(NOW, 1) == datetime(2026, 11, 25, 21, 0, tzinfo=UTC)


def test_files_are_counted_in_the_hour_they_were_created_by_outcome():
    records = [
        record("processed", created=NOW - timedelta(minutes=10), latency=2),
        record(
            "quarantined",
            created=NOW - timedelta(minutes=20),
            latency=3,
            reasons=[{"code": "csv_ragged_rows", "message": "m"}],
        ),
        record("processed", created=NOW - timedelta(hours=2), latency=1),
        record("pending_upload", created=NOW - timedelta(hours=2)),
    ]

    stats = compute(records, now=NOW, hours=3)

    assert stats.per_hour["processed"] == [1, 0, 1]
    assert stats.per_hour["quarantined"] == [0, 0, 1]
    assert stats.per_hour["in_progress"] == [1, 0, 0]
    assert stats.totals["processed"] == 2 and stats.files == 4
    assert [h.hour for h in stats.hour_starts] == [19, 20, 21]


def test_files_created_before_the_window_are_left_out():
    stats = compute([record("processed", created=NOW - timedelta(hours=5), latency=1)], now=NOW, hours=3)

    assert stats.files == 0
    assert stats.quarantine_rate is None
    assert stats.latency.count == 0 and stats.latency.p50_s is None


def test_the_quarantine_rate_counts_only_files_whose_content_was_judged():
    records = [
        record("processed", created=NOW, latency=1),
        record("quarantined", created=NOW, latency=1),
        record("quarantined", created=NOW, latency=1),
        record("failed", created=NOW, error={"code": "processing_error", "message": "m", "retryable": False}),
        record("cancelled", created=NOW),
    ]

    stats = compute(records, now=NOW, hours=1)

    assert stats.quarantine_rate == pytest.approx(2 / 3)
    assert stats.quarantine_rate_per_hour == [pytest.approx(2 / 3)]


def test_failed_files_count_as_failed_with_their_error_as_a_reason_and_retries_to_come_counted():
    retrying = record("failed", created=NOW, error={"code": "processing_error", "message": "m", "retryable": True})
    final = record("failed", created=NOW, error={"code": "processing_error", "message": "m", "retryable": False})

    stats = compute([retrying, final], now=NOW, hours=1)

    assert (outcome(retrying), outcome(final)) == ("failed", "failed")
    assert (stats.totals["failed"], stats.retrying) == (2, 1)
    assert [(r.label, r.count) for r in stats.top_reasons] == [("processing_error", 2)]


def test_files_not_processed_yet_are_in_progress():
    assert {outcome(record(state, created=NOW)) for state in ("pending_upload", "processing")} == {"in_progress"}


def test_top_reasons_are_most_frequent_first():
    def quarantined(*codes: str) -> FileRecord:
        return record("quarantined", created=NOW, latency=1, reasons=[{"code": c, "message": "m"} for c in codes])

    stats = compute([quarantined("a", "b"), quarantined("b"), quarantined("b", "c")], now=NOW, hours=1)

    assert [(r.label, r.count) for r in stats.top_reasons][:1] == [("b", 3)]
    assert {r.label for r in stats.top_reasons} == {"a", "b", "c"}


def test_latency_runs_from_upload_to_final_with_nearest_rank_percentiles():
    records = [record("processed", created=NOW, latency=s) for s in (0.5, 2, 3, 4, 40, 400)]

    latency = compute(records, now=NOW, hours=1).latency

    assert latency.count == 6
    assert (latency.p50_s, latency.p95_s, latency.max_s) == (3, 400, 400)
    assert {b.label: b.count for b in latency.buckets} == {
        "<1s": 1,
        "1-5s": 3,
        "5-15s": 0,
        "15-60s": 1,
        "1-5m": 0,
        "5-30m": 1,
        "30m+": 0,
    }
