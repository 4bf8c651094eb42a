"""schemathesis against the OpenAPI document the API serves (docs/openapi.json), through
the running local stack: every operation, with generated valid and invalid requests, as
a partner with a valid API key. No answer may be a 5xx, and every answer must match the
document (status code and body schema). Bounded: a fixed number of examples per
operation; hypothesis's statistics print the counts run."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.e2e

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


schema = schemathesis.openapi.from_path(OPENAPI)
# One test per operation, each with its own id (schemathesis's own `parametrize` gives all
# of them one node id, which pytest-xdist cannot tell apart: it ran one of eight).
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
@given(data=st.data())
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_without_5xx_and_as_documented(operation, data, stack):
    case = data.draw(operation.as_strategy(), label="request")
    case.call_and_validate(
        base_url=stack.endpoint,
        headers={"x-api-key": stack.keys["acme"]},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
        timeout=15,
    )
