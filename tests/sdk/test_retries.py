"""Retries: GET is retried on transient failures with backoff, POST never is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses

from silent_scalper import (
    APIConnectionError,
    ApiKeyAuth,
    APITimeoutError,
    BadRequestError,
    Files,
    InternalServerError,
    RateLimitError,
)
from silent_scalper._http import USER_AGENT, Transport
from silent_scalper._retry import RetryPolicy
from silent_scalper.models import FilePage, UploadTicket

ENDPOINT = "http://scalper.test/v1"
LIST_URL = f"{ENDPOINT}/files"
EMPTY_PAGE: dict[str, Any] = {"files": [], "next_cursor": None}
ErrorBody = Callable[..., dict[str, Any]]


def test_get_is_retried_on_503_honouring_retry_after(
    files: Files, api: responses.RequestsMock, sleeps: list[float], error_body: ErrorBody
) -> None:
    api.get(LIST_URL, status=503, json=error_body("unavailable"), headers={"Retry-After": "3"})
    api.get(LIST_URL, status=503, json=error_body("unavailable"), headers={"Retry-After": "1.5"})
    api.get(LIST_URL, json=EMPTY_PAGE)

    page = files.list_page()

    assert page.files == []
    assert sleeps == [3.0, 1.5]


def test_get_gives_up_after_max_retries_with_the_last_error(
    files: Files, api: responses.RequestsMock, sleeps: list[float], error_body: ErrorBody
) -> None:
    api.get(LIST_URL, status=503, json=error_body("unavailable"))

    with pytest.raises(InternalServerError):
        files.list_page()

    assert len(api.calls) == 3  # the first attempt and max_retries=2 retries
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [429, 502, 504])
def test_get_is_retried_on_throttling_and_gateway_errors(
    transport: Transport, api: responses.RequestsMock, error_body: ErrorBody, status: int
) -> None:
    api.get(LIST_URL, status=status, json=error_body("transient"))
    api.get(LIST_URL, json=EMPTY_PAGE)

    page = transport.get("/files", cast_to=FilePage)

    assert page.files == []
    assert len(api.calls) == 2


def test_get_is_not_retried_on_a_client_error(
    transport: Transport, api: responses.RequestsMock, error_body: ErrorBody
) -> None:
    api.get(LIST_URL, status=400, json=error_body("invalid_cursor"))

    with pytest.raises(BadRequestError, match="invalid_cursor"):
        transport.get("/files", cast_to=FilePage)

    assert len(api.calls) == 1


def test_backoff_without_retry_after_is_jittered_and_grows_exponentially(
    transport: Transport, api: responses.RequestsMock, sleeps: list[float], error_body: ErrorBody
) -> None:
    api.get(LIST_URL, status=503, json=error_body("unavailable"))

    with pytest.raises(InternalServerError):
        transport.get("/files", cast_to=FilePage)

    first, second = sleeps
    assert 0 <= first <= 0.5
    assert 0 <= second <= 1.0


def test_unusable_retry_after_falls_back_to_backoff(
    transport: Transport, api: responses.RequestsMock, sleeps: list[float], error_body: ErrorBody
) -> None:
    api.get(LIST_URL, status=429, json=error_body("throttled"), headers={"Retry-After": "3600"})
    api.get(LIST_URL, json=EMPTY_PAGE)

    transport.get("/files", cast_to=FilePage)

    assert sleeps[0] <= 0.5


def test_post_is_never_retried(
    transport: Transport, api: responses.RequestsMock, sleeps: list[float], error_body: ErrorBody
) -> None:
    api.post(f"{ENDPOINT}/uploads", status=429, json=error_body("throttled"), headers={"Retry-After": "1"})

    with pytest.raises(RateLimitError):
        transport.post("/uploads", cast_to=UploadTicket, json={})

    assert len(api.calls) == 1
    assert sleeps == []


def test_post_connection_error_is_not_retried(
    transport: Transport, api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.post(f"{ENDPOINT}/uploads", body=requests.ConnectionError("connection refused"))

    with pytest.raises(APIConnectionError):
        transport.post("/uploads", cast_to=UploadTicket, json={})

    assert len(api.calls) == 1


def test_connection_error_becomes_api_connection_error_chained_to_the_cause(
    transport: Transport, api: responses.RequestsMock
) -> None:
    api.get(LIST_URL, body=requests.ConnectionError("connection refused"))

    with pytest.raises(APIConnectionError) as caught:
        transport.get("/files", cast_to=FilePage)

    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert not isinstance(caught.value, APITimeoutError)
    assert len(api.calls) == 3


def test_get_recovers_when_a_retry_connects(
    transport: Transport, api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(LIST_URL, body=requests.ConnectionError("connection reset"))
    api.get(LIST_URL, json=EMPTY_PAGE)

    page = transport.get("/files", cast_to=FilePage)

    assert page.next_cursor is None
    assert len(sleeps) == 1


def test_read_timeout_becomes_api_timeout_error(transport: Transport, api: responses.RequestsMock) -> None:
    api.get(LIST_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(APITimeoutError):
        transport.get("/files", cast_to=FilePage)


def test_max_retries_zero_disables_retries(api: responses.RequestsMock, error_body: ErrorBody) -> None:
    transport = Transport(ENDPOINT, auth=ApiKeyAuth("k"), retry=RetryPolicy(max_retries=0, sleep=lambda _: None))
    api.get(LIST_URL, status=503, json=error_body("unavailable"))

    with pytest.raises(InternalServerError):
        transport.get("/files", cast_to=FilePage)

    assert len(api.calls) == 1


def test_requests_carry_the_sdk_user_agent_and_a_timeout(transport: Transport, api: responses.RequestsMock) -> None:
    api.get(LIST_URL, json=EMPTY_PAGE)

    transport.get("/files", cast_to=FilePage)

    assert api.calls[0].request.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("silent-scalper/")
    assert transport.timeout == (5.0, 30.0)
