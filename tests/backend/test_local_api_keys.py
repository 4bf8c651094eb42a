"""The local gateway's API keys behave as API Gateway's: a key is accepted only when it is
enabled and in the usage plan. Tested through ``ApiKeys.key_id``, what the gateway asks."""

from __future__ import annotations

import secrets

import boto3
import pytest

from scalper_backend.adapters.partners_table import PartnersTable
from scalper_backend.local.api_keys import ApiKeys


@pytest.fixture
def apigateway(backend):
    return boto3.client("apigateway")


@pytest.fixture
def api_keys(backend, apigateway) -> ApiKeys:
    partners = PartnersTable(backend.clients["dynamodb"], backend.settings.partners_table)
    keys = ApiKeys(apigateway, partners, "scalper-test-partners")
    keys.create_partner("acme")  # a plan with a key in it already
    return keys


def _key_in_plan(apigateway, *, enabled: bool) -> str:
    value = secrets.token_urlsafe(30)
    key = apigateway.create_api_key(name="operator-made", enabled=enabled, value=value)
    (plan,) = apigateway.get_usage_plans()["items"]
    apigateway.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return value


def test_a_partners_key_is_known_by_its_value(api_keys, apigateway):
    value = api_keys.create_partner("globex")

    (key,) = [k for k in apigateway.get_api_keys()["items"] if k["name"] == "partner-globex"]
    assert api_keys.key_id(value) == key["id"]


def test_an_enabled_key_made_into_the_plan_by_an_operator_is_accepted(api_keys, apigateway):
    assert api_keys.key_id(_key_in_plan(apigateway, enabled=True)) is not None


def test_an_enabled_key_outside_the_usage_plan_is_refused(api_keys, apigateway):
    value = secrets.token_urlsafe(30)
    apigateway.create_api_key(name="not-in-the-plan", enabled=True, value=value)

    assert api_keys.key_id(value) is None


def test_a_disabled_key_in_the_usage_plan_is_refused(api_keys, apigateway):
    assert api_keys.key_id(_key_in_plan(apigateway, enabled=False)) is None


@pytest.mark.parametrize("value", [None, "", "not-a-key"])
def test_no_key_or_an_unknown_key_is_refused(api_keys, value):
    assert api_keys.key_id(value) is None
