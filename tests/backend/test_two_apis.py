"""template.yaml's two ways in: the API-key API and the IAM (SigV4) API, same functions and routes.

What SAM makes of them is checked on the template as the SAM translator transforms it,
offline, since neither moto nor the local stack runs SAM itself.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest


@pytest.fixture
def translated(template) -> dict[str, Any]:
    """The template as SAM transforms it (function-scoped: it needs the fake AWS region)."""
    from samtranslator.translator.transform import transform

    doc = copy.deepcopy(template.doc)
    doc["Globals"]["Function"]["CodeUri"] = "s3://bucket/backend.zip"  # sam build's job, not ours here

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return transform(doc, {}, NoManagedPolicies())  # type: ignore[no-any-return]


def _methods(translated: dict[str, Any], api: str) -> dict[tuple[str, str], dict[str, Any]]:
    paths = translated["Resources"][api]["Properties"]["Body"]["paths"]
    return {(method.upper(), path): spec for path, item in paths.items() for method, spec in item.items()}


def test_both_apis_serve_the_same_routes_with_the_same_functions(template):
    by_api = {api.auth: {(r.method, r.path, r.function) for r in api.routes} for api in template.apis()}

    assert by_api["iam"] == by_api["api_key"]  # a new route needs an event on each API
    assert len(by_api["iam"]) >= 3


def test_the_iam_api_requires_sigv4_on_every_method(translated):
    for route, spec in _methods(translated, "ScalperIamApi").items():
        assert spec["security"] == [{"AWS_IAM": []}], route


def test_the_iam_api_invokes_functions_with_their_permission_not_the_callers_credentials(translated):
    # Without InvokeRole: NONE, SAM sets credentials arn:aws:iam::*:user/* (the caller's).
    for route, spec in _methods(translated, "ScalperIamApi").items():
        assert "credentials" not in spec["x-amazon-apigateway-integration"], route


def test_the_key_api_requires_an_api_key_on_every_method(translated):
    for route, spec in _methods(translated, "ScalperApi").items():
        assert spec["security"] == [{"api_key": []}], route


@pytest.mark.parametrize("api", ["ScalperApi", "ScalperIamApi"])
def test_both_apis_get_every_shared_gateway_response(translated, template, api):
    responses = translated["Resources"][api]["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]

    assert set(template.doc["Globals"]["Api"]["GatewayResponses"]) <= set(responses)
    assert responses["THROTTLED"]["responseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}


def test_the_iam_api_endpoint_is_an_output(template):
    assert "${ScalperIamApi}" in template.doc["Outputs"]["IamApiEndpoint"]["Value"]["Fn::Sub"]


def test_the_usage_plan_serves_the_key_api_and_throttles_each_key(template):
    assert template.usage_plan("ScalperApi") == "PartnersUsagePlan"
    assert template.usage_plan("ScalperIamApi") is None  # no API keys there: the method throttle applies
    assert template.properties("PartnersUsagePlan")["Throttle"]
    assert all(api.method_throttle for api in template.apis())
