"""The local gateway refuses what API Gateway refuses, as API Gateway answers it (issue 10, defect 7).

Every refusal is our JSON error, never the HTTP server's HTML page and never a 5xx.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.api_errors import json_error

pytestmark = pytest.mark.e2e

GOOD = {"filename": "a.csv", "size": 4, "content_type": "text/csv", "sha256": hashlib.sha256(b"a\n1\n").hexdigest()}
JSON = {"Content-Type": "application/json"}
TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("size", [TEN_MB + 1, 30 * 1024 * 1024])
def test_a_body_over_10_mb_is_request_too_large(stack, size):
    response = stack.api("POST", "/uploads", data=b" " * size, headers=JSON)

    json_error(response, 413, "request_too_large")  # the whole answer, not a reset connection


def test_a_chunked_body_over_10_mb_is_request_too_large(stack):
    chunks = (b" " * (1024 * 1024) for _ in range(11))  # no Content-Length: sent chunked

    json_error(stack.api("POST", "/uploads", data=chunks, headers=JSON), 413, "request_too_large")


def test_a_body_of_exactly_10_mb_reaches_the_function(stack):
    body = json.dumps(GOOD).encode()
    body += b" " * (TEN_MB - len(body))

    assert stack.api("POST", "/uploads", data=body, headers=JSON).status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Big": "a" * 100_000}, id="one 100 KB header"),
        pytest.param({"X-A": "a" * 6_000, "X-B": "b" * 6_000}, id="12 KB over two headers"),
        pytest.param({f"X-H{i}": "v" for i in range(120)}, id="120 headers"),
    ],
)
def test_headers_over_the_limit_get_our_json_error_not_html(stack, headers):
    json_error(stack.api("GET", "/files", headers=headers), 413, "request_too_large")


def test_headers_under_the_limit_pass(stack):
    assert stack.api("GET", "/files", headers={"X-Big": "a" * 9_000}).status_code == 200


def test_a_request_line_over_the_limit_gets_our_jsonjson_error(stack):
    json_error(stack.api("GET", "/files", params={"cursor": "c" * 70_000}), 413, "request_too_large")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("[" * 2000, id="2000 brackets"),
        pytest.param(base64.urlsafe_b64encode(b"[" * 2000).decode(), id="2000 brackets, base64"),
        pytest.param(base64.urlsafe_b64encode(b'{"a":' * 600).decode(), id="600 objects, base64"),
    ],
)
def test_a_deeply_nested_cursor_is_invalid_cursor_not_a_crash(stack, cursor):
    json_error(stack.api("GET", "/files", params={"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_not_declared_as_json_is_unsupported_media_type(stack, content_type):
    response = stack.api("POST", "/uploads", data=json.dumps(GOOD), headers={"Content-Type": content_type})

    json_error(response, 415, "unsupported_media_type")


def test_a_body_that_repeats_a_key_is_invalid_json(stack):
    body = json.dumps(GOOD).replace('"size": 4', '"size": -1, "size": 8')

    error = json_error(stack.api("POST", "/uploads", data=body, headers=JSON), 400, "invalid_json")

    assert "size" in error["message"]


def test_a_key_disabled_after_use_is_refused_at_once(stack, onboard, unique):
    partner = unique("disabled")
    new = onboard(partner)
    assert stack.api("GET", "/files", partner).status_code == 200  # the gateway now knows the key

    stack.aws("apigateway").update_api_key(
        apiKey=new.api_key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )

    json_error(stack.api("GET", "/files", partner), 403, "forbidden")


def test_a_key_removed_from_the_usage_plan_after_use_is_refused_at_once(stack, onboard, unique):
    partner = unique("unplanned")
    new = onboard(partner)
    assert stack.api("GET", "/files", partner).status_code == 200
    apigateway = stack.aws("apigateway")
    plan = apigateway.get_usage_plans(keyId=new.api_key_id)["items"][0]["id"]

    apigateway.delete_usage_plan_key(usagePlanId=plan, keyId=new.api_key_id)

    json_error(stack.api("GET", "/files", partner), 403, "forbidden")


def test_a_deleted_key_is_refused_at_once(stack, onboard, unique):
    partner = unique("deleted")
    new = onboard(partner)
    assert stack.api("GET", "/files", partner).status_code == 200

    stack.aws("apigateway").delete_api_key(apiKey=new.api_key_id)

    json_error(stack.api("GET", "/files", partner), 403, "forbidden")


def test_requests_to_different_functions_at_once_each_get_their_own_event(stack):
    """Declarations (presign) and reads (status) in flight together: on Lambda each function
    is a process of its own; locally they share one, and Powertools keeps the resolver's
    current event on a class attribute. Were the two run at once, a declaration would be
    read with the GET's empty body and refused as ``invalid_json``."""
    def declare(_: int) -> int:
        return stack.api("POST", "/uploads", json=GOOD).status_code

    def read(_: int) -> int:
        return stack.api("GET", "/files", params={"limit": 1}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        declared = pool.map(declare, range(60))
        read_back = pool.map(read, range(60))
        codes = Counter(declared) + Counter(read_back)
    assert codes == Counter({201: 60, 200: 60})
