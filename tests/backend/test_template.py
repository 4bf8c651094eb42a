"""template.yaml and the code agree: handlers, variables, indexes, security defaults."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from scalper_backend.adapters.files_table import BY_CREATED_INDEX, BY_DUE_INDEX, BY_STATE_INDEX
from scalper_backend.api.openapi import openapi_document
from scalper_backend.config import Settings
from scalper_backend.errors import ConfigurationError
from scalper_backend.local.template import Template

ROOT = Path(__file__).resolve().parents[2]
ALL_BUCKETS = ("InputBucket", "OutputBucket", "QuarantineBucket", "TrailBucket")


def test_every_function_handler_exists(template):
    for function in template.of_type("AWS::Serverless::Function"):
        module, _, name = template.function_handler(function).rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


# Not set by the template: the rules file deployed with the code is the default on AWS;
# only the local stack (`scalper local --rules`) and tests point elsewhere.
CODE_DEFAULTS = {"rules_file"}


def test_template_sets_exactly_the_variables_settings_read(template):
    settings_fields = set(Settings.model_fields) - CODE_DEFAULTS
    for function in template.of_type("AWS::Serverless::Function"):
        env = template.function_environment(function)
        assert Settings.from_env(env)  # complete and valid
        ours = {name.lower() for name in env if not name.startswith("POWERTOOLS_")}
        assert ours == settings_fields


def test_files_table_has_the_indexes_the_code_queries(template):
    indexes = {i["IndexName"] for i in template.properties("FilesTable")["GlobalSecondaryIndexes"]}
    assert indexes == {BY_CREATED_INDEX, BY_STATE_INDEX, BY_DUE_INDEX}


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_buckets_are_encrypted_private_and_refuse_plain_http(template, bucket):
    props = template.properties(bucket)
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    policy = template.properties(f"{bucket}Policy")["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in policy)


def test_tables_queues_and_logs_are_encrypted_with_the_stack_key(template):
    for table in template.of_type("AWS::DynamoDB::Table"):
        sse = template.properties(table)["SSESpecification"]
        assert (sse["SSEEnabled"], sse["SSEType"], _key_of(template, sse["KMSMasterKeyId"])) == (True, "KMS", "DataKey")
    for queue in template.of_type("AWS::SQS::Queue"):
        assert _key_of(template, template.properties(queue)["KmsMasterKeyId"]) == "DataKey"
    for group in template.of_type("AWS::Logs::LogGroup"):
        assert _key_of(template, template.properties(group)["KmsKeyId"]) == "DataKey"


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_buckets_are_encrypted_with_the_stack_key(template, bucket):
    (rule,) = template.properties(bucket)["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    default = rule["ServerSideEncryptionByDefault"]
    assert (default["SSEAlgorithm"], _key_of(template, default["KMSMasterKeyID"])) == ("aws:kms", "DataKey")
    assert rule["BucketKeyEnabled"] is True  # one KMS call per bucket key, not per object


def test_the_key_lets_s3_notify_the_encrypted_queue_and_logs_encrypt(template):
    # S3 event notifications to an SSE-KMS queue need the key (SQS developer guide, "Configure
    # KMS permissions for AWS services"); so does CloudWatch Logs for an encrypted group.
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= _service_actions(template, "DataKey", "s3.amazonaws.com")
    logs = _service_actions(template, "DataKey", f"logs.{template.region}.amazonaws.com")
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= logs


@pytest.mark.parametrize(
    ("function", "services"),
    [
        ("PresignFunction", {"s3", "dynamodb"}),
        ("StatusFunction", {"dynamodb"}),
        ("ProcessorFunction", {"s3", "sqs", "dynamodb", "sns"}),
        ("ReprocessFunction", {"s3", "sqs", "dynamodb"}),
        ("SweeperFunction", {"sqs", "dynamodb", "sns"}),
    ],
)
def test_each_function_may_use_the_key_only_through_the_services_it_calls(template, function, services):
    statements = [
        s for s in template.properties(function)["Policies"][0]["Statement"] if _actions(s)[0].startswith("kms:")
    ]
    via = set()
    for statement in statements:
        assert _key_of(template, statement["Resource"]) == "DataKey"
        names = template.resolve(statement["Condition"]["StringEquals"]["kms:ViaService"])
        via.update(n.split(".")[0] for n in ([names] if isinstance(names, str) else names))
    assert via == services


def test_upload_queue_has_a_dead_letter_queue_and_alarms_watch_it(template):
    redrive = template.properties("UploadEventsQueue")["RedrivePolicy"]
    assert template.resolve(redrive["deadLetterTargetArn"]) == template.arn("UploadEventsDeadLetterQueue")
    alarm = template.properties("DeadLetterQueueAlarm")
    assert template.resolve(alarm["Dimensions"][0]["Value"]) == template.physical_name("UploadEventsDeadLetterQueue")
    assert template.properties("ProcessorErrorsAlarm")["MetricName"] == "Errors"


def test_every_function_is_built_by_the_makefile_with_the_shared_inspection_package(template):
    # Without it, sam build would package backend/ alone and the functions could not
    # import scalper_inspection (see the Makefile's build-% target).
    for function in template.of_type("AWS::Serverless::Function"):
        metadata = template.resources[function].get("Metadata", {})
        build = {key: metadata.get(key) for key in ("BuildMethod", "ContextPath", "WorkingDirectory")}
        assert build == {"BuildMethod": "makefile", "ContextPath": ".", "WorkingDirectory": "."}, function


def test_every_api_route_requires_an_api_key(template):
    api = template.api("api_key")
    assert template.api_properties(api.logical_id)["Auth"]["ApiKeyRequired"] is True
    routes = {(r.method, r.path) for r in api.routes}
    assert routes == {
        ("POST", "/uploads"),
        ("POST", "/uploads/{file_id}/parts"),
        ("POST", "/uploads/{file_id}/complete"),
        ("DELETE", "/uploads/{file_id}"),
        ("GET", "/files/{file_id}"),
        ("GET", "/files"),
        ("GET", "/rules"),
        ("POST", "/files/{file_id}/reprocess"),
    }


def _grants(template, function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a function's policy allows, resources resolved."""
    pairs = set()
    for statement in template.properties(function)["Policies"][0]["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        # The stack key's id exists only once created: named by its logical id here.
        stack_key = statement["Resource"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        resources = "DataKey" if stack_key else template.resolve(statement["Resource"])
        for resource in [resources] if isinstance(resources, str) else resources:
            pairs |= {(action, resource) for action in actions}
    return pairs


def test_presign_role_holds_exactly_what_the_uploads_code_calls(template):
    table, idempotency = template.arn("FilesTable"), template.arn("IdempotencyTable")
    key = "DataKey"
    uploads = f"arn:aws:s3:::{template.physical_name('InputBucket')}/uploads/*"
    assert _grants(template, "PresignFunction") == {
        *{(f"dynamodb:{a}", table) for a in ("GetItem", "PutItem", "UpdateItem")},
        ("dynamodb:GetItem", template.arn("PartnersTable")),
        *{(f"dynamodb:{a}", idempotency) for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")},
        # Signing URLs and the multipart calls, only under uploads/ in the input bucket.
        ("s3:PutObject", uploads),
        ("s3:AbortMultipartUpload", uploads),
        # The stack key, only through S3 (the partner's PUT) and DynamoDB (the conditions
        # restricting it to those services are checked in the key tests).
        *{(f"kms:{a}", key) for a in ("GenerateDataKey", "Decrypt")},
        *{(f"kms:{a}", key) for a in ("Encrypt", "Decrypt", "ReEncrypt*", "GenerateDataKey*", "DescribeKey")},
    }


def test_status_role_cannot_write(template):
    actions = {action for action, _ in _grants(template, "StatusFunction")}
    assert actions == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "kms:Decrypt", "kms:DescribeKey"}


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


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_every_bucket_aborts_incomplete_multipart_uploads(template, bucket):
    # Managed uploads and copies over 8 MB are multipart; a crashed one leaves billed parts.
    rules = template.properties(bucket)["LifecycleConfiguration"]["Rules"]
    aborts = [r for r in rules if r["Status"] == "Enabled" and "AbortIncompleteMultipartUpload" in r]
    assert aborts and all(r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1 for r in aborts)


def _statements_on(template, function, resource_prefix):
    statements = template.properties(function)["Policies"][0]["Statement"]
    found = []
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if any(str(_resolved(template, r)).startswith(resource_prefix) for r in resources):
            found.append(statement)
    return found


def _resolved(template, value):
    try:
        return template.resolve(value)
    except ConfigurationError:  # a KMS key's id exists only once the key does
        return None


@pytest.mark.parametrize(("bucket", "prefix"), [("OutputBucket", "processed/"), ("QuarantineBucket", "quarantine/")])
def test_processor_can_abort_the_multipart_writes_it_starts(template, bucket, prefix):
    arn = f"{template.arn(bucket)}/{prefix}"
    actions = {a for s in _statements_on(template, "ProcessorFunction", arn) for a in _actions(s)}
    assert {"s3:PutObject", "s3:AbortMultipartUpload"} <= actions


def _actions(statement):
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


S3_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


@pytest.mark.parametrize("stack_name", ["scalper", "Scalper-Prod", "S" + "-very-long-stack-name" * 6])
def test_bucket_names_are_valid_whatever_the_stack_is_called(stack_name):
    # CloudFormation stack names may hold capitals and 128 characters; bucket names may not.
    template = Template(ROOT / "template.yaml", stack_name=stack_name, region="eu-west-1")
    for bucket in ALL_BUCKETS:
        assert S3_BUCKET_NAME.match(template.physical_name(bucket)), template.physical_name(bucket)


def test_bucket_names_differ_between_stacks_of_the_same_name_in_two_regions():
    # Bucket names are global: the same stack deployed in two regions must not collide.
    names = {
        region: {template.physical_name(b) for b in ALL_BUCKETS}
        for region in ("us-east-1", "eu-west-1")
        for template in [Template(ROOT / "template.yaml", stack_name="scalper", region=region)]
    }
    assert not names["us-east-1"] & names["eu-west-1"]


def test_the_queue_policy_admits_exactly_the_input_bucket(template):
    statement = template.properties("UploadEventsQueuePolicy")["PolicyDocument"]["Statement"][0]
    assert template.resolve(statement["Condition"]["ArnLike"]["aws:SourceArn"]) == template.arn("InputBucket")


def test_protected_tables_are_retained_so_a_failed_first_deploy_rolls_back_cleanly(template):
    # Rolling back a failed create deletes what it created, unless DeletionPolicy is Retain
    # (RetainExceptOnCreate deletes too); DeleteTable on a protected table fails, and the
    # stack would be stuck in ROLLBACK_FAILED.
    for table in template.of_type("AWS::DynamoDB::Table"):
        resource = template.resources[table]
        assert resource["Properties"]["DeletionProtectionEnabled"] is True
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def test_functions_log_to_the_template_log_group_which_exists_first(template):
    # A log group named after the function is created after it: an invocation in between
    # (the queue's event source starts at once) makes Lambda create the group itself, and
    # then CloudFormation's create fails with "already exists".
    for function in template.of_type("AWS::Serverless::Function"):
        group = template.properties(function)["LoggingConfig"]["LogGroup"]
        assert template.resources[group["Ref"]]["Type"] == "AWS::Logs::LogGroup"
        name = template.properties(group["Ref"])["LogGroupName"]
        assert function not in json.dumps(name)


def _key_of(template, reference):
    """The logical id of the template's KMS key a KmsMasterKeyId/KMSMasterKeyID refers to."""
    logical_id = reference.get("Ref") or reference.get("Fn::GetAtt", [None])[0] if isinstance(reference, dict) else None
    assert logical_id and template.resources[logical_id]["Type"] == "AWS::KMS::Key", reference
    return logical_id


def _service_actions(template, key, service):
    """Every action the key policy allows a service principal."""
    actions = set()
    for statement in template.properties(key)["KeyPolicy"]["Statement"]:
        services = template.resolve(statement.get("Principal", {}).get("Service", []))
        if statement["Effect"] == "Allow" and service in ([services] if isinstance(services, str) else services):
            actions.update(_actions(statement))
    return actions


def test_cloudwatch_alarms_can_publish_to_the_encrypted_alerts_topic(template):
    # The AWS managed key alias/aws/sns does not let CloudWatch use it: alarms would change
    # state and notify no one. A customer managed key must allow cloudwatch.amazonaws.com.
    key = _key_of(template, template.properties("AlertsTopic")["KmsMasterKeyId"])
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= _service_actions(template, key, "cloudwatch.amazonaws.com")
    assert template.properties(key)["EnableKeyRotation"] is True


def _policies_of(template, policy_type, targets_key, logical_id):
    return [
        template.properties(p)["PolicyDocument"]["Statement"]
        for p in template.of_type(policy_type)
        if {"Ref": logical_id} in template.properties(p)[targets_key]
    ]


def _denies_plain_http(statements):
    return any(
        s["Effect"] == "Deny" and s["Principal"] == "*" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in statements
    )


def test_queues_and_the_topic_refuse_plain_http(template):
    for queue in template.of_type("AWS::SQS::Queue"):
        (statements,) = _policies_of(template, "AWS::SQS::QueuePolicy", "Queues", queue)
        assert _denies_plain_http(statements), queue
    (statements,) = _policies_of(template, "AWS::SNS::TopicPolicy", "Topics", "AlertsTopic")
    assert _denies_plain_http(statements)


def test_the_topic_policy_still_lets_this_accounts_alarms_publish(template):
    # A topic policy replaces the default one, which is what let CloudWatch publish.
    (statements,) = _policies_of(template, "AWS::SNS::TopicPolicy", "Topics", "AlertsTopic")
    cloudwatch = {"Service": "cloudwatch.amazonaws.com"}
    (allow,) = [s for s in statements if s["Effect"] == "Allow" and s["Principal"] == cloudwatch]
    assert allow["Action"] == "sns:Publish"
    assert template.resolve(allow["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        f"arn:aws:cloudwatch:{template.region}:123456789012:alarm:*"
    )


def _lifecycle(template, bucket):
    return {r["Id"]: r for r in template.properties(bucket)["LifecycleConfiguration"]["Rules"]}


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_noncurrent_versions_expire_after_the_recovery_window(template, bucket):
    rule = _lifecycle(template, bucket)["ExpireNoncurrentVersions"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == {"Ref": "NoncurrentVersionRetentionDays"}


def test_quarantined_data_is_kept_for_a_parameterised_period(template):
    rule = _lifecycle(template, "QuarantineBucket")["ExpireQuarantine"]
    assert rule["Status"] == "Enabled" and "Prefix" not in rule  # quarantine/ and orphans/ alike
    assert rule["ExpirationInDays"] == {"Ref": "QuarantineRetentionDays"}


def test_inputs_never_processed_are_removed_after_a_parameterised_period(template):
    # Processed and quarantined inputs are deleted by the processor at once; this catches
    # the rest (a file whose processing failed for good).
    rule = _lifecycle(template, "InputBucket")["ExpireUnprocessedUploads"]
    assert (rule["Status"], rule["Prefix"]) == ("Enabled", "uploads/")
    assert rule["ExpirationInDays"] == {"Ref": "UnprocessedUploadRetentionDays"}
    assert _lifecycle(template, "InputBucket")["RemoveExpiredDeleteMarkers"]["ExpiredObjectDeleteMarker"] is True


@pytest.mark.parametrize(
    "parameter", ["QuarantineRetentionDays", "UnprocessedUploadRetentionDays", "NoncurrentVersionRetentionDays"]
)
def test_retention_parameters_have_bounded_defaults(template, parameter):
    spec = template.doc["Parameters"][parameter]
    assert spec["Type"] == "Number" and spec["MinValue"] <= spec["Default"] <= spec["MaxValue"]


def _rendered_access_log(template):
    """An access log line as API Gateway would write it, with sample context values."""
    log_format = template.doc["Globals"]["Api"]["AccessLogSetting"]["Format"]
    return json.loads(re.sub(r"\$context\.[A-Za-z.]+", "sample", log_format))


def test_every_api_writes_access_logs_to_an_encrypted_retained_group(template):
    setting = template.doc["Globals"]["Api"]["AccessLogSetting"]
    group = setting["DestinationArn"]["Fn::GetAtt"][0]
    assert template.resources[group]["Type"] == "AWS::Logs::LogGroup"
    assert template.properties(group)["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for api in template.apis():  # Globals cover every API
        assert "AccessLogSetting" not in template.properties(api.logical_id)


def test_access_log_lines_say_who_called_what_and_the_outcome(template):
    line = _rendered_access_log(template)
    assert {"requestId", "apiKeyId", "userArn", "sourceIp", "httpMethod", "path", "status"} <= set(line)


def test_access_logs_never_carry_secrets_or_free_text(template):
    log_format = template.doc["Globals"]["Api"]["AccessLogSetting"]["Format"]
    # The API key's value, query strings (a filename search), headers and bodies stay out.
    for forbidden in ("$context.identity.apiKey\"", "$input", "$method.request", "userAgent", "querystring"):
        assert forbidden not in log_format


def test_every_api_is_traced_and_never_logs_bodies(template):
    api = template.doc["Globals"]["Api"]
    assert api["TracingEnabled"] is True
    (settings,) = api["MethodSettings"]
    assert (settings["DataTraceEnabled"], settings["MetricsEnabled"]) == (False, True)


def test_the_stage_name_is_a_parameter(template):
    assert all(template.properties(api.logical_id)["StageName"] == {"Ref": "StageName"} for api in template.apis())
    assert {api.stage for api in template.apis()} == {template.doc["Parameters"]["StageName"]["Default"]} == {"v1"}


def _selector_values(selector, field, operator):
    return [v for f in selector["FieldSelectors"] if f["Field"] == field for v in f.get(operator, [])]


def test_a_trail_records_every_read_and_write_of_files_and_records(template):
    # HIPAA audit controls: who read which object or record. Data events only; the
    # account's own trail keeps management events.
    trail = template.properties("DataEventTrail")
    assert template.resources["DataEventTrail"]["Condition"] == "CreateDataEventTrail"
    assert trail["IsLogging"] is True and trail["EnableLogFileValidation"] is True
    assert _key_of(template, trail["KMSKeyId"]) == "DataKey"
    selectors = trail["AdvancedEventSelectors"]
    assert all(_selector_values(s, "eventCategory", "Equals") == ["Data"] for s in selectors)
    (objects,) = [s for s in selectors if _selector_values(s, "resources.type", "Equals") == ["AWS::S3::Object"]]
    (items,) = [s for s in selectors if _selector_values(s, "resources.type", "Equals") == ["AWS::DynamoDB::Table"]]
    buckets = {b for b in template.of_type("AWS::S3::Bucket") if b != "TrailBucket"}
    assert set(template.resolve(_selector_values(objects, "resources.ARN", "StartsWith"))) == {
        f"{template.arn(b)}/" for b in buckets
    }
    # Every table with records of files or partners; the idempotency table holds only
    # hashed request keys and file ids for 24 hours.
    tables = {template.arn(t) for t in template.of_type("AWS::DynamoDB::Table") if t != "IdempotencyTable"}
    assert set(template.resolve(_selector_values(items, "resources.ARN", "Equals"))) == tables


def test_only_the_trail_may_write_to_its_bucket(template):
    statements = template.properties("TrailBucketPolicy")["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == {"cloudtrail.amazonaws.com"}
    trail_arn = template.resolve(template.doc["Resources"]["DataEventTrail"]["Properties"]["TrailName"])
    for statement in allows:
        assert template.resolve(statement["Condition"]["StringEquals"]["aws:SourceArn"]).endswith(f":trail/{trail_arn}")
    assert _denies_plain_http(statements)
    assert {"kms:GenerateDataKey*"} <= _service_actions(template, "DataKey", "cloudtrail.amazonaws.com")


def test_every_list_bucket_grant_is_bound_to_a_prefix(template):
    for function in template.of_type("AWS::Serverless::Function"):
        for statement in template.properties(function)["Policies"][0]["Statement"]:
            if "s3:ListBucket" in _actions(statement):
                conditions = {k: v for ops in statement["Condition"].values() for k, v in ops.items()}
                assert conditions["s3:prefix"], (function, statement["Sid"])


def test_processor_concurrency_is_capped_at_the_queue_not_by_throttling(template):
    # Reserved concurrency throttles batches the event source already took: they return
    # to the queue with a receive counted and can reach the dead-letter queue unprocessed.
    # The event source's maximum concurrency stops polling at the cap instead.
    (event,) = template.properties("ProcessorFunction")["Events"].values()
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ProcessorMaxConcurrency"}
    assert "ReservedConcurrentExecutions" not in template.properties("ProcessorFunction")
    spec = template.doc["Parameters"]["ProcessorMaxConcurrency"]
    assert 2 <= spec["MinValue"] <= spec["Default"] <= spec["MaxValue"] <= 1000


def test_an_alert_email_is_subscribed_only_when_given(template):
    assert template.doc["Parameters"]["AlertEmail"]["Default"] == ""
    assert template.doc["Conditions"]["HasAlertEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertEmail"}, ""]}]}
    subscription = template.resources["AlertsEmailSubscription"]
    assert subscription["Condition"] == "HasAlertEmail"
    props = subscription["Properties"]
    assert (props["Protocol"], props["Endpoint"], props["TopicArn"]) == (
        "email",
        {"Ref": "AlertEmail"},
        {"Ref": "AlertsTopic"},
    )


def test_the_key_outlives_the_stack_like_the_tables_it_encrypts(template):
    # Deleting the stack would schedule the key's deletion, leaving the retained tables
    # (and any retained objects) unreadable once it is gone.
    resource = template.resources["DataKey"]
    assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain")


def test_deploy_doc_describes_every_parameter():
    documented = set(re.findall(r"^\| \**`(\w+)`\** \|", (ROOT / "docs" / "deploy.md").read_text(), re.M))
    assert documented == set(Template(ROOT / "template.yaml", stack_name="s", region="us-east-1").doc["Parameters"])


def test_alarms_and_the_dashboard_name_only_metrics_the_functions_emit(template):
    from scalper_backend.observability import Metric

    emitted = {m.value for m in Metric}
    namespace = template.resolve(template.function_environment("ProcessorFunction")["POWERTOOLS_METRICS_NAMESPACE"])
    ours = [
        query["MetricStat"]["Metric"]
        for alarm in template.of_type("AWS::CloudWatch::Alarm")
        for query in template.properties(alarm).get("Metrics", [])
        if "MetricStat" in query
    ]
    assert ours and all(template.resolve(m["Namespace"]) == namespace for m in ours)
    assert {m["MetricName"] for m in ours} <= emitted
    body = template.properties("OperationsDashboard")["DashboardBody"]["Fn::Sub"][0]
    named = set(re.findall(r'"(Files\w+|Bytes\w+|\w+Duration|\w+Latency|Attempts\w+|QuarantineReasons)"', body))
    assert named and named <= emitted


def test_the_duration_alarm_fires_at_80_percent_of_the_processors_timeout(template):
    alarm = template.properties("ProcessorDurationAlarm")
    assert alarm["Threshold"] == 0.8 * template.function_timeout("ProcessorFunction") * 1000


@pytest.mark.parametrize(
    ("alarm", "metric"),
    [
        ("ProcessorErrorsAlarm", "Errors"),
        ("ProcessorThrottlesAlarm", "Throttles"),
        ("ProcessorDurationAlarm", "Duration"),
        ("DeadLetterQueueAlarm", "ApproximateNumberOfMessagesVisible"),
        ("UploadEventsAgeAlarm", "ApproximateAgeOfOldestMessage"),
        ("SweeperErrorsAlarm", "Errors"),
    ],
)
def test_each_operational_alarm_watches_its_metric_and_alerts(template, alarm, metric):
    props = template.properties(alarm)
    assert props["MetricName"] == metric and props["AlarmActions"] == [{"Ref": "AlertsTopic"}]


def test_the_quarantine_rate_alarm_is_a_share_of_verdicts_with_a_minimum_volume(template):
    props = template.properties("QuarantineRateAlarm")
    (rate,) = [q for q in props["Metrics"] if q.get("ReturnData")]
    assert {q["Id"] for q in props["Metrics"] if not q.get("ReturnData")} == {"quarantined", "processed"}
    assert ">= 20" in rate["Expression"] and "100 * FILL(quarantined, 0)" in rate["Expression"]
    assert props["Threshold"] == {"Ref": "QuarantineAlarmPercent"} and props["AlarmActions"] == [{"Ref": "AlertsTopic"}]


def test_the_processor_needs_no_ephemeral_storage_its_output_streams(template):
    assert "EphemeralStorage" not in template.properties("ProcessorFunction")


def test_reprocess_and_sweeper_roles_hold_exactly_what_their_code_calls(template):
    table, uploads = template.arn("FilesTable"), f"arn:aws:s3:::{template.physical_name('InputBucket')}/uploads/*"
    quarantine = f"arn:aws:s3:::{template.physical_name('QuarantineBucket')}/quarantine/*"
    queue = template.arn("UploadEventsQueue")
    reprocess = {(a, r) for a, r in _grants(template, "ReprocessFunction") if not a.startswith("kms:")}
    assert reprocess == {
        *{(f"dynamodb:{a}", table) for a in ("GetItem", "UpdateItem", "PutItem")},
        ("dynamodb:GetItem", template.arn("PartnersTable")),
        ("s3:GetObject", quarantine),
        ("s3:DeleteObject", quarantine),
        *{(f"s3:{a}", uploads) for a in ("GetObject", "PutObject", "AbortMultipartUpload")},
        ("s3:ListBucket", template.arn("InputBucket")),
        ("s3:ListBucket", template.arn("QuarantineBucket")),
        ("sqs:SendMessage", queue),
    }
    sweeper = {(a, r) for a, r in _grants(template, "SweeperFunction") if not a.startswith("kms:")}
    assert sweeper == {
        ("dynamodb:UpdateItem", table),
        ("dynamodb:Query", f"{table}/index/by_due"),
        ("s3:GetObject", uploads),
        ("s3:AbortMultipartUpload", uploads),
        ("s3:ListBucket", template.arn("InputBucket")),
        ("sqs:SendMessage", queue),
        ("sns:Publish", template.arn("AlertsTopic")),
    }


def test_the_processor_may_put_deferred_events_back_on_its_own_queue_only(template):
    sqs = {(a, r) for a, r in _grants(template, "ProcessorFunction") if a.startswith("sqs:")}

    assert sqs == {("sqs:SendMessage", template.arn("UploadEventsQueue"))}
def test_the_local_stack_reads_the_processor_event_sources_maximum_concurrency(template):
    (source,) = template.queue_sources()
    default = template.doc["Parameters"]["ProcessorMaxConcurrency"]["Default"]
    assert (source.function, source.maximum_concurrency) == ("ProcessorFunction", int(default))
