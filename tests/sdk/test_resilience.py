"""Retrying safely: idempotency keys on declarations, Retry-After dates, PUTs from the first byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from sdk.fake_api import read_body

from silent_scalper import APIConnectionError, Client, ConflictError, UploadError
from silent_scalper._retry import RetryPolicy, retry_after_seconds

ENDPOINT = "http://scalper.test/v1"
UPLOAD_URL = "http://storage.test/scalper-input/uploads/acme/f_01jdq3w6x1f8m3zq1v6k7c2n4r?X-Amz-Signature=abc123"
FILE_ID = "f_01jdq3w6x1f8m3zq1v6k7c2n4r"
CONTENT = b"id,name\n1,alpha\n2,gamma\n"
Payload = Callable[..., dict[str, Any]]
ErrorBody = Callable[..., dict[str, Any]]


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Client:
    client = Client(ENDPOINT, "key", max_retries=2)
    policy = RetryPolicy(max_retries=2, sleep=sleeps.append)
    client._transport.retry = policy
    client._storage.retry = policy
    return client


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "scan-report.csv"
    path.write_bytes(CONTENT)
    return path


def test_declaration_is_retried_with_the_same_idempotency_key_and_body(
    client: Client, api: responses.RequestsMock, payload: Payload, error_body: ErrorBody, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", body=requests.ConnectionError("reset by peer"))
    api.post(f"{ENDPOINT}/uploads", status=503, json=error_body("unavailable"))
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(UPLOAD_URL)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(csv_file)

    posts = [call.request for call in api.calls if call.request.method == "POST"]
    keys = {post.headers["Idempotency-Key"] for post in posts}
    assert len(posts) == 3
    assert len(keys) == 1 and keys.pop().startswith("sdk-")
    assert len({post.body for post in posts}) == 1


def test_each_upload_gets_its_own_idempotency_key(
    client: Client, api: responses.RequestsMock, payload: Payload, csv_file: Path
) -> None:
    for _ in range(2):
        api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
        api.put(UPLOAD_URL)
        api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(csv_file)
    client.upload(csv_file)

    keys = [c.request.headers["Idempotency-Key"] for c in api.calls if c.request.method == "POST"]
    assert len(set(keys)) == 2


def test_request_in_progress_is_retried_after_its_retry_after(
    client: Client,
    api: responses.RequestsMock,
    payload: Payload,
    error_body: ErrorBody,
    csv_file: Path,
    sleeps: list[float],
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=409, json=error_body("request_in_progress"), headers={"Retry-After": "1"})
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(UPLOAD_URL)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(csv_file)

    assert sleeps == [1.0]


def test_idempotency_key_reused_with_another_body_is_not_retried(
    client: Client, api: responses.RequestsMock, error_body: ErrorBody, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=409, json=error_body("idempotency_key_reused"))

    with pytest.raises(ConflictError, match="idempotency_key_reused"):
        client.upload(csv_file)

    assert len(api.calls) == 1


def test_retry_after_may_be_an_http_date() -> None:
    now = 1_700_000_000.0

    assert retry_after_seconds(formatdate(now + 7, usegmt=True), now=now) == pytest.approx(7.0)
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert retry_after_seconds(formatdate(now + 3600, usegmt=True), now=now) is None  # beyond a minute: ours
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds("2.5", now=now) == 2.5


def test_presigned_put_is_retried_from_the_first_byte_after_slowdown_and_a_dropped_connection(
    client: Client, api: responses.RequestsMock, payload: Payload, csv_file: Path, sleeps: list[float]
) -> None:
    bodies: list[bytes] = []
    answers = iter(
        [
            (503, {"Retry-After": "2"}, "<Error><Code>SlowDown</Code><Message>Reduce your rate</Message></Error>"),
            requests.ConnectionError("connection reset"),
            (200, {"ETag": '"e"'}, ""),
        ]
    )

    def storage(request: requests.PreparedRequest) -> Any:
        bodies.append(read_body(request.body))
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.add_callback(responses.PUT, UPLOAD_URL, callback=storage)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(csv_file)

    assert bodies == [CONTENT] * 3
    assert sleeps[0] == 2.0 and len(sleeps) == 2


def test_put_refused_for_a_bad_signature_is_not_retried(
    client: Client, api: responses.RequestsMock, payload: Payload, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(UPLOAD_URL, status=403, body="<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>")

    with pytest.raises(UploadError) as caught:
        client.upload(csv_file)

    assert caught.value.code == "SignatureDoesNotMatch" and not caught.value.url_expired
    assert sum(c.request.method == "PUT" for c in api.calls) == 1


def test_storage_connection_error_does_not_repeat_the_signed_url(
    client: Client, api: responses.RequestsMock, payload: Payload, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(UPLOAD_URL, body=requests.ConnectionError("boom"))

    with pytest.raises(APIConnectionError) as caught:
        client.upload(csv_file)

    assert "X-Amz-Signature" not in str(caught.value) and "abc123" not in str(caught.value)
    assert sum(c.request.method == "PUT" for c in api.calls) == 3


def test_a_stack_that_is_not_running_says_what_to_check() -> None:
    with Client("http://127.0.0.1:9/v1", "key", max_retries=0) as client, pytest.raises(APIConnectionError) as caught:
        client.get("f_1")

    message = str(caught.value)
    assert "Connection refused" in message
    assert "SCALPER_ENDPOINT" in message and "scalper local" in message
    assert "HTTPConnection object at" not in message


def test_an_endpoint_without_the_stage_gets_a_hint(api: responses.RequestsMock, error_body: ErrorBody) -> None:
    api.get("http://scalper.test/files/f_1", status=404, json=error_body("route_not_found", "no route GET /files/f_1"))

    with Client("http://scalper.test", "key") as client, pytest.raises(Exception) as caught:
        client.get("f_1")

    assert "should end with the stage name, for example http://scalper.test/v1" in str(caught.value)


def test_query_strings_are_sent_in_sigv4_canonical_form(api: responses.RequestsMock) -> None:
    api.get(f"{ENDPOINT}/files", json={"files": [], "next_cursor": None})

    with Client(ENDPOINT, "key") as client:
        client._transport.get("/files", cast_to=dict_model(), params={"q": "scan report+1", "ids": "f_a,f_b"})

    assert str(api.calls[0].request.url).endswith("/files?ids=f_a%2Cf_b&q=scan%20report%2B1")


def dict_model() -> Any:
    from silent_scalper.models import FilePage

    return FilePage


def test_the_body_of_an_idempotent_retry_is_byte_identical(
    client: Client, api: responses.RequestsMock, payload: Payload, error_body: ErrorBody, csv_file: Path
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=502, json=error_body("bad_gateway"))
    api.post(f"{ENDPOINT}/uploads", status=201, json=payload("upload_ticket"))
    api.put(UPLOAD_URL)
    api.get(f"{ENDPOINT}/files/{FILE_ID}", json=payload("file_record_processed"))

    client.upload(csv_file, metadata={"clinic": "north"})

    first, second = (json.loads(c.request.body) for c in api.calls if c.request.method == "POST")
    assert first == second and first["metadata"] == {"clinic": "north"}
