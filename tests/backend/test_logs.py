"""No file name, metadata value, file content or patient name reaches a log line, a metric
or an alert, whatever becomes of the file: processed, quarantined or failed, a library's
exception included, a DICOM file's patient tags too.

The handlers run as Lambda runs them, and the logs are read as they ship: the "scalper"
logger at INFO (template.yaml's level) with its Powertools formatter, plus what the Lambda
runtime itself writes for an error a handler raises (its message and stack trace).
Metrics are read as they ship too: the Embedded Metric Format lines the functions print.
tests/e2e/test_logs.py checks the same through the local stack.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.canaries import Canaries

from scalper_backend.handlers import presign, processor
from scalper_backend.local.runtime import LocalContext
from scalper_backend.models import FileState
from scalper_backend.processing import logger as processing_logger
from scalper_backend.records import object_key

CANARIES = Canaries("unit-4d1e")


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the functions log at INFO during the test, formatted as in production."""
    scalper = logging.getLogger(processing_logger.name)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(processing_logger.registered_formatter)
    level = scalper.level
    scalper.setLevel(logging.INFO)
    scalper.addHandler(handler)
    yield captured
    scalper.removeHandler(handler)
    scalper.setLevel(level)


def _context(name: str) -> LocalContext:
    return LocalContext(function_name=name, memory_limit_in_mb=512, invoked_function_arn="arn", timeout_seconds=30)


def _invoke(handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]) -> tuple[Any, str]:
    """Invoke like Lambda: the answer, and what the runtime logs of a raised error ("" if none)."""
    try:
        return handler(event, _context(handler.__module__)), ""
    except Exception as err:
        return None, "".join(traceback.format_exception(err))


@pytest.fixture
def upload(backend, load_event) -> Callable[..., str]:
    """Declare a file named and described with canaries (presign handler), store its bytes."""
    backend.clients["dynamodb"].put_item(
        TableName=backend.settings.partners_table,
        Item={"principal": {"S": "apikey:key0000001"}, "partner_id": {"S": "acme"}},
    )

    def _upload(body: bytes, content_type: str = "text/csv") -> str:
        event = load_event("api_post_upload")
        event["body"] = json.dumps(
            {
                "filename": CANARIES.filename,
                "size": len(body),
                "content_type": content_type,
                "sha256": hashlib.sha256(body).hexdigest(),
                "metadata": {"clinic": CANARIES.metadata},
            }
        )
        answer, raised = _invoke(presign.handler, event)
        assert answer["statusCode"] == 201, (answer, raised)
        file_id: str = json.loads(answer["body"])["file_id"]
        key = object_key("acme", file_id)
        backend.clients["s3"].put_object(Bucket=backend.settings.input_bucket, Key=key, Body=body)
        return file_id

    return _upload


def _deliver(backend, load_event, file_id: str) -> str:
    """Hand the upload's S3 notification to the processor; what the runtime would log."""
    event = load_event("sqs_s3_object_created")
    record = event["Records"][0]
    record["body"] = record["body"].replace("BUCKET", backend.settings.input_bucket)
    record["body"] = record["body"].replace("KEY", object_key("acme", file_id))
    return _invoke(processor.handler, event)[1]


def _alerts(backend) -> str:
    sqs = backend.clients["sqs"]
    messages = sqs.receive_message(QueueUrl=backend.resources.alerts_inbox_url, MaxNumberOfMessages=10)
    return "\n".join(m["Body"] for m in messages.get("Messages", []))


def _outcome(backend, logs: io.StringIO, runtime: str, file_id: str, stdout: str) -> tuple[FileState, list[str]]:
    """The file's state, and the canaries found in the logs, the runtime's output, the
    metrics (EMF lines on standard output), the alerts and the record partners read."""
    record = backend.deps.files.get("acme", file_id)
    assert record is not None and file_id in logs.getvalue()  # the logs were captured
    metrics = [line for line in stdout.splitlines() if line.startswith('{"_aws"')]
    assert metrics  # the metrics were captured
    view = record.model_dump_json(exclude={"filename", "metadata"})
    written = "\n".join([logs.getvalue(), runtime, *metrics, _alerts(backend), view])
    return record.state, CANARIES.found_in(written)


def test_a_processed_file_leaves_no_name_metadata_or_content_in_logs_or_alerts(
    backend, load_event, logs, upload, capsys
):
    file_id = upload(CANARIES.valid_csv)

    runtime = _deliver(backend, load_event, file_id)

    assert _outcome(backend, logs, runtime, file_id, capsys.readouterr().out) == (FileState.PROCESSED, [])


@pytest.mark.parametrize(
    ("body", "state"),
    [(CANARIES.dicom, FileState.PROCESSED), (CANARIES.dicom[:1000], FileState.QUARANTINED)],
    ids=["processed", "quarantined"],
)
def test_a_dicom_files_patient_name_reaches_no_log_metric_alert_or_record(
    backend, load_event, logs, upload, capsys, body, state
):
    file_id = upload(body, "application/dicom")

    runtime = _deliver(backend, load_event, file_id)

    assert _outcome(backend, logs, runtime, file_id, capsys.readouterr().out) == (state, [])


def test_a_quarantined_file_leaves_no_name_metadata_or_content_in_logs_or_alerts(
    backend, load_event, logs, upload, capsys
):
    file_id = upload(CANARIES.ragged_csv)

    runtime = _deliver(backend, load_event, file_id)

    assert _outcome(backend, logs, runtime, file_id, capsys.readouterr().out) == (FileState.QUARANTINED, [])


def test_a_file_failed_by_a_store_fault_leaves_no_name_metadata_or_content_in_logs_or_alerts(
    backend, load_event, logs, upload, capsys
):
    file_id = upload(CANARIES.valid_csv)
    backend.clients["s3"].delete_bucket(Bucket=backend.settings.output_bucket)  # the write of the output fails

    runtime = _deliver(backend, load_event, file_id)

    assert "NoSuchBucket" in logs.getvalue() + runtime
    assert _outcome(backend, logs, runtime, file_id, capsys.readouterr().out) == (FileState.FAILED, [])


def test_a_library_error_quoting_the_content_reaches_no_log_line(
    backend, load_event, logs, upload, monkeypatch, capsys
):
    file_id = upload(CANARIES.valid_csv)

    def parse_quoting_its_input(body: Any, *args: Any, **kwargs: Any) -> Any:
        return int(body.read())  # ValueError: invalid literal for int() with base 10: b'name,note...'

    monkeypatch.setattr("scalper_backend.processing.inspect_stream", parse_quoting_its_input)

    runtime = _deliver(backend, load_event, file_id)

    assert "ValueError" in logs.getvalue()
    assert _outcome(backend, logs, runtime, file_id, capsys.readouterr().out) == (FileState.FAILED, [])
