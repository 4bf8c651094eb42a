"""upload_many: files in parallel, one result each, progress as it goes; wait_many follows them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sdk.fake_api import FakeApi

from silent_scalper import (
    Client,
    FileReadError,
    Files,
    FileState,
    InvalidArgumentError,
    NotFoundError,
    Progress,
    UnsupportedMediaTypeError,
    WaitTimeoutError,
)

ENDPOINT = "http://scalper.test/v1"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for i in range(12):
        (data / f"r{i:02d}.csv").write_bytes(f"id\n{i}\n".encode())
    (data / ".hidden.csv").write_bytes(b"id\n1\n")
    return data


def test_every_file_gets_a_result_in_order_with_its_record(fake_api: FakeApi, folder: Path) -> None:
    with Client(ENDPOINT, "key") as client:
        results = client.upload_many(folder)

    assert [r.source for r in results] == [str(folder / f"r{i:02d}.csv") for i in range(12)]
    assert all(r.ok and r.outcome == "uploaded" for r in results)
    assert all(r.record is not None and r.record.file_id == r.file_id for r in results)
    assert all(r.bytes_sent == r.size > 0 and r.duration_s > 0 for r in results)
    assert fake_api.count("GET", "/files/f_") == 0  # records read 100 at a time, not one by one


def test_one_bad_file_never_stops_the_others(fake_api: FakeApi, folder: Path) -> None:
    fake_api.refused["r03.csv"] = (415, {"error": {"code": "unsupported_content_type", "message": "no"}})
    paths = [folder / "r01.csv", folder / "missing.csv", folder / "r03.csv", folder / "r04.csv"]

    with Client(ENDPOINT, "key") as client:
        results = client.upload_many(paths)

    assert [r.outcome for r in results] == ["uploaded", "failed", "failed", "uploaded"]
    assert isinstance(results[1].error, FileReadError) and "No such file" in results[1].error.message
    assert isinstance(results[2].error, UnsupportedMediaTypeError)


def test_files_go_in_parallel_up_to_the_concurrency(fake_api: FakeApi, folder: Path) -> None:
    fake_api.put_delay = 0.1

    with Client(ENDPOINT, "key") as client:
        client.upload_many(folder, concurrency=4)

    assert fake_api.max_in_flight == 4


def test_progress_reports_files_bytes_and_ends_complete(fake_api: FakeApi, folder: Path) -> None:
    seen: list[Progress] = []
    total = sum(p.stat().st_size for p in folder.glob("r*.csv"))

    with Client(ENDPOINT, "key") as client:
        client.upload_many(folder, on_progress=seen.append)

    last = seen[-1]
    assert (last.files_done, last.files_total, last.bytes_total, last.bytes_done) == (12, 12, total, total)
    assert last.bytes_sent == total and last.eta_s == 0.0
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)


def test_a_re_run_with_a_journal_sends_nothing_and_says_why(fake_api: FakeApi, folder: Path, tmp_path: Path) -> None:
    with Client(ENDPOINT, "key", journal=tmp_path / "j.jsonl") as client:
        client.upload_many(folder)
    requests_before = len(fake_api.mock.calls)

    with Client(ENDPOINT, "key", journal=tmp_path / "j.jsonl") as client:
        results = client.upload_many(folder)

    assert {r.outcome for r in results} == {"skipped"}
    assert fake_api.count("POST", "/uploads") == 12  # none in the second run
    assert len(fake_api.mock.calls) == requests_before + 1  # only the batched read of the records


def test_a_changed_file_is_not_taken_for_the_one_uploaded(fake_api: FakeApi, folder: Path, tmp_path: Path) -> None:
    with Client(ENDPOINT, "key", journal=tmp_path / "j.jsonl") as client:
        client.upload_many(folder)
        (folder / "r00.csv").write_bytes(b"id\n100\n")

        results = client.upload_many(folder)

    assert results[0].outcome == "uploaded"
    assert {r.outcome for r in results[1:]} == {"skipped"}


def test_another_partners_journal_entries_are_not_used(fake_api: FakeApi, folder: Path, tmp_path: Path) -> None:
    with Client(ENDPOINT, "key-one", journal=tmp_path / "j.jsonl") as client:
        client.upload_many(folder)
    with Client(ENDPOINT, "key-two", journal=tmp_path / "j.jsonl") as client:
        results = client.upload_many(folder)

    assert {r.outcome for r in results} == {"duplicate"}  # asked the API, not the journal


def test_without_a_journal_the_api_answers_duplicates_and_nothing_is_sent(fake_api: FakeApi, folder: Path) -> None:
    with Client(ENDPOINT, "key") as client:
        client.upload_many(folder)
    with Client(ENDPOINT, "key") as client:
        results = client.upload_many(folder)

    assert {r.outcome for r in results} == {"duplicate"}
    assert fake_api.count("PUT", "storage.test") == 12


def test_bad_arguments_are_refused_before_anything_is_sent(fake_api: FakeApi, folder: Path) -> None:
    with Client(ENDPOINT, "key") as client:
        with pytest.raises(InvalidArgumentError, match="metadata"):
            client.upload_many(folder, metadata={"n": 1})  # type: ignore[dict-item]
        with pytest.raises(InvalidArgumentError, match="concurrency"):
            client.upload_many(folder, concurrency=0)

    assert len(fake_api.mock.calls) == 0


def test_wait_many_yields_records_as_they_become_final_reading_only_pending_files(
    fake_api: FakeApi, files: Files, tmp_path: Path, sleeps: list[float]
) -> None:
    paths = []
    for i in range(250):
        path = tmp_path / f"w{i:03d}.csv"
        path.write_bytes(f"id\n{i}\n".encode())
        paths.append(path)
    with Client(ENDPOINT, "key") as client:
        ids = [r.file_id for r in client.upload_many(paths)]
    for file_id in ids:
        late = ["processing"] * 3 + ["quarantined"]
        fake_api.states[file_id] = ["processing", "processed"] if file_id < "f_w100" else late
    fake_api.reads.clear()

    finals = list(files.wait_many(ids))

    assert sorted(r.file_id for r in finals) == sorted(ids)
    assert [r.state for r in finals[:100]] == [FileState.PROCESSED] * 100
    # Two polls of all 250 (100 + 100 + 50, in parallel), then two of the 150 still pending.
    assert sorted(len(ids) for ids in fake_api.reads) == sorted([100, 100, 50] * 2 + [100, 50] * 2)
    assert sleeps[0] == pytest.approx(0.1)


def test_wait_many_backs_off_while_nothing_changes_and_times_out_with_the_stuck_records(
    fake_api: FakeApi, files: Files, tmp_path: Path, sleeps: list[float]
) -> None:
    (tmp_path / "a.csv").write_bytes(b"id\n1\n")
    with Client(ENDPOINT, "key") as client:
        (result,) = client.upload_many([tmp_path / "a.csv"])
    fake_api.states["f_a"] = ["processing"]

    with pytest.raises(WaitTimeoutError) as caught:
        list(files.wait_many([result.file_id], timeout=3.0))

    assert [r.state for r in caught.value.records] == [FileState.PROCESSING]
    assert sleeps[:3] == pytest.approx([0.1, 0.15, 0.225])
    assert sum(sleeps) == pytest.approx(3.0)


def test_wait_many_of_an_unknown_file_says_not_found(fake_api: FakeApi, files: Files) -> None:
    with pytest.raises(NotFoundError):
        list(files.wait_many(["f_nope"]))


def test_wait_many_refuses_a_single_string(files: Files) -> None:
    with pytest.raises(InvalidArgumentError, match="not one string"):
        files.wait_many("f_a")


def test_hash_of_a_bulk_file_is_its_sha256(fake_api: FakeApi, folder: Path) -> None:
    with Client(ENDPOINT, "key") as client:
        client.upload_many([folder / "r05.csv"])

    assert fake_api.declarations["f_r05"]["sha256"] == hashlib.sha256(b"id\n5\n").hexdigest()
