"""What the load benchmarks share: the local stack as a user runs it, the floor, reading
the pipeline's state straight from moto, and reconciling it.

The stack runs as ``scalper local`` in a process of its own (as partners run it), so the
benchmark's client threads never share an interpreter with it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import psutil
from botocore.config import Config

from scalper_backend.adapters.file_items import from_item
from scalper_backend.local.cli import env_name
from scalper_backend.local.template import Template
from scalper_backend.records import FileRecord

ROOT = Path(__file__).resolve().parents[1]
FINAL = frozenset({"processed", "quarantined"})


# -- files


GOOD = b"patient_id,name,birth_date,scan\n" + b"".join(
    b"%d,Patient %d,1970-01-%02d,ct-chest\n" % (i, i, i + 1) for i in range(6)
)
BAD = b"patient_id,name,birth_date,scan\n1,Ada,1815-12-10\n2,Bob,1990-01-01,ct,extra\n"  # ragged rows


def make_files(directory: Path, count: int, *, prefix: str, bad_every: int = 4) -> dict[str, bool]:
    """``count`` small CSV files (every ``bad_every``-th one ragged, so quarantined), each
    with a distinct body; returns ``{filename: is_good}``."""
    directory.mkdir(parents=True, exist_ok=True)
    names: dict[str, bool] = {}
    for i in range(count):
        good = i % bad_every != 0
        name = f"{prefix}-{i:06d}.csv"
        # A distinct row in each file, so no two share a SHA-256 (they would be duplicates).
        extra = b"%d,Unique %s,1970-02-01,mri\n" % (900_000 + i, name.encode()) if good else b""
        (directory / name).write_bytes((GOOD + extra) if good else BAD + name.encode() + b"\n")
        names[name] = good
    return names


# -- the stack


@dataclass
class RunningStack:
    """``scalper local`` in its own process, with what it printed."""

    process: subprocess.Popen[str]
    values: dict[str, str]
    startup_s: float
    template: Template = field(
        default_factory=lambda: Template(ROOT / "template.yaml", stack_name="scalper-local", region="us-east-1")
    )

    @property
    def endpoint(self) -> str:
        return self.values["SCALPER_ENDPOINT"]

    @property
    def aws_endpoint(self) -> str:
        return self.values["SCALPER_AWS_ENDPOINT"]

    def api_key(self, partner: str) -> str:
        return self.values[env_name("SCALPER_API_KEY", partner)]

    def aws(self, service: str) -> Any:
        """A client straight to moto (the operator's view; nothing checked)."""
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 10}),
        )

    def name(self, logical_id: str) -> str:
        return self.template.physical_name(logical_id)

    def processes(self) -> list[psutil.Process]:
        """The stack's processes: ``scalper local``, moto and every worker."""
        try:
            main = psutil.Process(self.process.pid)
            return [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> Counter[str]:
        """CPU time (user and system) so far: moto's process, ``scalper local``'s (the
        gateways, the S3 edge and the pollers), each function's workers (by handler module)
        and ``client``, this process (the SDK's threads, or the floor's boto3 calls)."""
        used = Counter[str]()
        for proc in [psutil.Process(), *self.processes()]:
            with suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                used[_role(proc)] += times.user + times.system
        return used

    def rss_bytes(self) -> int:
        """The resident size of all its processes together (shared pages counted in each)."""
        total = 0
        for proc in self.processes():
            with suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total


def _role(proc: psutil.Process) -> str:
    if proc.pid == os.getpid():
        return "client"
    args = proc.cmdline()
    if "scalper_backend.local.moto_service" in args:
        return "moto"
    if "--handler" in args:  # a worker: --handler scalper_backend.handlers.<module>.handler
        return args[args.index("--handler") + 1].split(".")[-2]
    return "gateway"


@contextmanager
def local_stack(*options: str, partners: tuple[str, ...], log: Path) -> Iterator[RunningStack]:
    """Run ``scalper local`` (unthrottled: the benchmarks measure the pipeline, not the usage
    plan) until the block ends; its logs go to ``log``."""
    args = [sys.executable, "-m", "scalper_backend.local", "--port", "0", "--no-throttle", *options]
    for partner in partners:
        args += ["--partner", partner]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        try:
            values = _env_lines(process, log)
            yield RunningStack(process, values, time.perf_counter() - started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _env_lines(process: subprocess.Popen[str], log: Path) -> dict[str, str]:
    assert process.stdout is not None
    values: dict[str, str] = {}
    for line in process.stdout:
        name, _, value = line.strip().partition("=")
        values[name] = value
        if name == "SCALPER_AWS_ENDPOINT":
            return values
    raise RuntimeError(f"the local stack did not start:\n{log.read_text()[-5000:]}")


class RssSampler:
    """The peak of ``RunningStack.rss_bytes`` while it runs, sampled every half second."""

    def __init__(self, stack: RunningStack) -> None:
        self._stack = stack
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, self._stack.rss_bytes())


# -- the floor


def floor_files_per_s(stack: RunningStack, files: list[bytes], threads: int) -> float:
    """The same AWS calls per file as the pipeline makes, straight to the stack's moto, by
    ``threads`` threads: declare the record, put the object, receive its message, read the
    object, write the output, update the record, delete the message. No gateway, no edge,
    no handlers, no validation: the work no design can avoid on this machine."""
    suffix = hashlib.sha256(str(time.time()).encode()).hexdigest()[:8]
    ddb, s3, sqs = stack.aws("dynamodb"), stack.aws("s3"), stack.aws("sqs")
    table, bucket_in, bucket_out = f"floor-{suffix}", f"floor-in-{suffix}", f"floor-out-{suffix}"
    ddb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "partner_id", "KeyType": "HASH"},
            {"AttributeName": "file_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "partner_id", "AttributeType": "S"},
            {"AttributeName": "file_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    queue = sqs.create_queue(QueueName=f"floor-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket=bucket_in)
    s3.create_bucket(Bucket=bucket_out)
    s3.put_bucket_notification_configuration(
        Bucket=bucket_in,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    # S3 sends a test event when notifications are configured.
    for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    next_file = itertools.count()
    done = Counter[str]()
    lock = threading.Lock()

    def work() -> None:
        while True:
            i = next(next_file)
            if i < len(files):
                key = f"f{i:06d}"
                ddb.put_item(
                    TableName=table,
                    Item={"partner_id": {"S": "floor"}, "file_id": {"S": key}, "state": {"S": "pending_upload"}},
                )
                s3.put_object(Bucket=bucket_in, Key=f"uploads/floor/{key}", Body=files[i])
            with lock:
                if done["files"] >= len(files):
                    return
            received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                record = json.loads(message["Body"])["Records"][0]["s3"]["object"]
                key = unquote_plus(record["key"])
                data = s3.get_object(Bucket=bucket_in, Key=key)["Body"].read()
                s3.put_object(Bucket=bucket_out, Key=f"processed/{key}.jsonl", Body=data)
                ddb.update_item(
                    TableName=table,
                    Key={"partner_id": {"S": "floor"}, "file_id": {"S": key.rsplit("/", 1)[1]}},
                    UpdateExpression="SET #s = :s",
                    ExpressionAttributeNames={"#s": "state"},
                    ExpressionAttributeValues={":s": {"S": "processed"}},
                )
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                with lock:
                    done["files"] += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(files) / (time.perf_counter() - started)


# -- reading and reconciling


def records(stack: RunningStack, partner: str) -> list[FileRecord]:
    """Every file record of a partner, read from the table (a strongly consistent Query)."""
    ddb, found, start = stack.aws("dynamodb"), [], None
    while True:
        page = ddb.query(
            TableName=stack.name("FilesTable"),
            KeyConditionExpression="partner_id = :p",
            ExpressionAttributeValues={":p": {"S": partner}},
            ConsistentRead=True,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        # The table also holds one (partner, sha256, filename) item per file: not records.
        found += [from_item(item) for item in page["Items"] if item["file_id"]["S"].startswith("f_")]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def wait_until_final(stack: RunningStack, partner: str, count: int, timeout: float) -> list[FileRecord]:
    """The partner's records once ``count`` of them are final (or when time runs out).

    Reads the table only once no message waits in the upload queue (a query of every
    record is a pass over the whole table in moto, and asking it every second would slow
    the stack it measures); then every few seconds, until the last in-flight batches end."""
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName=stack.name("UploadEventsQueue"))["QueueUrl"]
    deadline = time.monotonic() + timeout
    while True:
        waiting = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        if waiting["Attributes"]["ApproximateNumberOfMessages"] == "0" or time.monotonic() > deadline:
            found = records(stack, partner)
            if sum(r.state.value in FINAL for r in found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(2)
        time.sleep(1)


def messages_in_flight(stack: RunningStack) -> int:
    """Messages of the upload queue received and not deleted (0 once every batch ended)."""
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName=stack.name("UploadEventsQueue"))["QueueUrl"]
    names = ["ApproximateNumberOfMessagesNotVisible"]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"][names[0]])


def keys(stack: RunningStack, logical_id: str, prefix: str) -> Counter[str]:
    """How many current objects each key under ``prefix`` has (always 1 for an object)."""
    s3, found = stack.aws("s3"), Counter[str]()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.name(logical_id), Prefix=prefix):
        found.update(item["Key"] for item in page.get("Contents", []))
    return found


def versions(stack: RunningStack, logical_id: str, prefix: str) -> Counter[str]:
    """How many times each key under ``prefix`` was written (the buckets are versioned)."""
    s3, found = stack.aws("s3"), Counter[str]()
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=stack.name(logical_id), Prefix=prefix):
        found.update(item["Key"] for item in page.get("Versions", []))
    return found


@dataclass
class Written:
    """What the pipeline wrote for one partner: records by filename, how many times each
    output and quarantine key was written, the inputs left, and the alerts."""

    by_name: dict[str, list[FileRecord]]
    outputs: Counter[str]
    quarantined: Counter[str]
    inputs: Counter[str]
    alerted: Counter[tuple[str, str]]

    @classmethod
    def read(cls, stack: RunningStack, partner: str, found: list[FileRecord]) -> Written:
        by_name: dict[str, list[FileRecord]] = {}
        for record in found:
            by_name.setdefault(record.filename, []).append(record)
        return cls(
            by_name=by_name,
            outputs=versions(stack, "OutputBucket", f"processed/{partner}/"),
            quarantined=versions(stack, "QuarantineBucket", f"quarantine/{partner}/"),
            inputs=keys(stack, "InputBucket", f"uploads/{partner}/"),
            alerted=alerts(stack),
        )

    def writes(self, partner: str, file_id: str) -> int:
        """How many times the file's output or quarantine copy was written."""
        output, copy = f"processed/{partner}/{file_id}.jsonl", f"quarantine/{partner}/{file_id}"
        return self.outputs[output] + self.quarantined[copy]


def drain(stack: RunningStack, queue: str) -> list[dict[str, Any]]:
    """Every message now in a queue (received and deleted)."""
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not batch:
            return messages
        messages += batch
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )


def alerts(stack: RunningStack) -> Counter[tuple[str, str]]:
    """The alerts published so far, as (event, file id) counts (from the local inbox)."""
    found = Counter[tuple[str, str]]()
    for message in drain(stack, "scalper-local-alerts-inbox"):
        body = json.loads(message["Body"])
        found[(body.get("event", ""), body.get("file_id", ""))] += 1
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def latencies(found: list[FileRecord]) -> list[float]:
    """Upload to final state, per file: the record's ``finished_at - uploaded_at`` (the S3
    event's time of the upload and the processor's time of the outcome, one clock)."""
    return [(r.finished_at - r.uploaded_at).total_seconds() for r in found if r.finished_at and r.uploaded_at]


def spread(samples: list[float]) -> float:
    """Noise of repeated samples: (max - min) / median."""
    return (max(samples) - min(samples)) / statistics.median(samples) if len(samples) > 1 else 0.0


def body_of(path: Path) -> io.BytesIO:
    return io.BytesIO(path.read_bytes())
