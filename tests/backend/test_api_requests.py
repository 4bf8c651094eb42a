"""Reading requests: what a body must be, and who the caller is (only what API Gateway verified)."""

from __future__ import annotations

import hashlib
import json

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from scalper_backend.api.requests import caller_principal, parse_body
from scalper_backend.api.schemas import UploadRequest
from scalper_backend.errors import ApiError, Forbidden
from scalper_backend.local.template import Throttle
from scalper_backend.local.throttle import Throttles

GOOD = {"filename": "a.csv", "size": 4, "content_type": "text/csv", "sha256": hashlib.sha256(b"a\n1\n").hexdigest()}


def _event(body: str | None, content_type: str | None = "application/json", **identity: str) -> APIGatewayProxyEvent:
    headers = {"Content-Type": content_type} if content_type else {}
    return APIGatewayProxyEvent({"body": body, "headers": headers, "requestContext": {"identity": identity}})


def _code(event: APIGatewayProxyEvent) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        parse_body(event, UploadRequest)
    return refused.value.status, refused.value.code


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="UTF-8"'],
)
def test_a_json_body_declared_as_json_is_read(content_type):
    assert parse_body(_event(json.dumps(GOOD), content_type), UploadRequest).size == 4


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "application/json; charset=latin-1"],
)
def test_a_body_not_declared_as_utf8_json_is_unsupported_media_type(content_type):
    assert _code(_event(json.dumps(GOOD), content_type)) == (415, "unsupported_media_type")


def test_no_body_and_no_content_type_is_not_a_json_object():
    assert _code(_event(None, None)) == (400, "invalid_json")


@pytest.mark.parametrize(
    "body",
    [
        '{"filename": "a.csv", "size": -1, "size": 8, "content_type": "text/csv", "sha256": "SHA"}',
        '{"filename": "a", "size": 4, "content_type": "text/csv", "sha256": "SHA", "metadata": {"k": "", "k": ""}}',
    ],
)
def test_a_body_that_repeats_a_key_is_invalid_json(body):
    assert _code(_event(body.replace("SHA", GOOD["sha256"]))) == (400, "invalid_json")


def test_a_deeply_nested_body_is_invalid_json_not_a_crash():
    assert _code(_event("[" * 100_000)) == (400, "invalid_json")


def test_the_api_key_id_is_the_principal_on_the_key_api():
    event = _event(None, apiKeyId="k123", userArn="arn:aws:iam::123456789012:user/someone-else")

    assert caller_principal(event) == "apikey:k123"


def test_the_verified_user_arn_is_the_principal_on_the_iam_api():
    event = _event(None, userArn="arn:aws:sts::123456789012:assumed-role/clinic/s1")

    assert caller_principal(event) == "iam:arn:aws:iam::123456789012:role/clinic"


def test_a_request_without_a_verified_identity_is_forbidden():
    with pytest.raises(Forbidden):
        caller_principal(_event(None, apiKey="a-key-value-the-client-sent"))


def test_a_token_bucket_allows_its_burst_then_its_rate():
    now = [0.0]
    throttles = Throttles(clock=lambda: now[0])
    limit = Throttle(burst=3, rate=2.0)

    assert [throttles.allow("k", limit) for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back at 2 per second
    assert [throttles.allow("k", limit) for _ in range(2)] == [True, False]
    now[0] = 100.0  # never more than the burst
    assert sum(throttles.allow("k", limit) for _ in range(10)) == 3
    assert throttles.allow("another-key", limit)  # buckets are per key
