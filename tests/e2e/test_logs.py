"""Through the real path, no file name, metadata value, file content or patient name ever
reaches a log line, a metric or an alert: for processed, quarantined and failed files
alike, DICOM scans included.

A stack of its own runs at INFO (the level template.yaml sets) with its standard error,
where every function logs and prints its metrics (Embedded Metric Format) and the local
alerts printer writes each alert, captured to a file; alerts also land in its
``alerts-inbox`` queue.
Files are named, described and filled with canary strings. Two files fail for honest
reasons of ours, no test seam involved: one whose object is gone when its notification
is processed, one whose output cannot be written because the output bucket is gone.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.canaries import Canaries
from support.local_stack import Stack, local_stack

from scalper_backend.local.provision import ALERTS_INBOX

pytestmark = pytest.mark.e2e

CANARIES = Canaries("e2e-51c0")
VALID, RAGGED = CANARIES.valid_csv, CANARIES.ragged_csv
DECLARED = {"filename": CANARIES.filename, "metadata": {"clinic": CANARIES.metadata}}
# The log line each outcome ends with, once the file's record is written.
LAST_LINE = {"processed": "processed", "quarantined": "quarantined", "failed": "processing failed"}
DICOM = {**DECLARED, "content_type": "application/dicom"}


@dataclass(frozen=True)
class Run:
    states: dict[str, str]  # case -> the state its file ended in
    file_ids: dict[str, str]  # case -> file id
    log: str  # the stack's standard error, whole
    alerts: list[str]  # the bodies of the alerts published


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Send one file per case through a stack of its own, then stop it and keep what it wrote."""
    log = tmp_path_factory.mktemp("logs") / "stack.log"
    with local_stack(log, log_level="INFO", partners=("acme",)) as stack:
        file_ids = {
            "processed": stack.upload(VALID, declared=DECLARED)["file_id"],
            "quarantined": stack.upload(RAGGED, declared=DECLARED)["file_id"],
            "a scan, processed": stack.upload(CANARIES.dicom, declared=DICOM)["file_id"],
            "a scan, quarantined": stack.upload(CANARIES.dicom[:1000], declared=DICOM)["file_id"],
            "failed, its object gone": _declare_only(stack, VALID),
        }
        stack.notify_created(f"uploads/acme/{file_ids['failed, its object gone']}")
        states = {case: _wait_outcome(stack, file_id) for case, file_id in file_ids.items()}
        _delete_bucket(stack, stack.name("OutputBucket"))
        file_ids["failed, its output not writable"] = stack.upload(VALID, declared=DECLARED)["file_id"]
        states["failed, its output not writable"] = _wait_outcome(stack, file_ids["failed, its output not writable"])
        _wait_logged(log, [(file_ids[case], LAST_LINE[state]) for case, state in states.items()])
        alerts = _drain(stack, f"{stack.template.stack_name}-{ALERTS_INBOX}")
    return Run(states=states, file_ids=file_ids, log=log.read_text(), alerts=alerts)


def _declare_only(stack: Stack, body: bytes) -> str:
    payload = {"size": len(body), "content_type": "text/csv", "sha256": hashlib.sha256(body).hexdigest(), **DECLARED}
    answer = stack.api("POST", "/uploads", json=payload)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["file_id"])


def _wait_outcome(stack: Stack, file_id: str) -> str:
    return str(stack.wait_state(file_id, {"processed", "quarantined", "failed"})["state"])


def _delete_bucket(stack: Stack, bucket: str) -> None:
    # The buckets are versioned (as the template makes them): every version must go.
    s3 = stack.aws("s3")
    listing = s3.list_object_versions(Bucket=bucket)
    for item in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=bucket)


def _wait_logged(log: Path, expected: list[tuple[str, str]], timeout: float = 10.0) -> None:
    """Until each file's last log line is written (it comes just after its record is)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines()
        if all(any(file_id in line and f'"{message}"' in line for line in lines) for file_id, message in expected):
            return
        time.sleep(0.1)


def _drain(stack: Stack, queue: str) -> list[str]:
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        bodies += [m["Body"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return bodies


def test_each_file_ends_in_the_state_its_case_calls_for(run):
    assert run.states == {
        "processed": "processed",
        "quarantined": "quarantined",
        "a scan, processed": "processed",
        "a scan, quarantined": "quarantined",
        "failed, its object gone": "failed",
        "failed, its output not writable": "failed",
    }


def test_the_stack_logged_every_file_at_info(run):
    assert all(file_id in run.log for file_id in run.file_ids.values())
    assert '"level":"INFO"' in run.log and '"message":"processing failed"' in run.log


def test_no_log_line_carries_a_file_name_metadata_value_or_content(run):
    leaking = [line for line in run.log.splitlines() if CANARIES.found_in(line)]

    assert leaking == []


def test_alerts_name_quarantined_and_failed_files_by_id_only(run):
    alerted = {file_id for file_id in run.file_ids.values() if any(file_id in alert for alert in run.alerts)}

    assert alerted == {
        file_id for case, file_id in run.file_ids.items() if not case.endswith(", processed") and case != "processed"
    }
    assert [alert for alert in run.alerts if CANARIES.found_in(alert)] == []


def test_metrics_are_emitted_and_carry_no_name_content_or_patient(run):
    metrics = [line for line in run.log.splitlines() if line.startswith('{"_aws"')]

    names = {m["Name"] for line in metrics for d in json.loads(line)["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"FilesProcessed", "FilesQuarantined", "FilesFailed", "QuarantineReasons", "BytesReceived"} <= names
    assert [line for line in metrics if CANARIES.found_in(line)] == []


def test_the_alerts_printed_on_stderr_carry_no_name_content_or_patient(run):
    printed = [line for line in run.log.splitlines() if line.startswith("alert: ")]

    assert len(printed) >= 3
    assert [line for line in printed if CANARIES.found_in(line)] == []
