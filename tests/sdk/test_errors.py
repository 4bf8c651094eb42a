"""Error responses become one typed exception per status, carrying what support needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses

from silent_scalper import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Files,
    InternalServerError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ScalperError,
    UnsupportedMediaTypeError,
)

ENDPOINT = "http://scalper.test/v1"
FILE_URL = f"{ENDPOINT}/files/f_1"
ErrorBody = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (415, UnsupportedMediaTypeError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
    ],
)
def test_each_status_maps_to_its_exception_class(
    files: Files, api: responses.RequestsMock, error_body: ErrorBody, status: int, error_class: type[APIStatusError]
) -> None:
    # Every retryable status is answered the same way each time, so retries end in the same error.
    api.get(FILE_URL, status=status, json=error_body("some_code"))

    with pytest.raises(error_class) as caught:
        files.get("f_1")

    assert caught.value.status_code == status
    assert isinstance(caught.value, ScalperError)


def test_status_without_a_subclass_is_a_plain_api_status_error(files: Files, api: responses.RequestsMock) -> None:
    api.get(FILE_URL, status=418, json={"error": {"code": "teapot", "message": "short and stout"}})

    with pytest.raises(APIStatusError) as caught:
        files.get("f_1")

    assert type(caught.value) is APIStatusError
    assert caught.value.code == "teapot"


def test_error_carries_code_message_request_id_and_body(
    files: Files, api: responses.RequestsMock, error_body: ErrorBody
) -> None:
    body = error_body("file_not_found", "no file f_1", "c0ffee")
    api.get(FILE_URL, status=404, json=body)

    with pytest.raises(NotFoundError) as caught:
        files.get("f_1")

    error = caught.value
    assert (error.code, error.message, error.request_id) == ("file_not_found", "no file f_1", "c0ffee")
    assert error.body == body
    assert str(error) == "404 file_not_found: no file f_1 (request_id=c0ffee)"


def test_request_id_falls_back_to_the_api_gateway_header(
    files: Files, api: responses.RequestsMock, error_body: ErrorBody
) -> None:
    api.get(FILE_URL, status=403, json=error_body("forbidden", request_id=None), headers={"x-amzn-RequestId": "gw-42"})

    with pytest.raises(PermissionDeniedError) as caught:
        files.get("f_1")

    assert caught.value.request_id == "gw-42"


def test_non_json_error_body_still_maps_by_status_with_unknown_error_code(
    files: Files, api: responses.RequestsMock
) -> None:
    html = "<html><body><h1>413 Request Entity Too Large</h1></body></html>"
    api.get(FILE_URL, status=413, body=html, content_type="text/html")

    with pytest.raises(PayloadTooLargeError) as caught:
        files.get("f_1")

    assert caught.value.code == "unknown_error"
    assert caught.value.body == html


def test_api_gateway_default_message_shape_keeps_its_message(files: Files, api: responses.RequestsMock) -> None:
    api.get(FILE_URL, status=403, json={"message": "Forbidden"})

    with pytest.raises(PermissionDeniedError) as caught:
        files.get("f_1")

    assert (caught.value.code, caught.value.message) == ("unknown_error", "Forbidden")


def test_success_body_that_is_not_json_raises_response_validation_error(
    files: Files, api: responses.RequestsMock
) -> None:
    api.get(FILE_URL, status=200, body="<html>captive portal</html>", content_type="text/html")

    with pytest.raises(APIResponseValidationError, match="not JSON"):
        files.get("f_1")


def test_success_body_of_the_wrong_shape_raises_response_validation_error(
    files: Files, api: responses.RequestsMock
) -> None:
    api.get(FILE_URL, status=200, json={"file_id": "f_1"})

    with pytest.raises(APIResponseValidationError, match="FileRecord"):
        files.get("f_1")


def test_an_expired_signature_points_at_the_clock(files: Files, api: responses.RequestsMock) -> None:
    body = {"error": {"code": "signature_invalid", "message": "Signature expired: 20261126T040000Z is now earlier"}}
    api.get(FILE_URL, status=403, json=body)

    with pytest.raises(PermissionDeniedError) as caught:
        files.get("f_1")

    assert caught.value.message.endswith("this machine's clock may be off: `scalper doctor` compares it with the API's")
