"""Operations through the local stack: reprocessing, the sweeper, the dead-letter queue,
objects under keys we did not make, large outputs, and the signals operators get.

A stack of its own: its rules file is this module's to change (a rule change is picked up
as a deploy would), its sweeper runs every second instead of every five minutes, and one
test takes its output bucket away for a while. Time passing is played by moving a
record's deadline (``due_at``) into the past, as the clock would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support.local_stack import ROOT, Stack, local_stack

pytestmark = pytest.mark.e2e

STRICT = """version = "ops-1"
[profiles.default]
formula_cells = "flag"
[profiles.default.csv.required_columns]
visit_date = "date"
"""
RELAXED = """version = "ops-2"
[profiles.default]
formula_cells = "flag"
"""
CSV = b"patient_ref,clinic\np-1,north\n"
PAST = "2000-01-01T00:00:00.000000Z"


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "partners.toml"
    path.write_text(STRICT)
    return path


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory, rules: Path) -> Iterator[Stack]:
    log = tmp_path_factory.mktemp("ops") / "stack.log"
    options = ("--no-throttle", "--rules", str(rules), "--sweep-interval", "1", "--summary-interval", "1")
    with local_stack(log, *options, log_level="INFO", partners=("acme",)) as stack:
        yield stack


def _record(stack: Stack, file_id: str) -> dict[str, Any]:
    return stack.api("GET", f"/files/{file_id}").json()  # type: ignore[no-any-return]


def _set(stack: Stack, file_id: str, expression: str, values: dict[str, Any], names: dict[str, str] | None = None):
    stack.aws("dynamodb").update_item(
        TableName=stack.name("FilesTable"),
        Key={"partner_id": {"S": "acme"}, "file_id": {"S": file_id}},
        UpdateExpression=expression,
        ExpressionAttributeValues=values,
        **({"ExpressionAttributeNames": names} if names else {}),
    )


def _put_without_event(stack: Stack, key: str, body: bytes) -> None:
    """Store an upload with the bucket's notifications off: its event is lost."""
    s3, bucket = stack.aws("s3"), stack.name("InputBucket")
    notifications = s3.get_bucket_notification_configuration(Bucket=bucket)
    notifications.pop("ResponseMetadata")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notifications)


def _admin(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SCALPER_"))}
    env["SCALPER_AWS_ENDPOINT"] = stack.aws_endpoint
    return subprocess.run(
        [sys.executable, "-m", "silent_scalper", "admin", *args, "--local"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _deploy_rules(stack: Stack, path: Path, text: str) -> None:
    """Write the rules and wait until the stack has started every function afresh with them
    (its watcher logs "rules reloaded" once it has), as a deploy ends before the next call.
    The API answering the new version is not enough: a worker started since the write
    reads the new file while other functions' workers still hold the old rules."""
    start = stack.log.stat().st_size
    path.write_text(text)
    version = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
    assert version is not None
    deadline = time.monotonic() + 10
    while not any(
        "rules reloaded" in line and f'"version":"{version[1]}"' in line.replace(" ", "")
        for line in stack.log.read_bytes()[start:].decode(errors="replace").splitlines()
    ):
        assert time.monotonic() < deadline, "the rules change was not picked up"
        time.sleep(0.1)
    assert stack.api("GET", "/rules").json()["version"] == version[1]


@pytest.fixture
def strict_rules(ops: Stack, rules: Path) -> Iterator[None]:
    _deploy_rules(ops, rules, STRICT)
    yield
    rules.write_text(STRICT)


# -- reprocessing


def test_a_file_quarantined_then_reprocessed_after_a_rule_change_ends_processed_with_two_attempts(
    ops, rules, strict_rules
):
    file_id = ops.upload(CSV)["file_id"]
    quarantined = ops.wait_final(file_id)
    assert [r["code"] for r in quarantined["reasons"]] == ["csv_missing_column"]
    _deploy_rules(ops, rules, RELAXED)  # the rule was wrong: visit_date is not required after all

    queued = ops.api("POST", f"/files/{file_id}/reprocess")

    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "processing" and queued.json()["reasons"] == []
    done = ops.wait_final(file_id)
    assert done["state"] == "processed" and done["attempts"] == 2
    assert [(a["attempt"], a["state"], a["reasons"]) for a in done["history"]] == [
        (1, "quarantined", ["csv_missing_column"]),
        (2, "processed", []),
    ]
    assert done["details"]["rules"] == "default@ops-2" and done["quarantine"] is None
    s3 = ops.aws("s3")
    assert s3.list_objects_v2(Bucket=ops.name("QuarantineBucket"), Prefix=f"quarantine/acme/{file_id}")["KeyCount"] == 0
    assert s3.list_objects_v2(Bucket=ops.name("InputBucket"), Prefix=f"uploads/acme/{file_id}")["KeyCount"] == 0


@pytest.mark.parametrize("mode", ["api_key", "iam"])
def test_only_a_quarantined_or_failed_file_can_be_reprocessed(ops, mode, strict_rules):
    ticket = ops.declare(CSV)
    call = ops.api if mode == "api_key" else ops.iam_api

    refused = call("POST", f"/files/{ticket['file_id']}/reprocess", "acme")

    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "invalid_state")
    assert "pending_upload" in refused.json()["error"]["message"]
    assert _record(ops, ticket["file_id"])["state"] == "pending_upload"


def test_admin_reprocess_queues_every_quarantined_file_in_a_window(ops, rules, strict_rules):
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    ids = [ops.upload(CSV)["file_id"] for _ in range(2)]
    assert {ops.wait_final(i)["state"] for i in ids} == {"quarantined"}
    window = ("--state", "quarantined", "--since", before)
    dry = _admin(ops, "reprocess", *window, "--partner", "acme", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert {json.loads(line)["file_id"] for line in dry.stdout.splitlines()} >= set(ids)
    assert {_record(ops, i)["state"] for i in ids} == {"quarantined"}  # a dry run changes nothing
    _deploy_rules(ops, rules, RELAXED)

    done = _admin(ops, "reprocess", *window, "--json")

    assert done.returncode == 0, done.stderr
    outcomes = {json.loads(line)["file_id"]: json.loads(line)["result"] for line in done.stdout.splitlines()}
    assert all(outcomes[i] == "queued" for i in ids)
    assert {ops.wait_final(i)["state"] for i in ids} == {"processed"}


# -- the dead-letter queue


@pytest.fixture
def fast_retries(ops):
    """The template's visibility timeout (90 minutes), cut to 4 s for this test: still
    longer than any attempt, as the template's is (six function timeouts). The clock runs
    from the receive, through a worker's cold start and its first invocation building its
    clients, which take over a second on a loaded machine: with 1 s, a message came back
    while its attempt ran, and that delivery (refused, the file busy) used up a receive."""
    sqs, url = ops.aws("sqs"), ops.queue_url("UploadEventsQueue")
    original = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "4"})
    time.sleep(2.5)  # a receive already waiting took the old timeout
    yield
    sqs.set_queue_attributes(QueueUrl=url, Attributes=original)


@contextmanager
def _output_bucket_gone(stack: Stack) -> Iterator[None]:
    """Every attempt at writing an output fails until the block ends, which is the fix."""
    s3, output = stack.aws("s3"), stack.name("OutputBucket")
    kept = s3.get_bucket_encryption(Bucket=output)["ServerSideEncryptionConfiguration"]
    versioning = s3.get_bucket_versioning(Bucket=output).get("Status")
    listed = s3.list_object_versions(Bucket=output)  # versioned, as in the template: every version
    for item in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(Bucket=output, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=output)
    try:
        yield
    finally:
        s3.create_bucket(Bucket=output)
        s3.put_bucket_encryption(Bucket=output, ServerSideEncryptionConfiguration=kept)
        if versioning:
            s3.put_bucket_versioning(Bucket=output, VersioningConfiguration={"Status": versioning})


def test_a_failed_file_reprocessed_once_the_fault_is_fixed_ends_processed_with_both_attempts(ops, strict_rules):
    with _output_bucket_gone(ops):
        file_id = ops.upload(b"patient_ref,visit_date\np-1,2026-11-25\n")["file_id"]
        failed = ops.wait_state(file_id, {"failed"}, timeout=20)
    assert failed["state"] == "failed" and failed["error"]["retryable"] is True  # SQS retries it in 90 minutes

    queued = ops.api("POST", f"/files/{file_id}/reprocess")

    assert queued.status_code == 202, queued.text
    assert queued.json()["state"] == "processing" and queued.json()["error"] is None
    done = ops.wait_final(file_id)
    assert done["state"] == "processed" and done["attempts"] == 2
    assert [(a["attempt"], a["state"], a["error"]) for a in done["history"]] == [
        (1, "failed", "processing_error"),
        (2, "processed", None),
    ]
    s3 = ops.aws("s3")
    assert s3.list_objects_v2(Bucket=ops.name("InputBucket"), Prefix=f"uploads/acme/{file_id}")["KeyCount"] == 0


def test_a_poisoned_message_ends_in_the_dlq_with_its_file_failed_and_a_redrive_processes_it_once_fixed(
    ops, fast_retries
):
    with _output_bucket_gone(ops):
        file_id = ops.upload(b"patient_ref,visit_date\np-1,2026-11-25\n")["file_id"]
        failed = _wait_dead_letter(ops, file_id)

    assert failed["state"] == "failed" and failed["error"]["retryable"] is False
    assert failed["attempts"] == 5 and [a["error"] for a in failed["history"]] == ["processing_error"] * 5
    alerts = ops.alerts(file_id)
    assert [a["final"] for a in alerts if a["event"] == "file.failed"][-1] is True

    redriven = _admin(ops, "dlq", "redrive", "--json")

    assert redriven.returncode == 0, redriven.stderr
    assert json.loads(redriven.stdout)["moved"] == 1
    done = ops.wait_final(file_id)
    assert done["state"] == "processed" and done["attempts"] == 6


def _wait_dead_letter(stack: Stack, file_id: str, timeout: float = 60) -> dict[str, Any]:
    sqs, dlq = stack.aws("sqs"), stack.queue_url("UploadEventsDeadLetterQueue")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        record = _record(stack, file_id)
        if int(attributes["Attributes"]["ApproximateNumberOfMessages"]) and record["state"] == "failed":
            return record
        time.sleep(0.5)
    raise AssertionError(f"no dead letter for {file_id}: {_record(stack, file_id)}")


# -- the sweeper


def test_an_abandoned_declaration_becomes_expired_and_its_multipart_upload_is_aborted(ops):
    plan = {
        "filename": "scan.csv",
        "size": 6 * 2**20,
        "content_type": "text/csv",
        "sha256": "a" * 64,
        "part_size": 5 * 2**20,
        "parts": [{"part_number": 1, "sha256": "b" * 64}, {"part_number": 2, "sha256": "c" * 64}],
    }
    file_id = ops.api("POST", "/uploads", json=plan).json()["file_id"]
    bucket = ops.name("InputBucket")
    assert [u["Key"] for u in ops.aws("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])].count(
        f"uploads/acme/{file_id}"
    ) == 1

    _set(ops, file_id, "SET due_at = :past", {":past": {"S": PAST}})  # its URLs expired long ago

    expired = ops.wait_state(file_id, {"expired"}, timeout=15)
    assert expired["state"] == "expired" and expired["finished_at"]
    uploads = ops.aws("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert f"uploads/acme/{file_id}" not in [u["Key"] for u in uploads]


def test_a_declaration_whose_url_is_still_valid_is_left_alone(ops):
    file_id = ops.declare(CSV)["file_id"]
    time.sleep(2.5)  # two sweeps

    assert _record(ops, file_id)["state"] == "pending_upload"


def test_a_processing_attempt_whose_lease_ran_out_is_retried(ops, strict_rules):
    body = b"patient_ref,visit_date\np-1,2026-11-25\n"
    file_id = ops.declare(body)["file_id"]
    # An attempt that claimed the file and died: the bytes are in, the record says
    # processing, and its lease ran out. (The object is put without an S3 event, as if
    # that event had been consumed by the attempt that died.)
    _put_without_event(ops, f"uploads/acme/{file_id}", body)
    _set(
        ops,
        file_id,
        "SET #s = :p, partner_state = :ps, attempts = :one, lease_expires_at = :past, due_at = :past",
        {":p": {"S": "processing"}, ":ps": {"S": "acme#processing"}, ":one": {"N": "1"}, ":past": {"S": PAST}},
        {"#s": "state"},
    )

    done = ops.wait_final(file_id, timeout=20)

    assert done["state"] == "processed" and done["attempts"] == 2
    assert [(a["attempt"], a["state"], a["error"]) for a in done["history"]] == [
        (1, "failed", "attempt_abandoned"),
        (2, "processed", None),
    ]
    (alert,) = [a for a in ops.alerts(file_id) if a["event"] == "file.failed"]
    assert (alert["cause"], alert["final"]) == ("attempt_abandoned", False)


def test_an_upload_whose_event_was_lost_is_put_back_on_the_queue(ops, strict_rules):
    body = b"patient_ref,visit_date\np-1,2026-11-25\n"
    file_id = ops.declare(body)["file_id"]
    _put_without_event(ops, f"uploads/acme/{file_id}", body)

    _set(ops, file_id, "SET due_at = :past", {":past": {"S": PAST}})

    assert ops.wait_final(file_id, timeout=15)["state"] == "processed"


# -- keys we did not make


def test_an_object_under_a_key_we_did_not_make_is_set_aside_with_an_alert(ops):
    key = "uploads/North_Side/f_01m8b6ztybe9114msq85xxxrjx"  # a partner onboarded by hand, not a slug
    ops.aws("s3").put_object(Bucket=ops.name("InputBucket"), Key=key, Body=b"a,b\n1,2\n")
    digest = hashlib.sha256(key.encode()).hexdigest()

    alerts = [a for a in ops.alerts(seconds=6) if a["event"] == "object.unparseable"]

    assert [a["key_sha256"] for a in alerts] == [digest]
    assert alerts[0]["file_id"] == "f_01m8b6ztybe9114msq85xxxrjx"
    moved = ops.aws("s3").get_object(Bucket=ops.name("QuarantineBucket"), Key=f"orphans/unparsed/{digest}")
    assert moved["Body"].read() == b"a,b\n1,2\n"
    assert ops.aws("s3").list_objects_v2(Bucket=ops.name("InputBucket"), Prefix=key)["KeyCount"] == 0


# -- large files


def test_a_large_files_output_is_streamed_as_a_multipart_upload(ops, strict_rules):
    row = b'p-%07d,2026-11-25,"follow-up in six weeks; stable overnight, observations every four hours"\n'
    body = b"patient_ref,visit_date,note\n" + b"".join(row % i for i in range(160_000))  # ~15 MB, ~25 MB out
    file_id = ops.upload(body)["file_id"]

    done = ops.wait_final(file_id, timeout=90)

    assert done["state"] == "processed", done
    head = ops.aws("s3").head_object(Bucket=done["output"]["bucket"], Key=done["output"]["key"])
    assert head["ContentLength"] == done["output"]["size"] > 16 * 2**20
    assert head["ETag"].strip('"').endswith("-3")  # 8 MiB parts: S3's multipart ETag ends in -<parts>


def test_a_large_file_quarantined_midway_leaves_no_output_and_no_open_multipart_upload(ops, strict_rules):
    row = b"p-%07d,2026-11-25\n"
    body = b"patient_ref,visit_date\n" + b"".join(row % i for i in range(400_000)) + b"p-x\n"  # ragged at the end
    file_id = ops.upload(body)["file_id"]

    done = ops.wait_final(file_id, timeout=90)

    assert done["state"] == "quarantined" and done["output"] is None, done
    assert "csv_ragged_rows" in [r["code"] for r in done["reasons"]]
    s3, bucket = ops.aws("s3"), ops.name("OutputBucket")
    uploads = [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    # About 20 MB of output: two 8 MiB parts went out before the last row was read; aborted.
    assert f"processed/acme/{file_id}.jsonl" not in uploads
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"processed/acme/{file_id}")["KeyCount"] == 0


# -- what operators see


def test_alerts_and_a_running_summary_are_printed_on_stderr(ops, strict_rules):
    file_id = ops.upload(CSV)["file_id"]
    ops.wait_final(file_id)

    # The printer polls its queue: the alert comes a moment after the record is final.
    deadline = time.monotonic() + 15
    while True:
        lines = ops.log.read_text().splitlines()
        alert = [line for line in lines if line.startswith("alert: file.quarantined") and file_id in line]
        summary = [line for line in lines if line.startswith("scalper local: files ")]
        if (alert and summary) or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    assert len(alert) == 1 and len(alert[0]) <= 500, [line for line in lines if file_id in line or "alert" in line][-8:]
    assert summary and "quarantined" in summary[-1] and "dead-letter" in summary[-1]


def test_metrics_are_emitted_in_embedded_metric_format(ops, strict_rules):
    ops.wait_final(ops.upload(CSV)["file_id"])
    time.sleep(0.5)

    blobs = [json.loads(line) for line in ops.log.read_text().splitlines() if line.startswith('{"_aws"')]

    names = {m["Name"] for blob in blobs for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert {"FilesDeclared", "FilesReceived", "FilesQuarantined", "QuarantineReasons", "BytesReceived"} <= names
    assert {"ProcessingDuration", "PresignToFinalLatency"} <= names
    dimensions = {tuple(d) for blob in blobs for spec in blob["_aws"]["CloudWatchMetrics"] for d in spec["Dimensions"]}
    assert dimensions <= {("service",), ("reason", "service")}
    reasons = {blob["reason"] for blob in blobs if "reason" in blob}
    assert "csv_missing_column" in reasons
    namespaces = {spec["Namespace"] for blob in blobs for spec in blob["_aws"]["CloudWatchMetrics"]}
    assert namespaces == {"SilentScalper/scalper-local"}


def test_the_operations_block_of_the_local_stack_doc_runs_as_pasted(ops, tmp_path):
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "docs" / "local-stack.md").read_text(), flags=re.S)
    (block,) = [b for b in blocks if "scalper admin reprocess --local" in b]
    lines = [f"SCALPER_ENDPOINT={ops.endpoint}", f"SCALPER_API_KEY={ops.keys['demo']}"]
    (tmp_path / "scalper-local.env").write_text("\n".join([*lines, f"SCALPER_AWS_ENDPOINT={ops.aws_endpoint}"]) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SCALPER_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # the venv's scalper

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert "would queue" in done.stderr and "moved 0 events" in done.stdout


def test_admin_finds_a_deployed_stacks_tables_and_queues_in_its_outputs(ops):
    # The --stack-name path reads CloudFormation outputs, through the standard AWS chain
    # (pointed at moto here); a stack without the outputs is a clear configuration error.
    outputs = {
        "FilesTableName": ops.name("FilesTable"),
        "PartnersTableName": ops.name("PartnersTable"),
        "IdempotencyTableName": ops.name("IdempotencyTable"),
        "InputBucketName": ops.name("InputBucket"),
        "OutputBucketName": ops.name("OutputBucket"),
        "QuarantineBucketName": ops.name("QuarantineBucket"),
        "AlertsTopicArn": ops.template.ref("AlertsTopic"),
        "UploadEventsQueueUrl": ops.queue_url("UploadEventsQueue"),
        "DeadLetterQueueUrl": ops.queue_url("UploadEventsDeadLetterQueue"),
    }
    cloudformation = ops.aws("cloudformation")
    for name, values in (("ops-deployed", outputs), ("ops-other", {"Nothing": "x"})):
        body = {
            "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {key: {"Value": value} for key, value in values.items()},
        }
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(body))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SCALPER_"))}
    env.update(AWS_ENDPOINT_URL=ops.aws_endpoint, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")

    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "silent_scalper", "admin", *args, "--region", "us-east-1"]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    listed = admin("reprocess", "--stack-name", "ops-deployed", "--state", "failed", "--dry-run", "--json")
    redriven = admin("dlq", "redrive", "--stack-name", "ops-deployed", "--json")
    refused = admin("dlq", "redrive", "--stack-name", "ops-other")

    assert listed.returncode == 0, listed.stderr
    assert redriven.returncode == 0 and json.loads(redriven.stdout)["moved"] == 0, redriven.stderr
    assert refused.returncode == 2 and "has no outputs" in refused.stderr
