"""template.yaml and the code agree: handlers, variables, indexes, security defaults."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from scalper_backend.adapters.files_table import BY_CREATED_INDEX, BY_STATE_INDEX
from scalper_backend.api.openapi import openapi_document
from scalper_backend.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_function_handler_exists(template):
    for function in template.of_type("AWS::Serverless::Function"):
        module, _, name = template.function_handler(function).rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_template_sets_exactly_the_variables_settings_read(template):
    settings_fields = set(Settings.model_fields)
    for function in template.of_type("AWS::Serverless::Function"):
        env = template.function_environment(function)
        assert Settings.from_env(env)  # complete and valid
        ours = {name.lower() for name in env if not name.startswith("POWERTOOLS_")}
        assert ours == settings_fields


def test_files_table_has_the_indexes_the_code_queries(template):
    indexes = {i["IndexName"] for i in template.properties("FilesTable")["GlobalSecondaryIndexes"]}
    assert indexes == {BY_CREATED_INDEX, BY_STATE_INDEX}


@pytest.mark.parametrize("bucket", ["InputBucket", "OutputBucket", "QuarantineBucket"])
def test_buckets_are_encrypted_private_and_refuse_plain_http(template, bucket):
    props = template.properties(bucket)
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    policy = template.properties(f"{bucket}Policy")["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in policy)


def test_tables_and_queues_are_encrypted(template):
    for table in template.of_type("AWS::DynamoDB::Table"):
        assert template.properties(table)["SSESpecification"]["SSEEnabled"] is True
    for queue in template.of_type("AWS::SQS::Queue"):
        assert template.properties(queue)["SqsManagedSseEnabled"] is True


def test_upload_queue_has_a_dead_letter_queue_and_alarms_watch_it(template):
    redrive = template.properties("UploadEventsQueue")["RedrivePolicy"]
    assert template.resolve(redrive["deadLetterTargetArn"]) == template.arn("UploadEventsDeadLetterQueue")
    alarm = template.properties("DeadLetterQueueAlarm")
    assert template.resolve(alarm["Dimensions"][0]["Value"]) == template.physical_name("UploadEventsDeadLetterQueue")
    assert template.properties("ProcessorErrorsAlarm")["MetricName"] == "Errors"


def test_every_api_route_requires_an_api_key(template):
    assert template.properties(template.api)["Auth"]["ApiKeyRequired"] is True
    routes = {(r.method, r.path) for r in template.api_routes()}
    assert routes == {
        ("POST", "/uploads"),
        ("POST", "/uploads/{file_id}/parts"),
        ("POST", "/uploads/{file_id}/complete"),
        ("DELETE", "/uploads/{file_id}"),
        ("GET", "/files/{file_id}"),
        ("GET", "/files"),
    }


def _grants(template, function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a function's policy allows, resources resolved."""
    pairs = set()
    for statement in template.properties(function)["Policies"][0]["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        resources = template.resolve(statement["Resource"])
        for resource in [resources] if isinstance(resources, str) else resources:
            pairs |= {(action, resource) for action in actions}
    return pairs


def test_presign_role_holds_exactly_what_the_uploads_code_calls(template):
    table, idempotency = template.arn("FilesTable"), template.arn("IdempotencyTable")
    uploads = f"arn:aws:s3:::{template.physical_name('InputBucket')}/uploads/*"
    assert _grants(template, "PresignFunction") == {
        *{(f"dynamodb:{a}", table) for a in ("GetItem", "PutItem", "UpdateItem")},
        ("dynamodb:GetItem", template.arn("PartnersTable")),
        *{(f"dynamodb:{a}", idempotency) for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")},
        # Signing URLs and the multipart calls, only under uploads/ in the input bucket.
        ("s3:PutObject", uploads),
        ("s3:AbortMultipartUpload", uploads),
    }


def test_status_role_cannot_write(template):
    actions = {action for action, _ in _grants(template, "StatusFunction")}
    assert actions == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}


def test_idempotency_keys_expire_with_a_ttl_on_the_attribute_powertools_writes(template):
    ttl = template.properties("IdempotencyTable")["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expiration", "Enabled": True}
    assert template.properties("IdempotencyTable")["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_published_openapi_document_matches_the_code():
    published = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert published == openapi_document(), "run `make openapi` and commit docs/openapi.json"


def test_openapi_document_is_valid_openapi():
    from openapi_spec_validator import validate

    validate(openapi_document())


def test_a_live_attempt_is_never_taken_over_or_redelivered(template):
    timeout = template.function_timeout("ProcessorFunction")
    lease = int(template.function_environment("ProcessorFunction")["PROCESSING_LEASE_SECONDS"])
    visibility = int(template.properties("UploadEventsQueue")["VisibilityTimeout"])
    assert lease > timeout
    assert visibility >= 6 * timeout  # AWS's advice for Lambda event sources
