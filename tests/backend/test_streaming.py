"""The processor's output streams to S3: one part in memory, a multipart upload for large
outputs, nothing left behind when it is abandoned; and the processor's memory stays flat."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from scalper_backend.adapters.clients import AwsClients
from scalper_backend.adapters.streaming import FIRST_PART_BYTES, MultipartWriter, part_size
from scalper_backend.api.schemas import UploadRequest
from scalper_backend.config import Settings
from scalper_backend.dependencies import Dependencies
from scalper_backend.local.provision import provision
from scalper_backend.records import object_key
from scalper_backend.uploads import create_upload

ROOT = Path(__file__).resolve().parents[2]
MIB = 2**20


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="out")
        yield client


def _write(writer: MultipartWriter, total: int, piece: int = 256 * 1024) -> None:
    chunk = b"x" * piece
    for _ in range(total // piece):
        writer.write(chunk)


def test_a_small_output_is_one_put(s3):
    writer = MultipartWriter(s3, bucket="out", key="k", content_type="application/x-ndjson")
    writer.write(b'{"a":"1"}\n')
    writer.complete()

    head = s3.head_object(Bucket="out", Key="k")
    assert (writer.part_count, head["ContentLength"], head["ContentType"]) == (0, 10, "application/x-ndjson")
    assert "-" not in head["ETag"]


def test_a_large_output_is_a_multipart_upload_of_8_mib_parts(s3):
    writer = MultipartWriter(s3, bucket="out", key="k", content_type="application/x-ndjson")
    _write(writer, 20 * MIB)
    assert writer.part_count == 2  # the third part is still in the buffer, unsent
    writer.complete()

    head = s3.head_object(Bucket="out", Key="k")
    assert head["ContentLength"] == 20 * MIB and head["ETag"].strip('"').endswith("-3")


def test_an_abandoned_output_leaves_no_object_and_no_upload(s3):
    writer = MultipartWriter(s3, bucket="out", key="k", content_type="application/x-ndjson")
    _write(writer, 17 * MIB)
    writer.abort()

    assert s3.list_objects_v2(Bucket="out").get("KeyCount", 0) == 0
    assert s3.list_multipart_uploads(Bucket="out").get("Uploads", []) == []


def test_parts_grow_so_ten_thousand_of_them_hold_hundreds_of_gigabytes():
    assert [part_size(n) for n in (1, 1000, 1001, 2001, 3001, 4001, 10_000)] == [
        FIRST_PART_BYTES,
        8 * MIB,
        16 * MIB,
        32 * MIB,
        64 * MIB,
        128 * MIB,
        128 * MIB,
    ]
    assert sum(part_size(n) for n in range(1, 10_001)) > 800 * 2**30


# The processor, in a fresh interpreter against a moto server in this one, on a generated
# CSV: its peak memory beyond what it had after importing and building its clients.
_CHILD = """
import json, sys
from scalper_backend.dependencies import dependencies
from scalper_backend.notifications import S3ObjectRef

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

processor = dependencies().processor
processor.files, processor.objects.writer  # clients built before the baseline
processor.objects._client.list_buckets()
before = kib("VmRSS:")
state = processor.process(S3ObjectRef(bucket=sys.argv[1], key=sys.argv[2]))
print(json.dumps({"state": state, "before_kib": before, "peak_kib": kib("VmHWM:")}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_the_processors_memory_stays_flat_whatever_the_file_size(template, monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://{}:{}".format(*server.get_host_and_port()))
        provision(
            template, {name: boto3.client(name) for name in ("s3", "sqs", "dynamodb", "sns", "kms", "apigateway")}
        )
        small, large = (_process_in_a_child(template, size) for size in (16 * MIB, 64 * MIB))
    finally:
        server.stop()

    print(f"processor peak grew by {small[0]:.1f} MiB on 16 MiB, {large[0]:.1f} MiB on 64 MiB ({large[1]:.0f} MiB out)")
    assert large[1] > 64  # a multipart output (checked part by part in the tests above)
    # Four times the file, the same memory: about a part (8 MiB) and its copy for the
    # request, the read and write buffers; never the file.
    assert large[0] - small[0] < 8 and large[0] < 48


def _process_in_a_child(template, size: int) -> tuple[float, float]:
    """(MiB the processor's peak grew by while processing a CSV of ``size``, MiB of output)."""
    deps, key = _declared_large_csv(template, size)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, deps.settings.input_bucket, key],
        env={**os.environ, **template.function_environment("ProcessorFunction")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["state"] == "processed"
    record = deps.files.get("acme", key.rsplit("/", 1)[1])
    head = deps.clients.s3.head_object(Bucket=record.output.bucket, Key=record.output.key)
    assert head["ETag"].strip('"').endswith(f"-{-(-head['ContentLength'] // (8 * MIB))}")
    return (measured["peak_kib"] - measured["before_kib"]) / 1024, head["ContentLength"] / MIB


def _declared_large_csv(template, size: int) -> tuple[Dependencies, str]:
    """A declared and uploaded CSV of ``size`` (the S3 event it fires is left in the queue)."""
    deps = Dependencies(Settings.from_env(template.function_environment("ProcessorFunction")), AwsClients.create())
    row = b'p-0000001,north,"follow-up in six weeks; stable overnight, observations every four hours"\n'
    body = b"patient_ref,clinic,note\n" + row * (size // len(row))
    request = UploadRequest(
        filename="big.csv", size=len(body), content_type="text/csv", sha256=hashlib.sha256(body).hexdigest()
    )
    ticket = create_upload(
        request,
        "acme",
        settings=deps.settings,
        rules=deps.rules.for_partner("acme"),
        files=deps.files,
        objects=deps.objects,
    )
    key = object_key("acme", ticket.file_id)
    deps.clients.s3.upload_fileobj(io.BytesIO(body), deps.settings.input_bucket, key)
    return deps, key
