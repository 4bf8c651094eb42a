"""What the functions emit besides logs is bounded: metric dimensions from closed sets, and
traces without the functions' answers or exception messages."""

from __future__ import annotations

import json

import pytest

from scalper_backend import observability
from scalper_backend.observability import Metric, count, count_reasons, publish_metrics


def _blobs(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def test_a_reason_code_outside_the_closed_set_is_counted_as_other(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")

    publish_metrics(count_reasons)(["csv_ragged_rows", "cnry-a-file-name.csv", "csv_ragged_rows"])

    assert sorted(blob["reason"] for blob in _blobs(capsys.readouterr().out)) == ["csv_ragged_rows", "other"]


def test_metrics_are_flushed_when_the_invocation_ends_even_when_it_raises(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "scalper")

    @publish_metrics
    def handler() -> None:
        count(Metric.FILES_FAILED)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler()
    (blob,) = _blobs(capsys.readouterr().out)
    assert blob["FilesFailed"] == [1.0] and blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_outside_an_invocation_nothing_is_counted(capsys):
    count(Metric.FILES_FAILED)  # domain code run by a test or a command: no metric set

    assert _blobs(capsys.readouterr().out) == []


def test_traces_record_neither_answers_nor_exception_messages(monkeypatch):
    seen = {}

    def capture(handler, **options):
        seen.update(options)
        return handler

    monkeypatch.setattr(observability.tracer(), "capture_lambda_handler", capture)

    observability.traced(lambda event, context: None)

    assert seen == {"capture_response": False, "capture_error": False}
