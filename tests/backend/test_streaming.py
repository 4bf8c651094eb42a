"""The processor's output streams to S3: one part in memory, a multipart upload for large
outputs, nothing left behind when it is abandoned; and the processor's memory stays flat."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from support.processor_memory import MIB, moto_with_template, process_in_a_child

from scalper_backend.adapters.streaming import FIRST_PART_BYTES, MultipartWriter, part_size


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


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from /proc")
def test_the_processors_memory_stays_flat_whatever_the_file_size(template):
    with moto_with_template(template):
        small, large = (process_in_a_child(template, size) for size in (16 * MIB, 64 * MIB))

    print(f"processor peak grew by {small.growth_mib:.1f} MiB on 16 MiB, {large.growth_mib:.1f} MiB on 64 MiB")
    assert small.state == large.state == "processed"
    parts = -(-int(large.output_mib * MIB) // (8 * MIB))
    assert large.output_mib > 64 and large.output_etag.endswith(f"-{parts}")  # streamed in 8 MiB parts
    # Four times the file, the same memory: about a part (8 MiB) and its copy for the
    # request, the read and write buffers; never the file.
    assert large.growth_mib - small.growth_mib < 8 and large.growth_mib < 48
