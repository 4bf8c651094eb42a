"""Reading records: one file, pages of files, and waiting for processing to finish."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from silent_scalper import FileRecord, Files, FileState, InvalidArgumentError, WaitTimeoutError

ENDPOINT = "http://scalper.test/v1"
FILE_ID = "f_01jdq3w6x1f8m3zq1v6k7c2n4r"
FILE_URL = f"{ENDPOINT}/files/{FILE_ID}"
LIST_URL = f"{ENDPOINT}/files"
Payload = Callable[..., dict[str, Any]]


def _query(api: responses.RequestsMock, index: int) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(api.calls[index].request.url)).query)


def test_get_returns_the_file_record(files: Files, api: responses.RequestsMock, payload: Payload) -> None:
    api.get(FILE_URL, json=payload("file_record_processed"))

    record = files.get(FILE_ID)

    assert isinstance(record, FileRecord)
    assert record.state is FileState.PROCESSED


def test_get_url_quotes_the_file_id(files: Files, api: responses.RequestsMock, payload: Payload) -> None:
    api.get(f"{ENDPOINT}/files/f%201%2F..%3Fx", json=payload("file_record_processed"))

    files.get("f 1/..?x")

    assert urlsplit(api.calls[0].request.url).path == "/v1/files/f%201%2F..%3Fx"


def test_list_page_sends_state_limit_and_cursor(files: Files, api: responses.RequestsMock) -> None:
    api.get(LIST_URL, json={"files": [], "next_cursor": None})

    files.list_page(state=FileState.QUARANTINED, limit=10, cursor="eyJ")

    assert _query(api, 0) == {"state": ["quarantined"], "limit": ["10"], "cursor": ["eyJ"]}


def test_list_page_sends_the_time_and_name_filters_in_utc(files: Files, api: responses.RequestsMock) -> None:
    api.get(LIST_URL, json={"files": [], "next_cursor": None})
    paris = timezone(timedelta(hours=1))

    files.list_page(
        created_after=datetime(2026, 11, 25, 22, 0, tzinfo=paris),
        created_before=datetime(2026, 11, 26, 0, 0, tzinfo=UTC),
        q="scan",
    )

    assert _query(api, 0) == {
        "created_after": ["2026-11-25T21:00:00Z"],
        "created_before": ["2026-11-26T00:00:00Z"],
        "q": ["scan"],
    }


def test_list_page_refuses_a_time_without_a_zone(files: Files) -> None:
    with pytest.raises(InvalidArgumentError, match="created_after must be timezone-aware"):
        files.list_page(created_after=datetime(2026, 11, 25))


def test_reprocess_posts_to_the_files_reprocess_route(
    files: Files, api: responses.RequestsMock, payload: Payload
) -> None:
    api.post(f"{FILE_URL}/reprocess", json=payload("file_record_processed", state="processing"), status=202)

    record = files.reprocess(FILE_ID)

    assert record.state is FileState.PROCESSING
    assert api.calls[0].request.headers["Content-Type"] == "application/json"


def test_list_page_returns_the_next_cursor(files: Files, api: responses.RequestsMock, payload: Payload) -> None:
    api.get(LIST_URL, json={"files": [payload("file_record_processed")], "next_cursor": "page-2"})

    page = files.list_page()

    assert page.next_cursor == "page-2"
    assert [record.file_id for record in page.files] == [FILE_ID]


def test_list_follows_cursors_across_pages(files: Files, api: responses.RequestsMock, payload: Payload) -> None:
    def page(ids: list[str], cursor: str | None) -> dict[str, Any]:
        return {"files": [payload("file_record_processed", file_id=i) for i in ids], "next_cursor": cursor}

    api.get(LIST_URL, json=page(["f_5", "f_4"], "c1"))
    api.get(LIST_URL, json=page(["f_3", "f_2"], "c2"))
    api.get(LIST_URL, json=page(["f_1"], None))

    ids = [record.file_id for record in files.list(limit=2)]

    assert ids == ["f_5", "f_4", "f_3", "f_2", "f_1"]
    assert [_query(api, i).get("cursor") for i in range(3)] == [None, ["c1"], ["c2"]]
    assert all(_query(api, i)["limit"] == ["2"] for i in range(3))


def test_list_fetches_the_next_page_only_when_needed(
    files: Files, api: responses.RequestsMock, payload: Payload
) -> None:
    api.get(LIST_URL, json={"files": [payload("file_record_processed")], "next_cursor": "c1"})

    first = next(iter(files.list()))

    assert first.file_id == FILE_ID
    assert len(api.calls) == 1


def test_list_filters_by_state(files: Files, api: responses.RequestsMock) -> None:
    api.get(LIST_URL, json={"files": [], "next_cursor": None})

    list(files.list(state="failed"))

    assert _query(api, 0) == {"state": ["failed"]}


def test_unknown_state_is_refused_before_any_request(files: Files) -> None:
    with pytest.raises(ValueError, match="sideways"):
        files.list(state="sideways")


def test_wait_returns_at_once_when_the_file_is_already_final(
    files: Files, api: responses.RequestsMock, payload: Payload, sleeps: list[float]
) -> None:
    api.get(FILE_URL, json=payload("file_record_quarantined", file_id=FILE_ID))

    record = files.wait(FILE_ID)

    assert record.state is FileState.QUARANTINED
    assert sleeps == []


def test_wait_keeps_polling_through_pending_and_processing(
    files: Files, api: responses.RequestsMock, payload: Payload, sleeps: list[float]
) -> None:
    for state in ("pending_upload", "processing", "processing", "processed"):
        api.get(FILE_URL, json=payload("file_record_processed", state=state))

    record = files.wait(FILE_ID, interval=1.0)

    assert record.state is FileState.PROCESSED
    assert len(api.calls) == 4
    assert sleeps == [1.0, 1.5, 2.25]


def test_wait_keeps_polling_while_a_failure_will_be_retried(
    files: Files, api: responses.RequestsMock, payload: Payload
) -> None:
    retrying = {"code": "internal_error", "message": "storage hiccup", "retryable": True}
    api.get(FILE_URL, json=payload("file_record_processed", state="failed", error=retrying))
    api.get(FILE_URL, json=payload("file_record_processed"))

    record = files.wait(FILE_ID)

    assert record.state is FileState.PROCESSED


def test_wait_raises_wait_timeout_error_with_the_last_record(
    files: Files, api: responses.RequestsMock, payload: Payload, sleeps: list[float]
) -> None:
    api.get(FILE_URL, json=payload("file_record_processed", state="processing"))

    with pytest.raises(WaitTimeoutError) as caught:
        files.wait(FILE_ID, timeout=5.0, interval=1.0)

    assert caught.value.record.state is FileState.PROCESSING
    assert caught.value.file_id == FILE_ID
    assert sum(sleeps) == pytest.approx(5.0)
    assert not isinstance(caught.value, TimeoutError)


def test_wait_interval_grows_up_to_a_cap(
    files: Files, api: responses.RequestsMock, payload: Payload, sleeps: list[float]
) -> None:
    api.get(FILE_URL, json=payload("file_record_processed", state="processing"))

    with pytest.raises(WaitTimeoutError):
        files.wait(FILE_ID, timeout=120.0, interval=1.0)

    assert all(later >= earlier for earlier, later in itertools.pairwise(sleeps[:-1]))
    assert max(sleeps) == 10.0
