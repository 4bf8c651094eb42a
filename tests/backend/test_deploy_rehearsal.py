"""Deploy rehearsal: template.yaml as `sam deploy` would send it, created by moto's CloudFormation.

The SAM translator turns the template into plain CloudFormation offline (the same
library `sam deploy`'s transform runs), with every parameter at its default; moto's
CloudFormation then creates what it can, and the tests read the result back through the
AWS APIs: buckets, tables, queues, topic, key, log groups and functions as a deploy
leaves them. What moto cannot create is named in ``MOTO_CANNOT_CREATE`` and
``MOTO_IGNORES`` and asserted on the translated template instead.
"""

from __future__ import annotations

import copy
import importlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

from scalper_backend.adapters.files_table import BY_CREATED_INDEX, BY_DUE_INDEX, BY_STATE_INDEX
from scalper_backend.config import Settings

# moto reports each MOTO_IGNORES resource it skips; the first test checks which were skipped.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS.* not supported by moto:UserWarning")

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
STACK = "scalper-rehearsal"
ARTIFACTS = "rehearsal-artifacts"
# What `sam build` + `sam package` put in place of CodeUri: backend/ zipped in S3.
CODE_URI = f"s3://{ARTIFACTS}/backend.zip"
# The translator resolves managed policy names through IAM; offline, this map stands in.
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for name, path in {
        "AWSLambdaBasicExecutionRole": "service-role/",
        "AWSLambdaSQSQueueExecutionRole": "service-role/",
        "AWSXrayWriteOnlyAccess": "",
    }.items()
}
# moto's CloudFormation fails on these (the REST API's OpenAPI body is not imported, so the
# deployment has no methods); they are left out of the stack and checked on the template.
MOTO_CANNOT_CREATE = {
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::Account",
    "AWS::Lambda::Permission",
    # Its body names the alarms' ARNs, and moto creates no alarms (MOTO_IGNORES).
    "AWS::CloudWatch::Dashboard",
}
# moto's CloudFormation accepts these and creates nothing; checked on the template too.
MOTO_IGNORES = {
    "AWS::CloudWatch::Alarm",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::CloudTrail::Trail",
    "AWS::CloudFormation::WaitConditionHandle",
}
# Properties moto's CloudFormation drops when it creates the resource; checked on the template.
MOTO_DROPS = {
    # moto applies only a bucket's name, encryption and tags.
    "AWS::S3::Bucket": [
        "PublicAccessBlockConfiguration",
        "VersioningConfiguration",
        "LifecycleConfiguration",
        "OwnershipControls",
        "NotificationConfiguration",
    ],
    "AWS::DynamoDB::Table": ["SSESpecification"],
    "AWS::Logs::LogGroup": ["KmsKeyId"],
    "AWS::Lambda::Function": ["LoggingConfig"],
}
ACCOUNT = "123456789012"  # moto's


def translate(sam_template: dict[str, Any], session: boto3.session.Session) -> dict[str, Any]:
    """The CloudFormation template `sam deploy` would create, with CodeUri packaged."""
    document = copy.deepcopy(sam_template)
    document["Globals"]["Function"]["CodeUri"] = CODE_URI
    translator = Translator(MANAGED_POLICIES, Parser(), boto_session=session)
    return translator.translate(document, parameter_values={}, get_managed_policy_map=lambda: MANAGED_POLICIES)


def broken_handlers(translated: dict[str, Any]) -> list[str]:
    """Each function whose Handler does not name a callable in the backend package."""
    broken = []
    for logical_id, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        handler = resource["Properties"]["Handler"]
        module_name, _, attribute = handler.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            broken.append(f"{logical_id}: {handler} ({err})")
            continue
        origin = Path(module.__file__ or "").resolve()
        if ROOT / "backend" not in origin.parents:
            broken.append(f"{logical_id}: {handler} is not in backend/ (the CodeUri)")
        elif not callable(getattr(module, attribute, None)):
            broken.append(f"{logical_id}: {handler} has no callable {attribute!r}")
    return broken


@dataclass
class Deployed:
    translated: dict[str, Any]
    physical: dict[str, str]
    not_created: set[str]
    session: boto3.session.Session

    def client(self, service: str) -> Any:
        return self.session.client(service)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def sam_template() -> dict[str, Any]:
    return yaml_parse((ROOT / "template.yaml").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def deployed(sam_template: dict[str, Any]) -> Iterator[Deployed]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    translated = translate(sam_template, session)
    creatable = copy.deepcopy(translated)
    for logical_id, resource in translated["Resources"].items():
        if resource["Type"] in MOTO_CANNOT_CREATE:
            del creatable["Resources"][logical_id]
    creatable.pop("Outputs", None)  # they name the REST API
    with mock_aws():
        s3 = session.client("s3")
        s3.create_bucket(Bucket=ARTIFACTS)
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.write(ROOT / "backend/scalper_backend/__init__.py", "scalper_backend/__init__.py")
        s3.put_object(Bucket=ARTIFACTS, Key="backend.zip", Body=package.getvalue())
        cloudformation = session.client("cloudformation")
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=json.dumps(creatable),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        summaries = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries if r["LogicalResourceId"]}
        yield Deployed(translated, physical, set(translated["Resources"]) - set(physical), session)


def _of_type(translated: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in translated["Resources"].items() if v["Type"] == type_name}


# -- what moto cannot create is named, and only that is missing


def test_only_what_moto_cannot_create_is_missing_from_the_stack(deployed):
    types = {deployed.translated["Resources"][r]["Type"] for r in deployed.not_created}
    conditional = {"AlertsEmailSubscription"}  # HasAlertEmail is false by default
    assert deployed.not_created - conditional == {
        r for r, res in deployed.translated["Resources"].items() if res["Type"] in MOTO_CANNOT_CREATE | MOTO_IGNORES
    }
    assert types <= MOTO_CANNOT_CREATE | MOTO_IGNORES | {"AWS::SNS::Subscription"}


# -- what the deploy created, read back through the AWS APIs


def test_every_bucket_is_encrypted_private_versioned_and_has_lifecycle_rules(deployed):
    s3 = deployed.client("s3")
    # (moto's CloudFormation stores the key policy so that DescribeKey fails on it.)
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{deployed.physical['DataKey']}"
    for bucket in _of_type(deployed.translated, "AWS::S3::Bucket"):
        name = deployed.physical[bucket]
        (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
        props = deployed.translated["Resources"][bucket]["Properties"]  # the rest: MOTO_DROPS
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        assert props["VersioningConfiguration"]["Status"] == "Enabled"
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any("AbortIncompleteMultipartUpload" in r for r in rules), bucket
        assert any("NoncurrentVersionExpiration" in r for r in rules), bucket


def test_bucket_names_come_from_the_stack_id(deployed):
    stack_id = deployed.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
    stack_uuid = stack_id.rsplit("/", 1)[1]
    assert deployed.physical["InputBucket"] == f"scalper-input-{stack_uuid}"


def test_tables_have_their_keys_indexes_and_the_stack_key(deployed):
    dynamodb = deployed.client("dynamodb")
    files = dynamodb.describe_table(TableName=deployed.physical["FilesTable"])["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in files["KeySchema"]] == [
        ("partner_id", "HASH"),
        ("file_id", "RANGE"),
    ]
    assert {i["IndexName"] for i in files["GlobalSecondaryIndexes"]} == {BY_CREATED_INDEX, BY_STATE_INDEX, BY_DUE_INDEX}
    partners = dynamodb.describe_table(TableName=deployed.physical["PartnersTable"])["Table"]
    assert [(k["AttributeName"], k["KeyType"]) for k in partners["KeySchema"]] == [("principal", "HASH")]
    for table in _of_type(deployed.translated, "AWS::DynamoDB::Table").values():  # MOTO_DROPS
        sse = table["Properties"]["SSESpecification"]
        assert (sse["SSEType"], sse["KMSMasterKeyId"]) == ("KMS", {"Ref": "DataKey"})


def test_upload_queue_redrives_to_the_dead_letter_queue_and_both_are_encrypted(deployed):
    sqs = deployed.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=deployed.physical["UploadEventsQueue"], AttributeNames=["All"])
    dlq = sqs.get_queue_attributes(QueueUrl=deployed.physical["UploadEventsDeadLetterQueue"], AttributeNames=["All"])
    redrive = json.loads(queue["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["Attributes"]["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert queue["Attributes"]["VisibilityTimeout"] == "5400"
    for attributes in (queue["Attributes"], dlq["Attributes"]):
        assert attributes["KmsMasterKeyId"] == deployed.physical["DataKey"]


def test_alerts_topic_is_encrypted_with_the_rotated_stack_key(deployed):
    topic = deployed.client("sns").get_topic_attributes(TopicArn=deployed.physical["AlertsTopic"])["Attributes"]
    assert topic["KmsMasterKeyId"] == deployed.physical["DataKey"]
    rotation = deployed.client("kms").get_key_rotation_status(KeyId=deployed.physical["DataKey"])
    assert rotation["KeyRotationEnabled"] is True


def test_log_groups_are_retained_and_encrypted(deployed):
    groups = deployed.client("logs").describe_log_groups(logGroupNamePrefix=f"/scalper/{STACK}/")["logGroups"]
    assert {g["logGroupName"].rsplit("/", 1)[1] for g in groups} == {
        "presign",
        "status",
        "processor",
        "reprocess",
        "sweeper",
        "api-access",
    }
    assert {g["retentionInDays"] for g in groups} == {90}
    for group in _of_type(deployed.translated, "AWS::Logs::LogGroup").values():  # MOTO_DROPS
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}


def test_functions_have_their_handlers_and_an_environment_naming_the_created_resources(deployed):
    awslambda = deployed.client("lambda")
    for function in _of_type(deployed.translated, "AWS::Lambda::Function"):
        config = awslambda.get_function_configuration(FunctionName=deployed.physical[function])
        assert config["Runtime"] == "python3.12"
        assert config["Handler"] == deployed.translated["Resources"][function]["Properties"]["Handler"]
        env = config["Environment"]["Variables"]
        settings = Settings.from_env(env)
        assert settings.files_table == deployed.physical["FilesTable"]
        assert settings.partners_table == deployed.physical["PartnersTable"]
        assert settings.input_bucket == deployed.physical["InputBucket"]
        assert settings.output_bucket == deployed.physical["OutputBucket"]
        assert settings.quarantine_bucket == deployed.physical["QuarantineBucket"]
        assert settings.alerts_topic_arn == deployed.physical["AlertsTopic"]


def test_every_handler_resolves_to_a_callable_in_the_package(deployed):
    assert broken_handlers(deployed.translated) == []


def test_a_broken_handler_path_is_caught(sam_template):
    template = copy.deepcopy(sam_template)
    template["Resources"]["PresignFunction"]["Properties"]["Handler"] = "scalper_backend.handlers.nope.handler"
    session = boto3.session.Session(region_name=REGION)

    (broken,) = broken_handlers(translate(template, session))

    assert broken.startswith("PresignFunction: scalper_backend.handlers.nope.handler")


def test_the_processor_is_fed_by_the_upload_queue_with_partial_batch_failures(deployed):
    (mapping,) = deployed.client("lambda").list_event_source_mappings(
        FunctionName=deployed.physical["ProcessorFunction"]
    )["EventSourceMappings"]
    queue_arn = deployed.client("sqs").get_queue_attributes(
        QueueUrl=deployed.physical["UploadEventsQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert (mapping["EventSourceArn"], mapping["BatchSize"]) == (queue_arn, 10)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


# -- what moto cannot create, asserted on the translated template


ROUTES = {
    ("POST", "/uploads"): "PresignFunction",
    ("POST", "/uploads/{file_id}/parts"): "PresignFunction",
    ("POST", "/uploads/{file_id}/complete"): "PresignFunction",
    ("DELETE", "/uploads/{file_id}"): "PresignFunction",
    ("GET", "/files/{file_id}"): "StatusFunction",
    ("GET", "/files"): "StatusFunction",
    ("GET", "/rules"): "StatusFunction",
    ("POST", "/files/{file_id}/reprocess"): "ReprocessFunction",
}


@pytest.mark.parametrize(("api_id", "security"), [("ScalperApi", "api_key"), ("ScalperIamApi", "AWS_IAM")])
def test_each_rest_api_serves_every_route_behind_its_auth(deployed, api_id, security):
    paths = deployed.translated["Resources"][api_id]["Properties"]["Body"]["paths"]
    routes = {}
    for path, methods in paths.items():
        for method, operation in methods.items():
            assert operation["security"] == [{security: []}]
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            routes[(method.upper(), path)] = re.search(r"functions/\$\{(\w+)\.Arn\}/invocations", uri)[1]
    assert routes == ROUTES


@pytest.mark.parametrize("api_id", ["ScalperApi", "ScalperIamApi"])
def test_the_stage_logs_access_traces_and_waits_for_the_account_logs_role(deployed, api_id):
    (stage,) = [
        s for s in _of_type(deployed.translated, "AWS::ApiGateway::Stage").values()
        if s["Properties"]["RestApiId"] == {"Ref": api_id}
    ]
    props = stage["Properties"]
    assert props["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert props["TracingEnabled"] is True
    assert props["StageName"] == {"Ref": "StageName"}
    assert all(s["DataTraceEnabled"] is False for s in props["MethodSettings"])
    assert deployed.translated["Resources"][api_id]["DependsOn"] == "ApiLoggingReady"
    ready = deployed.translated["Resources"]["ApiLoggingReady"]["Metadata"]["AccountLogsRole"]
    assert ready["Fn::If"][:2] == ["CreateApiGatewayLogsRole", {"Ref": "ApiGatewayAccount"}]


def test_the_usage_plan_covers_the_stage_and_api_gateway_may_invoke_each_api_function(deployed):
    (plan,) = _of_type(deployed.translated, "AWS::ApiGateway::UsagePlan").values()
    assert [s["ApiId"] for s in plan["Properties"]["ApiStages"]] == [{"Ref": "ScalperApi"}]
    permissions = _of_type(deployed.translated, "AWS::Lambda::Permission").values()
    by_api = {
        p["Properties"]["FunctionName"]["Ref"] for p in permissions if "apigateway" in p["Properties"]["Principal"]
    }
    assert by_api == {"PresignFunction", "StatusFunction", "ReprocessFunction"}


def test_the_sweeper_runs_every_five_minutes_on_an_eventbridge_rule(deployed):
    rules = deployed.client("events").list_rules()["Rules"]
    (rule,) = [r for r in rules if r["Name"] == deployed.physical["SweeperFunctionEveryFiveMinutes"]]
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(5 minutes)", "ENABLED")
    (target,) = deployed.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"].endswith(f":function:{deployed.physical['SweeperFunction']}")
    permissions = _of_type(deployed.translated, "AWS::Lambda::Permission").values()
    (allowed,) = [p["Properties"] for p in permissions if p["Properties"]["Principal"] == "events.amazonaws.com"]
    assert allowed["FunctionName"] == {"Ref": "SweeperFunction"}
    assert allowed["SourceArn"] == {"Fn::GetAtt": ["SweeperFunctionEveryFiveMinutes", "Arn"]}


def test_functions_log_to_their_own_groups(deployed):
    for function in _of_type(deployed.translated, "AWS::Lambda::Function").values():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert deployed.physical[group].startswith(f"/scalper/{STACK}/")  # moto keeps no LoggingConfig


def test_policies_alarms_and_the_trail_are_in_the_deployed_template(deployed):
    resources = deployed.translated["Resources"]
    bucket_policies = _of_type(deployed.translated, "AWS::S3::BucketPolicy").values()
    assert {p["Properties"]["Bucket"]["Ref"] for p in bucket_policies} == set(
        _of_type(deployed.translated, "AWS::S3::Bucket")
    )
    queue_policies = _of_type(deployed.translated, "AWS::SQS::QueuePolicy").values()
    queues = {q["Ref"] for p in queue_policies for q in p["Properties"]["Queues"]}
    assert queues == set(_of_type(deployed.translated, "AWS::SQS::Queue"))
    assert resources["AlertsTopicPolicy"]["Properties"]["Topics"] == [{"Ref": "AlertsTopic"}]
    for alarm in _of_type(deployed.translated, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    assert resources["DataEventTrail"]["Properties"]["IsLogging"] is True
