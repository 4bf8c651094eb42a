"""Large files go in parallel parts, each with its checksum, and resume from the journal."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from sdk.fake_api import FakeApi

from silent_scalper import BadRequestError, Client, FileJournal, FileState, InternalServerError, UploadError
from silent_scalper._multipart import MIN_PART_SIZE, choose_part_size
from silent_scalper._retry import RetryPolicy

ENDPOINT = "http://scalper.test/v1"
MIB = 1024 * 1024
EXPIRED = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
SLOW_DOWN = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
BAD_DIGEST = "<Error><Code>BadDigest</Code><Message>The sha256 you specified did not match.</Message></Error>"


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """12 MiB + 3 bytes: with 5 MiB parts, two full parts and a short third."""
    path = tmp_path / "study.csv"
    path.write_bytes(bytes(range(256)) * (12 * MIB // 256) + b"end")
    return path


def make_client(tmp_path: Path, journal: bool = True) -> Client:
    client = Client(
        ENDPOINT,
        "key",
        multipart_threshold=6 * MIB,
        part_size=MIN_PART_SIZE,
        concurrency=3,
        journal=tmp_path / "journal.jsonl" if journal else None,
    )
    policy = RetryPolicy(max_retries=2, sleep=lambda _: None)
    client._transport.retry = policy
    client._storage.retry = policy
    return client


def parts_of(path: Path, size: int = MIN_PART_SIZE) -> list[bytes]:
    data = path.read_bytes()
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_large_file_is_declared_with_the_sha256_of_the_whole_and_of_each_part(
    tmp_path: Path, fake_api: FakeApi, big_file: Path
) -> None:
    with make_client(tmp_path) as client:
        client.upload(big_file)

    declared = fake_api.declarations["f_study"]
    parts = parts_of(big_file)
    assert declared["size"] == big_file.stat().st_size
    assert declared["sha256"] == hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert declared["part_size"] == MIN_PART_SIZE
    assert declared["parts"] == [
        {"part_number": n, "sha256": hashlib.sha256(part).hexdigest()} for n, part in enumerate(parts, start=1)
    ]


def test_each_part_is_sent_with_its_checksum_header_and_completed_in_order(
    tmp_path: Path, fake_api: FakeApi, big_file: Path
) -> None:
    with make_client(tmp_path) as client:
        record = client.upload(big_file)

    for number, part in enumerate(parts_of(big_file), start=1):
        assert fake_api.stored[f"f_study#{number}"] == part
        checksum = fake_api.part_headers[("f_study", number)]["x-amz-checksum-sha256"]
        assert checksum == base64.b64encode(hashlib.sha256(part).digest()).decode()
        assert fake_api.part_headers[("f_study", number)]["Content-Length"] == str(len(part))
    assert fake_api.completed["f_study"] == [{"part_number": n, "etag": f'"etag-{n}"'} for n in (1, 2, 3)]
    assert record.file_id == "f_study"


def test_parts_go_in_parallel_up_to_the_concurrency(tmp_path: Path, fake_api: FakeApi, big_file: Path) -> None:
    fake_api.put_delay = 0.2

    with make_client(tmp_path) as client:
        client.upload(big_file)

    assert fake_api.max_in_flight == 3


def test_a_part_that_keeps_failing_leaves_the_upload_to_resume_without_resending_finished_parts(
    tmp_path: Path, fake_api: FakeApi, big_file: Path
) -> None:
    fake_api.put_failures["f_study#3"] = [(503, SLOW_DOWN)] * 3

    with make_client(tmp_path) as client, pytest.raises(UploadError) as caught:
        client.upload(big_file)
    assert caught.value.code == "SlowDown"
    assert fake_api.aborted == []
    with make_client(tmp_path) as client:
        record = client.upload(big_file)

    assert record.state is not FileState.CANCELLED
    assert fake_api.count("POST", "/uploads") - fake_api.count("POST", "/uploads/") == 1  # declared once
    assert fake_api.count("PUT", "partNumber=1") == 1
    assert fake_api.count("PUT", "partNumber=2") == 1
    assert fake_api.count("PUT", "partNumber=3") == 4  # 3 refused, then the resumed one
    assert fake_api.count("POST", "/parts") == 1  # fresh URLs for the part still missing


def test_an_expired_part_url_is_presigned_again(tmp_path: Path, fake_api: FakeApi, big_file: Path) -> None:
    fake_api.put_failures["f_study#2"] = [(403, EXPIRED)]

    with make_client(tmp_path) as client:
        client.upload(big_file)

    assert fake_api.count("POST", "/uploads/f_study/parts") == 1
    assert fake_api.count("PUT", "partNumber=2") == 2
    assert "f_study" in fake_api.completed


def test_a_part_refused_for_good_aborts_the_upload_and_forgets_it(
    tmp_path: Path, fake_api: FakeApi, big_file: Path
) -> None:
    fake_api.put_failures["f_study#1"] = [(400, BAD_DIGEST)]

    with make_client(tmp_path) as client, pytest.raises(UploadError, match="BadDigest"):
        client.upload(big_file)

    assert fake_api.aborted == ["f_study"]
    assert "f_study" not in fake_api.completed
    journal = FileJournal(tmp_path / "journal.jsonl")
    assert journal._entries == {}


def test_a_large_duplicate_sends_nothing(tmp_path: Path, fake_api: FakeApi, big_file: Path) -> None:
    with make_client(tmp_path, journal=False) as client:
        client.upload(big_file)
        puts = fake_api.count("PUT", "storage.test")

        record = client.upload(big_file)

    assert fake_api.count("PUT", "storage.test") == puts
    assert record.file_id == "f_study"


def test_an_api_error_on_complete_that_may_pass_later_keeps_the_upload(
    tmp_path: Path, fake_api: FakeApi, big_file: Path
) -> None:
    fake_api.complete_errors = [(503, "unavailable")] * 3

    with make_client(tmp_path) as client, pytest.raises(InternalServerError):
        client.upload(big_file)
    assert fake_api.aborted == []
    with make_client(tmp_path) as client:
        client.upload(big_file)

    assert fake_api.count("PUT", "storage.test") == 3  # the second run only completed


def test_a_refused_complete_aborts_the_upload(tmp_path: Path, fake_api: FakeApi, big_file: Path) -> None:
    fake_api.complete_errors = [(400, "upload_incomplete")]

    with make_client(tmp_path) as client, pytest.raises(BadRequestError, match="upload_incomplete"):
        client.upload(big_file)

    assert fake_api.aborted == ["f_study"]


@pytest.mark.parametrize(
    ("size", "requested", "expected"),
    [
        (100 * MIB, None, 16 * MIB),
        (100 * MIB, 8 * MIB, 8 * MIB),
        (100 * MIB, 1 * MIB, MIN_PART_SIZE),
        (64 * 1024 * MIB, None, 66 * MIB),  # 64 GiB in at most 1,000 parts
        (64 * 1024 * MIB, 5 * MIB, 7 * MIB),  # asked for 5 MiB: at most 10,000 parts
    ],
)
def test_part_size_stays_within_s3s_limits(size: int, requested: int | None, expected: int) -> None:
    assert choose_part_size(size, requested) == expected


def test_parts_without_a_url_in_the_plan_get_theirs_in_one_batch(
    tmp_path: Path, fake_api: FakeApi, big_file: Path
) -> None:
    fake_api.plan_limit = 1  # the answer to POST /uploads holds part 1's URL only

    with make_client(tmp_path) as client:
        client.upload(big_file)

    assert fake_api.count("POST", "/uploads/f_study/parts") == 1
    assert fake_api.completed["f_study"] == [{"part_number": n, "etag": f'"etag-{n}"'} for n in (1, 2, 3)]
