"""The local gateway's API keys behave as API Gateway's: a key is accepted only while it
exists, is enabled and is in a usage plan, looked up on every request. Tested through
``ApiKeyAuthenticator.authenticate``, what the gateway asks before any function runs."""

from __future__ import annotations

import secrets

import boto3
import pytest

from scalper_backend.adapters.api_keys import ApiKeys
from scalper_backend.adapters.partners_table import PartnersTable
from scalper_backend.local.api_keys import ApiKeyAuthenticator, find_key
from scalper_backend.local.gateway_responses import Refusal
from scalper_backend.local.proxy_event import ReceivedRequest
from scalper_backend.onboarding import create_partner


@pytest.fixture
def apigateway(backend):
    return boto3.client("apigateway")


@pytest.fixture
def plan_id(apigateway) -> str:
    return str(apigateway.create_usage_plan(name="scalper-test-partners")["id"])


@pytest.fixture
def onboard(backend, apigateway, plan_id):
    """``scalper admin partner create``: returns the new key's value."""
    table = PartnersTable(backend.clients["dynamodb"], backend.settings.partners_table)
    return lambda partner: create_partner(partner, keys=ApiKeys(apigateway, plan_id), table=table).api_key


@pytest.fixture
def authenticator(apigateway) -> ApiKeyAuthenticator:
    # What the moto process answers the gateway (credential_store.py), here from mock_aws.
    return ApiKeyAuthenticator(lambda value: find_key(value, "us-east-1"))


def _key_id(authenticator: ApiKeyAuthenticator, value: str | None) -> str | None:
    """The key id the gateway would put in the event, or None when it refuses the key."""
    headers = [("x-api-key", value)] if value is not None else []
    request = ReceivedRequest(method="GET", raw_path="/v1/files", raw_query="", headers=headers, body=b"")
    try:
        return authenticator.authenticate(request).identity["apiKeyId"]
    except Refusal as refused:
        assert refused.response_type == "INVALID_API_KEY"
        return None


def _operator_key(apigateway, *, enabled: bool, plan_id: str | None) -> tuple[str, str]:
    value = secrets.token_urlsafe(30)
    key = apigateway.create_api_key(name="operator-made", enabled=enabled, value=value)
    if plan_id:
        apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return value, key["id"]


def test_a_partners_key_is_known_by_its_value(authenticator, apigateway, onboard):
    value = onboard("globex")

    (key,) = [k for k in apigateway.get_api_keys()["items"] if k["name"] == "partner-globex"]
    assert _key_id(authenticator, value) == key["id"]


def test_an_enabled_key_made_into_the_plan_by_an_operator_is_accepted(authenticator, apigateway, plan_id):
    value, key_id = _operator_key(apigateway, enabled=True, plan_id=plan_id)
    assert _key_id(authenticator, value) == key_id


def test_an_enabled_key_outside_every_usage_plan_is_refused(authenticator, apigateway, onboard):
    onboard("acme")  # a plan with a key in it already
    value, _ = _operator_key(apigateway, enabled=True, plan_id=None)

    assert _key_id(authenticator, value) is None


def test_a_disabled_key_in_the_usage_plan_is_refused(authenticator, apigateway, plan_id):
    value, _ = _operator_key(apigateway, enabled=False, plan_id=plan_id)
    assert _key_id(authenticator, value) is None


def test_a_key_disabled_after_use_is_refused_on_the_next_request(authenticator, apigateway, plan_id):
    value, key_id = _operator_key(apigateway, enabled=True, plan_id=plan_id)
    assert _key_id(authenticator, value) == key_id

    apigateway.update_api_key(apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])

    assert _key_id(authenticator, value) is None


def test_a_key_taken_out_of_the_plan_after_use_is_refused_on_the_next_request(authenticator, apigateway, plan_id):
    value, key_id = _operator_key(apigateway, enabled=True, plan_id=plan_id)
    assert _key_id(authenticator, value) == key_id

    apigateway.delete_usage_plan_key(usagePlanId=plan_id, keyId=key_id)

    assert _key_id(authenticator, value) is None


@pytest.mark.parametrize("value", [None, "", "not-a-key"])
def test_no_key_or_an_unknown_key_is_refused(authenticator, onboard, value):
    onboard("acme")
    assert _key_id(authenticator, value) is None
