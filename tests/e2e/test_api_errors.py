"""Every bad request gets a 4xx JSON error with a stable code; no input produces a 5xx."""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest

pytestmark = pytest.mark.e2e

GOOD = {"filename": "a.csv", "size": 4, "content_type": "text/csv", "sha256": hashlib.sha256(b"a\n1\n").hexdigest()}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["request_id"]
    assert "Traceback" not in response.text
    return error


@pytest.mark.parametrize("path", ["/files", "/files/f_01jdq3w6x1f8m3zq1v6k7c2n4r"])
def test_request_without_api_key_is_forbidden(stack, path):
    _error(stack.api("GET", path, partner=None), 403, "forbidden")


def test_request_with_unknown_api_key_is_forbidden(stack):
    _error(stack.api("POST", "/uploads", partner=None, headers={"x-api-key": "not-a-key"}, json=GOOD), 403, "forbidden")


def test_disabled_api_key_is_forbidden(stack):
    apigateway = stack.aws("apigateway")
    key = apigateway.create_api_key(name="to-disable", enabled=True, value="k" * 40)
    plan = apigateway.get_usage_plans()["items"][0]["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key["id"], keyType="API_KEY")
    apigateway.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )

    _error(stack.api("GET", "/files", partner=None, headers={"x-api-key": "k" * 40}), 403, "forbidden")


def test_enabled_api_key_outside_the_usage_plan_is_forbidden(stack):
    value = secrets.token_urlsafe(30)
    stack.aws("apigateway").create_api_key(name="not-in-the-plan", enabled=True, value=value)

    _error(stack.api("GET", "/files", partner=None, headers={"x-api-key": value}), 403, "forbidden")


def test_valid_key_without_a_partner_is_refused(stack):
    apigateway = stack.aws("apigateway")
    key = apigateway.create_api_key(name="no-partner", enabled=True, value="n" * 40)
    plan = apigateway.get_usage_plans()["items"][0]["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key["id"], keyType="API_KEY")

    _error(stack.api("GET", "/files", partner=None, headers={"x-api-key": "n" * 40}), 403, "unknown_partner")


def test_another_partners_file_is_not_found(stack, upload):
    ticket = upload(b"a\n1\n", partner="globex")

    error = _error(stack.api("GET", f"/files/{ticket['file_id']}", partner="acme"), 404, "file_not_found")

    assert ticket["file_id"] in error["message"]
    assert stack.api("GET", f"/files/{ticket['file_id']}", partner="globex").status_code == 200


def test_not_found_message_does_not_echo_a_huge_id(stack):
    error = _error(stack.api("GET", "/files/" + "x" * 5000), 404, "file_not_found")
    assert len(error["message"]) < 100


def test_unknown_file_id_is_not_found(stack):
    _error(stack.api("GET", "/files/f_01jdq3w6x1f8m3zq1v6k7c2n4r"), 404, "file_not_found")
    _error(stack.api("GET", "/files/not-an-id"), 404, "file_not_found")
    traversal = stack.api("GET", "/files/..%2F..%2Fetc")
    assert traversal.status_code == 404 and traversal.json()["error"]["code"] in {"file_not_found", "route_not_found"}


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nope"), ("DELETE", "/files"), ("GET", "/uploads"), ("PUT", "/files/x")]
)
def test_unknown_route_is_a_json_404(stack, method, path):
    _error(stack.api(method, path), 404, "route_not_found")


def test_body_that_is_not_json_is_invalid_json(stack):
    json_body = {"Content-Type": "application/json"}
    _error(stack.api("POST", "/uploads", data=b"{not json", headers=json_body), 400, "invalid_json")
    _error(stack.api("POST", "/uploads", data=b"[1, 2]", headers=json_body), 400, "invalid_json")
    _error(stack.api("POST", "/uploads"), 400, "invalid_json")
    _error(stack.api("POST", "/uploads", data=b"\xff\xfe\x00binary", headers=json_body), 400, "invalid_json")


def test_a_body_that_names_a_key_twice_is_invalid_json(stack):
    as_json = {"Content-Type": "application/json"}
    body = json.dumps(GOOD)[:-1] + ', "filename": "b.csv"}'
    _error(stack.api("POST", "/uploads", data=body.encode(), headers=as_json), 400, "invalid_json")
    nested = json.dumps({**GOOD, "metadata": {"k": "v"}}).replace('"k": "v"', '"k": "v", "k": "w"')
    _error(stack.api("POST", "/uploads", data=nested.encode(), headers=as_json), 400, "invalid_json")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"filename": ""}, "filename"),
        ({"filename": "a\x00b.csv"}, "filename"),
        ({"filename": "x" * 256}, "filename"),
        ({"size": -1}, "size"),
        ({"size": "12"}, "size"),
        ({"size": 1.5}, "size"),
        ({"sha256": "abc"}, "sha256"),
        ({"sha256": "g" * 64}, "sha256"),
        ({"metadata": {"bad key!": "v"}}, "metadata"),
        ({"metadata": {f"k{i}": "v" for i in range(11)}}, "metadata"),
        ({"metadata": {"clinic": "north\u0000\u202e"}}, "metadata"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_upload_field_is_named_in_the_error(stack, change, field):
    error = _error(stack.api("POST", "/uploads", json={**GOOD, **change}), 400, "invalid_request")
    assert error["message"].startswith(field)


def test_missing_field_is_named_in_the_error(stack):
    body = dict(GOOD)
    del body["sha256"]
    assert _error(stack.api("POST", "/uploads", json=body), 400, "invalid_request")["message"].startswith("sha256")


def test_unsupported_content_type_is_415(stack):
    _error(
        stack.api("POST", "/uploads", json={**GOOD, "content_type": "application/pdf"}), 415, "unsupported_content_type"
    )


def test_content_type_parameters_are_ignored(stack):
    answer = stack.api("POST", "/uploads", json={**GOOD, "content_type": "Text/CSV; charset=utf-8"})
    assert answer.status_code == 201
    assert answer.json()["upload"]["headers"]["Content-Type"] == "text/csv"


def test_file_over_the_limit_is_413(stack):
    _error(stack.api("POST", "/uploads", json={**GOOD, "size": 6 * 1024**3}), 413, "file_too_large")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"state": "done"}, "invalid_request"),
        ({"limit": "0"}, "invalid_request"),
        ({"limit": "101"}, "invalid_request"),
        ({"limit": "ten"}, "invalid_request"),
        ({"limit": "\u00b2"}, "invalid_request"),
        ({"limit": "\u0663"}, "invalid_request"),
        ({"limit": "1e3"}, "invalid_request"),
        ({"cursor": "!!!"}, "invalid_cursor"),
        ({"cursor": "e30"}, "invalid_cursor"),
        ({"state": "Processed"}, "invalid_request"),
        ({"created_after": "yesterday"}, "invalid_request"),
        ({"created_after": "2026-11-25T21:37:20"}, "invalid_request"),  # no UTC offset
        ({"created_before": "2026-11-25T21:37:20Z" + "0" * 50}, "invalid_request"),
        ({"created_after": "2026-11-26T00:00:00Z", "created_before": "2026-11-25T00:00:00Z"}, "invalid_request"),
        ({"q": "x" * 256}, "invalid_request"),
        ({"q": "a\u0000b"}, "invalid_request"),
        ({"ids": ""}, "invalid_request"),
        ({"ids": ",,"}, "invalid_request"),
        ({"ids": "not-an-id"}, "invalid_request"),
        ({"ids": ",".join(["f_01jdq3w6x1f8m3zq1v6k7c2n4r"] * 1) + ",../x"}, "invalid_request"),
        ({"ids": ",".join(f"f_01jdq3w6x1f8m3zq1v6k7c2n{i:02d}" for i in range(101))}, "invalid_request"),
        ({"ids": "f_01jdq3w6x1f8m3zq1v6k7c2n4r", "state": "processed"}, "invalid_request"),
        ({"ids": "f_01jdq3w6x1f8m3zq1v6k7c2n4r", "cursor": "e30"}, "invalid_request"),
    ],
)
def test_invalid_list_query_is_400(stack, query, code):
    _error(stack.api("GET", "/files", params=query), 400, code)
