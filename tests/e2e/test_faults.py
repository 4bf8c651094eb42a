"""The local stack's injected faults (``scalper local --fault``): each breaks what it says
it breaks, and the pipeline still takes every file to exactly one final state, its output
written once, with the alerts and dead letters the fault calls for.

Each test runs a stack of its own with a short visibility timeout (``--visibility-timeout``,
one second unless the fault needs more), so the retries a fault causes come within seconds."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
import requests
from support.local_stack import Stack, local_stack

pytestmark = pytest.mark.e2e

GOOD = b"patient_id,scan\n1,ct\n"
BAD = b"patient_id,scan\n1,ct,extra\n"  # ragged: quarantined
FINAL = {"processed", "quarantined"}


@dataclass
class Outcome:
    """What a burst of files became under a fault."""

    records: list[dict[str, Any]]
    output_writes: Counter[str]
    alerts: list[dict[str, Any]]
    dead_letters: list[dict[str, Any]]
    log: str
    refusals: Counter[int]

    def injected(self, fault: str) -> int:
        """How many times the stack logged that it injected ``fault``."""
        return sum(1 for line in self.log.splitlines() if "injected fault" in line and f'"{fault}"' in line)

    def failed_alerts(self) -> list[tuple[int, bool]]:
        return sorted((a["attempt"], a["final"]) for a in self.alerts if a["event"] == "file.failed")


@contextmanager
def _stack(tmp_path: Path, *faults: str, window: float | None = None, visibility: int = 1) -> Iterator[Stack]:
    options = ["--no-throttle", "--visibility-timeout", str(visibility)]
    for fault in faults:
        options += ["--fault", fault]
    if window is not None:
        options += ["--fault-window", str(window)]
    with local_stack(tmp_path / "stack.log", *options, log_level="INFO", partners=("acme",)) as stack:
        yield stack


def _burst(stack: Stack, bodies: list[bytes], *, final: set[str] = FINAL, timeout: float = 60.0) -> Outcome:
    """Declare and upload each body (trying again what a fault refused), wait until every
    file is in one of ``final``, and gather what the pipeline wrote."""
    refusals = Counter[int]()
    ids = [_upload(stack, body, f"burst-{i}.csv", refusals) for i, body in enumerate(bodies)]
    records = [stack.wait_state(file_id, final, timeout=timeout) for file_id in ids]
    return Outcome(
        records=records,
        output_writes=_output_writes(stack),
        alerts=_drain(stack, "scalper-local-alerts-inbox"),
        dead_letters=_drain(stack, stack.name("UploadEventsDeadLetterQueue")),
        log=stack.log.read_text(),
        refusals=refusals,
    )


def _upload(stack: Stack, body: bytes, name: str, refusals: Counter[int]) -> str:
    """One file in: the declaration and the PUT each tried again after a 5xx, as a client
    that follows S3's and the API's advice does."""
    for _ in range(20):
        # Up to API Gateway's 29 s integration timeout: under injected DynamoDB throttling
        # a declaration's calls back off and retry (botocore's standard mode), which took
        # over 10 s on a loaded machine.
        answer = stack.api("POST", "/uploads", json=_declaration(body, name), timeout=29)
        if answer.status_code == 201:
            break
        refusals[answer.status_code] += 1
        assert answer.status_code >= 500, answer.text
        time.sleep(0.2)
    ticket = answer.json()
    for _ in range(20):
        put = requests.put(ticket["upload"]["url"], data=body, headers=ticket["upload"]["headers"], timeout=10)
        if put.status_code == 200:
            return str(ticket["file_id"])
        refusals[put.status_code] += 1
        assert put.status_code >= 500, put.text
        time.sleep(0.2)
    raise AssertionError(f"{name} was never accepted: {dict(refusals)}")


def _declaration(body: bytes, name: str) -> dict[str, Any]:
    return {
        "filename": name,
        "size": len(body),
        "content_type": "text/csv",
        "sha256": hashlib.sha256(body).hexdigest(),
        "allow_duplicate": True,
    }


def _output_writes(stack: Stack) -> Counter[str]:
    """How many times each output key was written (the bucket is versioned)."""
    listing = stack.aws("s3").list_object_versions(Bucket=stack.name("OutputBucket"), Prefix="processed/acme/")
    return Counter(item["Key"] for item in listing.get("Versions", []))


def _drain(stack: Stack, queue: str) -> list[dict[str, Any]]:
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return found


def _assert_reconciled(outcome: Outcome, bodies: list[bytes]) -> None:
    """Every file final in the state its bytes call for, each output written exactly once,
    one quarantine alert per quarantined file, nothing dead-lettered."""
    assert [r["state"] for r in outcome.records] == ["processed" if b == GOOD else "quarantined" for b in bodies]
    processed = [r["output"]["key"] for r in outcome.records if r["state"] == "processed"]
    assert dict(outcome.output_writes) == dict.fromkeys(processed, 1)
    quarantine_alerts = Counter(a["file_id"] for a in outcome.alerts if a["event"] == "file.quarantined")
    assert quarantine_alerts == Counter(r["file_id"] for r in outcome.records if r["state"] == "quarantined")
    assert outcome.dead_letters == []


def test_raise_fails_every_first_attempt_and_the_retry_finishes_each_file(tmp_path):
    bodies = [GOOD, BAD, GOOD]
    # 5 s, not 1: on a loaded machine the processor's first cold start can outlast a
    # second, and a message delivered again before its first attempt ran is not a first.
    with _stack(tmp_path, "raise=1", visibility=5) as stack:
        outcome = _burst(stack, bodies)

    _assert_reconciled(outcome, bodies)
    assert [r["attempts"] for r in outcome.records] == [2, 2, 2]
    assert outcome.failed_alerts() == [(1, False)] * 3
    assert outcome.injected("raise") == 3


def test_raise_always_ends_in_the_dead_letter_queue_after_a_final_alert(tmp_path):
    # Each receive must be an attempt: the visibility timeout outlasts one, cold start
    # included, on a loaded machine (a message back mid-attempt would use up a receive).
    with _stack(tmp_path, "raise-always=1", visibility=3) as stack:
        outcome = _burst(stack, [GOOD], final={"failed"}, timeout=1)
        deadline = time.monotonic() + 60
        while not outcome.dead_letters and time.monotonic() < deadline:
            outcome.dead_letters = _drain(stack, stack.name("UploadEventsDeadLetterQueue"))
        outcome.alerts += _drain(stack, "scalper-local-alerts-inbox")
        record = stack.wait_state(outcome.records[0]["file_id"], {"failed"})

    assert (record["state"], record["attempts"], record["error"]["retryable"]) == ("failed", 5, False)
    assert outcome.failed_alerts() == [(1, False), (2, False), (3, False), (4, False), (5, True)]
    keys = [unquote_plus(m["Records"][0]["s3"]["object"]["key"]) for m in outcome.dead_letters]
    assert keys == [f"uploads/acme/{record['file_id']}"]


def test_a_worker_killed_mid_batch_is_replaced_and_every_file_finished(tmp_path):
    bodies = [GOOD, BAD, GOOD, GOOD]
    # A killed attempt's claim holds its file for the lease (here 7 s); the message comes
    # back every 3 s, and is taken over within the queue's five receives.
    with _stack(tmp_path, "kill=1", visibility=3) as stack:
        outcome = _burst(stack, bodies)

    _assert_reconciled(outcome, bodies)
    assert outcome.injected("kill") >= 1
    assert "WorkerDied" in outcome.log


def test_an_attempt_that_hangs_past_the_visibility_timeout_is_not_doubled(tmp_path):
    # It hangs for 7.5 s (1.5 visibility timeouts) of the function's 10 s here: the rest
    # is room for the first invocation building its clients on a loaded machine (with a
    # 2 s visibility timeout, 1 s of room was not always enough: the attempt timed out).
    with _stack(tmp_path, "hang=1", visibility=5) as stack:
        outcome = _burst(stack, [GOOD])

    _assert_reconciled(outcome, [GOOD])
    assert outcome.injected("hang") == 1
    assert outcome.records[0]["attempts"] == 1
    # The message came back while the attempt hung, and its delivery left the file alone:
    # busy while the attempt still held it, or already processed (a cold start is slow).
    assert "FileBusy" in outcome.log or "duplicate delivery ignored" in outcome.log


def test_s3_slowdown_and_dynamodb_throttling_are_retried_to_the_end(tmp_path):
    bodies = [GOOD, BAD] * 4
    # The SDKs' retries back off for seconds: a visibility timeout of 5 s gives the
    # processor a timeout of 10 s here, so that an attempt is not killed mid-retry.
    with _stack(tmp_path, "s3-slowdown=0.3", "dynamodb-throttle=0.3", window=15, visibility=5) as stack:
        outcome = _burst(stack, bodies)

    _assert_reconciled(outcome, bodies)
    # SlowDown is injected on a random 30% of S3 requests in the window: the handlers' many
    # S3 calls always meet some, the client's eight PUTs only by chance (none, 0.7^8 = 6%
    # of runs, or when slow declarations push the PUTs past the window). The SDK's own
    # retries of a 503 are tested in test_sdk_faults.py.
    assert outcome.injected("s3-slowdown") >= max(1, outcome.refusals[503])
    assert outcome.injected("dynamodb-throttle") >= 1
