"""Gateway responses: the template's, rendered as API Gateway renders them, on both APIs."""

from __future__ import annotations

import json

import pytest

from scalper_backend.local.gateway_responses import TYPES, Refusal, render
from scalper_backend.local.template import GatewayResponse

HOSTILE_MESSAGE = 'Signature "expired" \\ at $context.requestId\n<html>'


@pytest.mark.parametrize("auth", ["api_key", "iam"])
@pytest.mark.parametrize("response_type", sorted(TYPES))
def test_every_gateway_response_is_json_in_our_error_shape(template, auth, response_type):
    response = render(template.api(auth).responses, Refusal(response_type, HOSTILE_MESSAGE), "req-1")

    body = json.loads(response.get_data())  # the old DEFAULT_4XX quoted messageString again: invalid JSON
    assert set(body) == {"error"}
    assert body["error"]["code"] and body["error"]["message"]
    assert body["error"]["request_id"] == "req-1"
    assert response.status_code // 100 == TYPES[response_type].status // 100
    assert response.headers["Content-Type"] == "application/json"


def test_message_string_is_substituted_once_and_already_quoted():
    template = '{"m":$context.error.messageString,"raw":"$context.error.message"}'
    responses = {"DEFAULT_4XX": GatewayResponse(None, template)}

    body = render(responses, Refusal("INVALID_SIGNATURE", 'a "b" $context.requestId'), "req-2").get_data(as_text=True)

    assert json.loads(body.split(',"raw"')[0] + "}")["m"] == 'a "b" $context.requestId'
    assert '"raw":"a "b" $context.requestId"' in body  # message is the bare text, as on AWS


def test_a_type_the_template_does_not_customise_falls_back_to_default_4xx_with_its_own_status():
    responses = {"DEFAULT_4XX": GatewayResponse(None, '{"fallback":true}')}

    response = render(responses, Refusal("THROTTLED"), "r")

    assert (response.status_code, response.get_data(as_text=True)) == (429, '{"fallback":true}')


def test_a_status_on_default_4xx_becomes_every_other_4xx_status():
    responses = {"DEFAULT_4XX": GatewayResponse(418, "{}")}

    assert render(responses, Refusal("INVALID_API_KEY"), "r").status_code == 418


def test_without_a_template_the_body_is_aws_default_message():
    response = render({}, Refusal("MISSING_AUTHENTICATION_TOKEN"), "r")

    assert (response.status_code, response.get_json()) == (403, {"message": "Missing Authentication Token"})
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("auth", ["api_key", "iam"])
def test_throttled_answers_carry_retry_after(template, auth):
    response = render(template.api(auth).responses, Refusal("THROTTLED"), "r")

    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")
    assert response.get_json()["error"]["code"] == "throttled"


@pytest.mark.parametrize(
    ("auth", "status", "code"), [("api_key", 404, "route_not_found"), ("iam", 403, "forbidden")]
)
def test_missing_authentication_token_means_no_route_on_the_key_api_and_unsigned_on_the_iam_api(
    template, auth, status, code
):
    response = render(template.api(auth).responses, Refusal("MISSING_AUTHENTICATION_TOKEN"), "r")

    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)


@pytest.mark.parametrize(
    ("response_type", "code"),
    [
        ("INVALID_SIGNATURE", "signature_invalid"),
        ("EXPIRED_TOKEN", "signature_expired"),
        ("ACCESS_DENIED", "forbidden"),
    ],
)
def test_signature_refusals_keep_aws_message(template, response_type, code):
    message = "Signature expired: 20261125T213720Z is now earlier than 20261125T214220Z (20261125T214720Z - 5 min.)"

    body = render(template.api("iam").responses, Refusal(response_type, message), "r").get_json()

    assert body["error"] == {"code": code, "message": message, "request_id": "r"}
